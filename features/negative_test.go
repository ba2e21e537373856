package features_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/cucumber/godog"

	"github.com/persistcheck/persistcheck/features"
	"github.com/persistcheck/persistcheck/harness"
	"github.com/persistcheck/persistcheck/steps"
)

// falseClaims are the negative controls: scenarios that claim what Docker
// does not do. Each must fail at its last step, as a finding, with the
// verdict named; a harness that passed any of them would pass lost data.
var falseClaims = []struct {
	name  string
	steps string // after the background
	want  string // in the failure message
}{
	{"the tmpfs survives a restart",
		`When I restart the container "app"
		Then the sentinel "tmpfs" is intact in "app"`,
		`sentinel "tmpfs" in "app" is gone, expected intact`},
	{"the layer survives a recreate",
		`When I recreate the container "app"
		Then the sentinel "layer" is intact in "app"`,
		`sentinel "layer" in "app" is gone, expected intact`},
	{"an anonymous volume survives a new container",
		`When I remove the container "app"
		And I launch the container "app" again
		Then the sentinel "anonymous" is intact in "app"`,
		`sentinel "anonymous" in "app" is gone, expected intact`},
	{"a named volume is lost to a kill",
		`When I kill the container "app"
		Then the sentinel "volume" is gone from "app"`,
		`sentinel "volume" in "app" is intact, expected gone`},
	{"a changed image file survives a recreate",
		`When I recreate the container "app"
		Then the sentinel "image file" is intact in "app"`,
		`sentinel "image file" in "app" is corrupted, expected intact`},
	{"a pause loses the tmpfs",
		`When I pause the container "app"
		And I unpause the container "app"
		Then the sentinel "tmpfs" is gone from "app"`,
		`sentinel "tmpfs" in "app" is intact, expected gone`},
	{"one false row among true ones",
		`When I stop the container "app"
		And I start the container "app"
		Then in "app" the sentinels are:
		  | sentinel  | state  |
		  | volume    | intact |
		  | layer     | intact |
		  | tmpfs     | intact |
		  | anonymous | intact |`,
		`sentinel "tmpfs" in "app" is gone, expected intact`},
	{"an upgrade shows the new image under a named volume",
		`Given an image "persistcheck/app-v2" built from "fixtures/app-v2"
		When I upgrade the container "app" to image "persistcheck/app-v2"
		Then the file "/seeded/version" in "app" contains "version-2"`,
		`/seeded/version in "app" holds 10 bytes "version-1\n", which does not contain "version-2"`},
	{"a link into a volume loses its data with the container",
		`When I remove the container "app"
		Then the sentinel "linked" is gone from "app"`,
		`sentinel "linked" in "app" is intact, expected gone`},
	{"a link out of a volume keeps its data across a recreate",
		`When I recreate the container "app"
		Then the sentinel "out" is intact in "app"`,
		`sentinel "out" in "app" is gone, expected intact`},
	{"a container that exits at once is started",
		`Given a container "crasher" from image "persistcheck/app"
		And "crasher" runs "/.persistcheck/agent no-such-subcommand"
		When the container "crasher" is started`,
		`container "crasher" exited (code 2) instead of running`},
	{"an image that wipes its volume at start keeps the volume's data",
		`Given a volume "wiped"
		And a container "wiper" built from "fixtures/wiper"
		And "wiper" mounts volume "wiped" at "/data"
		When the container "wiper" is started
		And I write a sentinel "w" to "/data/w" in "wiper"
		And I recreate the container "wiper"
		Then the sentinel "w" is intact in "wiper"`,
		`sentinel "w" in "wiper" is gone, expected intact`},
	{"appends in the container layer survive a recreate",
		`When "app" starts appending records to "/var/log/app.log"
		And "app" has acknowledged at least 50 records
		And I recreate the container "app"
		Then every acknowledged record in "/var/log/app.log" is intact in "app"`,
		`acknowledged records in /var/log/app.log are lost: the file is not there`},
	{"appends in a tmpfs survive a restart",
		`When "app" starts appending records to "/scratch/log"
		And "app" has acknowledged at least 50 records
		And I restart the container "app"
		Then every acknowledged record in "/scratch/log" is intact in "app"`,
		`acknowledged records in /scratch/log are lost: the file is not there`},
	{"an image that truncates its data file at start keeps the records",
		`Given a volume "log"
		And a container "truncator" built from "fixtures/truncator"
		And "truncator" mounts volume "log" at "/data"
		When the container "truncator" is started
		And "truncator" starts appending records to "/data/log"
		And "truncator" has acknowledged at least 50 records
		And I restart the container "truncator"
		Then every acknowledged record in "/data/log" is intact in "truncator"`,
		`acknowledged records in /data/log are lost or corrupted: 1-`},
	{"appends without fsync survive a power cut",
		`Given a power-loss volume "pl"
		And a container "cut" from image "persistcheck/app"
		And "cut" mounts volume "pl" at "/pl"
		When the container "cut" is started
		And "cut" starts appending records to "/pl/log" without fsync
		And "cut" has acknowledged at least 100 records
		And I cut the power to "cut"
		Then every acknowledged record in "/pl/log" is intact in "cut"`,
		`acknowledged records in /pl/log are lost or corrupted`},
	{"a failing command succeeds",
		`When I run "/.persistcheck/agent getenv NOT_SET_ANYWHERE" in "app"
		Then the command succeeds`,
		`exited 1, expected success; it wrote to stderr`},
}

