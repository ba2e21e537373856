package steps_test

import (
	"testing"

	"github.com/cucumber/godog"

	"github.com/persistcheck/persistcheck/steps"
)

// The entry points of the step library, as a godog suite of another project would
// use them: the whole step library with default options, and cleanup when
// the suite ends.
func TestInitializeScenarioPlugsIntoAnySuite(t *testing.T) {
	status := godog.TestSuite{
		ScenarioInitializer:  steps.InitializeScenario,
		TestSuiteInitializer: steps.InitializeTestSuite,
		Options: &godog.Options{
			Format:   "progress",
			Strict:   true,
			TestingT: t,
			FeatureContents: []godog.Feature{{Name: "plugged.feature", Contents: []byte(`Feature: plugged in
  Scenario: a host folder outlives its container
    Given a host folder "shared"
    And a container "app" from image "persistcheck/app"
    And "app" mounts host folder "shared" at "/shared"
    When the container "app" is started
    And I write a sentinel "s" to "/shared/s" in "app"
    And I remove the container "app" with its volumes
    And I launch the container "app" again
    Then the sentinel "s" is intact in "app"
`)}},
		},
	}.Run()
	if status != 0 {
		t.Errorf("godog exited %d", status)
	}
}
