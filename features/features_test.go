package features_test

import (
	"context"
	"flag"
	"fmt"
	"os"
	"strings"
	"testing"

	"github.com/cucumber/godog"

	"github.com/persistcheck/persistcheck/features"
	"github.com/persistcheck/persistcheck/harness"
	"github.com/persistcheck/persistcheck/harness/docker"
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
	if left := ownPowerLossMounts(); len(left) > 0 {
		t.Errorf("power-loss volumes are still mounted:\n%s", strings.Join(left, "\n"))
	}
	tally := lib.Outcome()
	switch {
	case status != 0:
		t.Errorf("godog exited %d; failures by kind: %v", status, tally.Failed)
	case tally.Passed == 0:
		t.Error("no scenario ran: check -godog.tags and -godog.paths")
	}
}

// ownPowerLossMounts returns the lines of the mount table for the
// power-loss volumes this process serves: their source names its pid.
// Another persistcheck on the host (CI runs the examples beside this test)
// has its own.
func ownPowerLossMounts() []string {
	mounts, _ := os.ReadFile("/proc/self/mountinfo")
	own := fmt.Sprintf(" persistcheck-powerloss:%d:", os.Getpid())
	var left []string
	for _, line := range strings.Split(string(mounts), "\n") {
		if strings.Contains(line, own) {
			left = append(left, line)
		}
	}
	return left
}
