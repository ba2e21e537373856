package features_test

import (
	"context"
	"flag"
	"os"
	"testing"

	"github.com/cucumber/godog"

	"github.com/persistcheck/persistcheck/features"
	"github.com/persistcheck/persistcheck/harness"
	"github.com/persistcheck/persistcheck/harness/docker"
	"github.com/persistcheck/persistcheck/harness/powerloss"
	"github.com/persistcheck/persistcheck/steps"
)

var opts = godog.Options{
	Format:      "progress",
	Strict:      true,
	Concurrency: 4,
	Output:      os.Stdout,
}

func init() {
	godog.BindFlags("godog.", flag.CommandLine, &opts)
}

// TestFeatures runs the built-in features, as embedded in the binary, on the
// local engine. Select with -godog.tags or -godog.paths (path.feature:LINE),
// not -run: -run reports the other scenarios as undefined.
func TestFeatures(t *testing.T) {
	engine, err := docker.New(context.Background(), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer engine.Close()
	lib := steps.New(steps.Options{FS: features.FS, Engine: func(context.Context) (harness.Engine, error) { return engine, nil }})
	o := opts
	o.TestingT = t
	// Scenarios tagged for other engines (@kubernetes) are left out.
	o.Tags = harness.AndTags(o.Tags, harness.EngineTags(harness.IdentityOf(engine).Kind))
	o.FS = features.FS
	if len(o.Paths) == 0 {
		o.Paths = []string{"."}
	}
	status := godog.TestSuite{
		Name:                "persistcheck",
		ScenarioInitializer: lib.InitializeScenario,
		Options:             &o,
	}.Run()
	leaked, err := lib.Close(context.Background())
	if err != nil {
		t.Errorf("clean up: %v", err)
	}
	if len(leaked) > 0 {
		t.Errorf("scenarios left objects behind: %v", leaked)
	}
	// Only this process's: CI runs another persistcheck beside this test.
	if left, err := powerloss.Serving(); err != nil || len(left) > 0 {
		t.Errorf("power-loss volumes still mounted: %v (%v)", left, err)
	}
	tally := lib.Outcome()
	switch {
	case status != 0:
		t.Errorf("godog exited %d; failures by kind: %v", status, tally.Failed)
	case tally.Passed == 0:
		t.Error("no scenario ran: check -godog.tags and -godog.paths")
	}
}
