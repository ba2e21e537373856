package steps

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/cucumber/godog"

	"github.com/persistcheck/persistcheck/harness"
)

// stubEngine answers the few calls a scenario that starts one container
// and runs a command makes. Any other call panics on the nil Engine it
// embeds, as a broken engine might.
type stubEngine struct {
	harness.Engine
	panicOnImage bool
	removeErr    error
}

func (s *stubEngine) Image(_ context.Context, ref string) (harness.Image, error) {
	if s.panicOnImage {
		panic("the engine fell over")
	}
	return harness.Image{Ref: ref, HasAgent: true}, nil
}
func (s *stubEngine) Create(context.Context, harness.EngineSpec) (string, error) { return "c1", nil }
func (s *stubEngine) Start(context.Context, string) error                        { return nil }
func (s *stubEngine) Inspect(context.Context, string) (harness.Status, error) {
	return harness.Status{State: "running"}, nil
}
func (s *stubEngine) Exec(context.Context, string, []string) (harness.ExecResult, error) {
	return harness.ExecResult{ExitCode: 1, Stderr: []byte("no")}, nil
}
func (s *stubEngine) WaitLog(context.Context, string, string, int) error    { return nil }
func (s *stubEngine) CountLog(context.Context, string, string) (int, error) { return 0, nil }
func (s *stubEngine) LogTail(context.Context, string, int) (string, error)  { return "", nil }
func (s *stubEngine) RemoveLabelled(context.Context, map[string]string) ([]string, error) {
	return nil, s.removeErr
}

// runStub runs a feature against the stub, and returns the library and the
// Cucumber report.
func runStub(t *testing.T, engine *stubEngine, feature string) (*Library, string) {
	t.Helper()
	lib := New(Options{
		Engine: func(context.Context) (harness.Engine, error) { return engine, nil },
		Log:    &bytes.Buffer{},
	})
	var report bytes.Buffer
	godog.TestSuite{
		ScenarioInitializer: lib.InitializeScenario,
		Options: &godog.Options{Format: "cucumber", Strict: true, Output: &report,
			FeatureContents: []godog.Feature{{Name: "stub.feature", Contents: []byte(feature)}}},
	}.Run()
	return lib, report.String()
}

const startAndRun = `Feature: stub
  Scenario: one
    Given a container "app" from image "img"
    When the container "app" is started
    And I run "false" in "app"
    Then the command succeeds
`

// A panic in a step is the machinery failing, never a finding.
func TestAPanicIsInfrastructure(t *testing.T) {
	lib, report := runStub(t, &stubEngine{panicOnImage: true}, startAndRun)
	if tally := lib.Outcome(); tally.Failed[harness.Infrastructure] != 1 || tally.Failed[harness.Finding] != 0 {
		t.Errorf("failures by kind %v, want the panic as infrastructure", tally.Failed)
	}
	if !strings.Contains(report, "the engine fell over") {
		t.Errorf("the report does not show the panic:\n%s", report)
	}
}

// A finding whose cleanup then fails reports both, and counts as the
// infrastructure's: the finding cannot be trusted until cleanup works.
func TestAFindingWhoseCleanupFailsReportsBoth(t *testing.T) {
	lib, report := runStub(t, &stubEngine{removeErr: errors.New("volume is in use")}, startAndRun)
	if tally := lib.Outcome(); tally.Failed[harness.Infrastructure] != 1 {
		t.Errorf("failures by kind %v, want one, of the infrastructure", tally.Failed)
	}
	for _, want := range []string{`exited 1, expected success`, `clean up scenario one: volume is in use`} {
		if !strings.Contains(report, want) {
			t.Errorf("the report lacks %q:\n%s", want, report)
		}
	}
}

// An error of no declared kind is classified as infrastructure.
func TestClassify(t *testing.T) {
	for err, want := range map[error]harness.Kind{
		nil:                                     harness.Unknown,
		errors.New("plain"):                     harness.Infrastructure,
		godog.ErrUndefined:                      harness.Invalid,
		harness.Errorf(harness.Finding, "lost"): harness.Finding,
	} {
		if got := classify(err); got != want {
			t.Errorf("classify(%v) = %v, want %v", err, got, want)
		}
	}
}