// why holds, for some false claims, the explanation their failure must
// give: Docker's rule, in one line.
var why = map[string]string{
	"the tmpfs survives a restart":                                    `/scratch/s is in a tmpfs mounted at /scratch; a tmpfs lives in memory and is emptied when its container stops, and a restart stopped it`,
	"the layer survives a recreate":                                   `/var/lib/app/s is in the container layer (no mount covers /var/lib/app); a recreate starts a new container with a fresh layer, so Docker drops it: mount a volume there to keep it`,
	"an anonymous volume survives a new container":                    `/cache/s is on an anonymous volume mounted at /cache; each new container gets a fresh one`,
	"a named volume is lost to a kill":                                `/data/s is on volume "data", mounted at /data: a named volume outlives its containers, so Docker keeps the data through a kill with SIGKILL`,
	"a changed image file survives a recreate":                        `so Docker drops the change, and what the image ships at the path, if anything, is back`,
	"a pause loses the tmpfs":                                         `nothing stopped the container since the write (a pause, then unpause)`,
	"a link into a volume loses its data with the container":          `/data/l is on volume "data", mounted at /data: a named volume outlives its containers`,
	"a link out of a volume keeps its data across a recreate":         `/baked/s is in the container layer (no mount covers /baked); a recreate starts a new container with a fresh layer`,
	"a container that exits at once is started":                       `the last 20 lines of its log:`,
	"an image that wipes its volume at start keeps the volume's data": `/data/w is on volume "wiped", mounted at /data; a named volume keeps data through a recreate: something in the container removed it (the image's start command?)`,
}

const background = `
  Background:
    Given a volume "data"
    And a volume "seeded"
    And a container "app" from image "persistcheck/app"
    And "app" mounts volume "data" at "/data"
    And "app" mounts volume "seeded" at "/seeded"
    And "app" mounts an anonymous volume at "/cache"
    And "app" mounts a tmpfs at "/scratch"
    When the container "app" is started
    And I write sentinels in "app":
      | sentinel   | path           |
      | layer      | /var/lib/app/s |
      | image file | /baked/version |
      | volume     | /data/s        |
      | anonymous  | /cache/s       |
      | tmpfs      | /scratch/s     |
      | linked     | /data-link/l   |
      | out        | /seeded/out/s  |
`

// TestFalseClaimsFail runs the negative controls through godog, as users
// run features, and checks every verdict in the report.
func TestFalseClaimsFail(t *testing.T) {
	var feature strings.Builder
	feature.WriteString("Feature: false claims\n" + background)
	for _, c := range falseClaims {
		fmt.Fprintf(&feature, "\n  Scenario: %s\n    %s\n", c.name, c.steps)
	}
	lib := steps.New(steps.Options{FS: features.FS})
	var report bytes.Buffer
	status := godog.TestSuite{
		ScenarioInitializer: lib.InitializeScenario,
		Options: &godog.Options{
			Format:          "cucumber",
			Strict:          true,
			Concurrency:     4,
			Output:          &report,
			FS:              features.FS,
			FeatureContents: []godog.Feature{{Name: "false-claims.feature", Contents: []byte(feature.String())}},
		},
	}.Run()
	leaked, err := lib.Close(context.Background())
	if err != nil || len(leaked) > 0 {
		t.Errorf("clean up: %v; left behind: %v", err, leaked)
	}
	if status == 0 {
		t.Fatal("the false claims passed")
	}
	failures := failedSteps(t, report.Bytes())
	for _, c := range falseClaims {
		lines := strings.Split(strings.TrimSpace(c.steps), "\n")
		claim := strings.TrimSpace(lines[len(lines)-1])
		if strings.HasPrefix(claim, "|") { // a table: the claim is the step above it
			for i := len(lines) - 1; i >= 0 && strings.HasPrefix(strings.TrimSpace(lines[i]), "|"); i-- {
				claim = strings.TrimSpace(lines[i-1])
			}
		}
		got, ok := failures[c.name]
		switch {
		case !ok:
			t.Errorf("%s: passed, want a failure", c.name)
		case !strings.HasSuffix(claim, got.step):
			t.Errorf("%s: failed at %q (%s), want at %q", c.name, got.step, got.message, claim)
		case !strings.Contains(got.message, c.want):
			t.Errorf("%s: failed with\n%s\nwant it to contain\n%s", c.name, got.message, c.want)
		case why[c.name] != "" && !strings.Contains(got.message, why[c.name]):
			t.Errorf("%s: failed with\n%s\nwant it to explain\nwhy: %s", c.name, got.message, why[c.name])
		}
	}
	tally := lib.Outcome()
	if tally.Passed != 0 || tally.Failed[harness.Finding] != len(falseClaims) {
		t.Errorf("outcome: %d passed, failures by kind %v; want all %d as findings", tally.Passed, tally.Failed, len(falseClaims))
	}
}

type failure struct{ step, message string }

// failedSteps returns, by scenario name, the failed step of a cucumber JSON
// report.
func failedSteps(t *testing.T, report []byte) map[string]failure {
	var features []struct {
		Elements []struct {
			Name  string
			Steps []struct {
				Name   string
				Result struct {
					Status       string
					ErrorMessage string `json:"error_message"`
				}
			}
		}
	}
	if err := json.Unmarshal(report, &features); err != nil {
		t.Fatalf("read the report: %v\n%s", err, report)
	}
	out := map[string]failure{}
	for _, f := range features {
		for _, sc := range f.Elements {
			for _, st := range sc.Steps {
				if st.Result.Status == "failed" {
					out[sc.Name] = failure{st.Name, st.Result.ErrorMessage}
				}
			}
		}
	}
	return out
}
