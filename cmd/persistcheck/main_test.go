package main

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/persistcheck/persistcheck/harness"
	"github.com/persistcheck/persistcheck/harness/docker"
	"github.com/persistcheck/persistcheck/steps"
)

// TestMain lets a test run the command in a process of its own, for what
// can only be set per process (DOCKER_HOST, signals).
func TestMain(m *testing.M) {
	if os.Getenv("PERSISTCHECK_TEST_MAIN") == "1" {
		os.Exit(process(os.Args[1:]))
	}
	os.Exit(m.Run())
}

// feature writes a feature file into a fresh folder and returns its path.
func feature(t *testing.T, text string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "test.feature")
	if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// run runs Main and returns its exit code, stdout and stderr.
func run(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	var stdout, stderr bytes.Buffer
	code := Main(ctx, args, &stdout, &stderr)
	return code, stdout.String(), stderr.String()
}

// leftovers returns what this process left labelled on the engine.
func leftovers(t *testing.T) []string {
	t.Helper()
	e, err := docker.New(context.Background(), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	left, err := e.Labelled(context.Background(), map[string]string{harness.LabelOwner: harness.Owner()})
	if err != nil {
		t.Fatal(err)
	}
	return left
}

const passing = `Feature: passing
  Scenario: a volume keeps a sentinel across a recreate
    Given a volume "data"
    And a container "app" from image "persistcheck/app"
    And "app" mounts volume "data" at "/data"
    When the container "app" is started
    And I write a sentinel "s" to "/data/s" in "app"
    And I recreate the container "app"
    Then the sentinel "s" is intact in "app"
`

func TestInvalidInputExitsTwoBeforeAnyContainer(t *testing.T) {
	good := feature(t, passing)
	undefined := feature(t, strings.Replace(passing, "I recreate the container", "I recreat the container", 1))
	malformed := feature(t, "Feature: x\n  Scenario: y\n    Given a volume \"data\"\n    this line is no step\n")
	for _, tc := range []struct {
		args []string
		want string
	}{
		{nil, "usage"},
		{[]string{"bogus"}, `unknown command "bogus"`},
		{[]string{"run", "--format", "html", good}, `unknown format "html"`},
		{[]string{"run", "--format", "junit:/no/such/folder/r.xml", good}, "no folder /no/such/folder"},
		{[]string{"run", "--shard", "5/4", good}, "I must be from 1 to N"},
		{[]string{"run", "--shard", "half", good}, "write I/N"},
		{[]string{"run", "--concurrency", "0", good}, "must be positive"},
		{[]string{"run", "--no-such-flag"}, "flag provided but not defined"},
		{[]string{"run", "/no/such/features"}, "not available"},
		{[]string{"run", undefined}, `did you mean: When I recreate the container "app"`},
		{[]string{"run", malformed}, "Parser errors"},
		{[]string{"run", "--tags", "@nothing-has-this", good}, "no scenario"},
	} {
		code, _, stderr := run(t, tc.args...)
		if code != exitInvalid || !strings.Contains(stderr, tc.want) {
			t.Errorf("persistcheck %q: exit %d, stderr:\n%s\nwant exit 2 and %q", tc.args, code, stderr, tc.want)
		}
	}
	if left := leftovers(t); len(left) > 0 {
		t.Errorf("invalid input left %v", left)
	}
}

func TestExitCodesByKindOfFailure(t *testing.T) {
	for _, tc := range []struct {
		name, feature string
		want          int
		output        string
	}{
		{"passing", passing, exitPassed, "1 passed"},
		{"data lost", strings.Replace(passing, `"data" at "/data"`, `"data" at "/elsewhere"`, 1), exitFailed,
			`sentinel "s" in "app" is gone, expected intact`},
		{"image missing", strings.Replace(passing, "persistcheck/app", "persistcheck/not-built:anywhere", 1), exitInfra,
			"never pulls"},
		{"variable unset", strings.Replace(passing, "persistcheck/app", "${PERSISTCHECK_UNSET_FOR_TEST}", 1), exitInvalid,
			"PERSISTCHECK_UNSET_FOR_TEST is not set"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, stdout, stderr := run(t, "run", "--format", "pretty", feature(t, tc.feature))
			if code != tc.want || !strings.Contains(stdout+stderr, tc.output) {
				t.Errorf("exit %d, want %d; stdout:\n%s\nstderr:\n%s\nwant the output to contain %q", code, tc.want, stdout, stderr, tc.output)
			}
		})
	}
	if left := leftovers(t); len(left) > 0 {
		t.Errorf("runs left %v", left)
	}
}

func TestReportsAreWritten(t *testing.T) {
	dir := t.TempDir()
	junit, cucumber := filepath.Join(dir, "r.xml"), filepath.Join(dir, "r.json")
	code, stdout, stderr := run(t, "run", feature(t, passing), "--format", "progress,junit:"+junit+",cucumber:"+cucumber)
	if code != exitPassed {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	// The run names its engine: first on stderr, then in the reports.
	e, err := docker.New(context.Background(), nil)
	if err != nil {
		t.Fatal(err)
	}
	id := e.Identity()
	e.Close()
	if first, _, _ := strings.Cut(stderr, "\n"); first != "persistcheck run: on "+id.String() {
		t.Errorf("the first line on stderr is %q, want it to name %s", first, id)
	}
	if !strings.Contains(stdout, "\non "+id.String()+"\n") {
		t.Errorf("the progress report does not name %s:\n%s", id, stdout)
	}
	for file, want := range map[string]string{
		junit:    `<testcase name="a volume keeps a sentinel across a recreate"`,
		cucumber: `"status": "passed"`,
	} {
		data, err := os.ReadFile(file)
		if err != nil || !strings.Contains(string(data), want) {
			t.Errorf("%s: %v, want it to contain %s:\n%s", file, err, want, data)
		}
	}
	if data, _ := os.ReadFile(junit); !strings.Contains(string(data), `<property name="persistcheck.engine.kind" value="`+id.Kind+`">`) {
		t.Errorf("the JUnit report does not name the engine's kind %s:\n%s", id.Kind, data)
	}
}

func TestUnreachableEngineExitsThree(t *testing.T) {
	cmd := exec.Command(os.Args[0], "run", feature(t, passing))
	cmd.Env = append(os.Environ(), "PERSISTCHECK_TEST_MAIN=1", "DOCKER_HOST=unix:///nonexistent/docker.sock")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	err := cmd.Run()
	if code := cmd.ProcessState.ExitCode(); code != exitInfra || !strings.Contains(stderr.String(), "dockerd") {
		t.Errorf("exit %d (%v), stderr:\n%s\nwant exit 3 and advice about dockerd", code, err, stderr.String())
	}
}

func TestInterruptedRunCleansUp(t *testing.T) {
	hang := feature(t, `Feature: hang
  Scenario: never ready
    Given a volume "data"
    And a container "app" from image "persistcheck/app"
    And "app" mounts volume "data" at "/data"
    And "app" is ready when its log shows "a line the agent never prints"
    When the container "app" is started
`)
	// Interrupt as the volume appears, as the container is being created,
	// and once it waits to be ready.
	for _, seen := range []int{1, 2, 3} {
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan int)
		go func() {
			var out bytes.Buffer
			done <- Main(ctx, []string{"run", hang}, &out, &out)
		}()
		deadline := time.Now().Add(time.Minute)
		for len(leftovers(t)) < seen && time.Now().Before(deadline) {
			time.Sleep(10 * time.Millisecond)
		}
		cancel()
		if code := <-done; code != exitInterrupted {
			t.Errorf("interrupted after %d objects: exit %d, want %d", seen, code, exitInterrupted)
		}
		if left := leftovers(t); len(left) > 0 {
			t.Errorf("interrupted after %d objects: left %v", seen, left)
		}
	}
}

// Scenarios against images that are not persistcheck's, one without a shell
// and one with: the agent reaches them from its own volume, and the
// verdicts are the same as for the built-in image. The false claims rerun
// only the outline they change.
func TestForeignImages(t *testing.T) {
	shell, noShell := buildForeign(t)
	examples := `
    Examples:
      | image   |
      | ` + shell + `   |
      | ` + noShell + ` |
`
	keeps := `Feature: foreign images
  Scenario Outline: what a <image> keeps
    Given a volume "data"
    And a container "app" from image "<image>"
    And "app" mounts volume "data" at "/data"
    And "app" mounts a tmpfs at "/scratch"
    When the container "app" is started
    And I write sentinels in "app":
      | sentinel | path         |
      | volume   | /data/s      |
      | layer    | /srv/s       |
      | tmpfs    | /scratch/s   |
    And I kill the container "app"
    Then in "app" the sentinels are:
      | sentinel | state  |
      | volume   | intact |
      | layer    | intact |
      | tmpfs    | gone   |
    When I start the container "app"
    And I recreate the container "app"
    Then in "app" the sentinels are:
      | sentinel | state  |
      | volume   | intact |
      | layer    | gone   |
      | tmpfs    | gone   |
` + examples
	crashes := `
  Scenario Outline: a <image> crashes and runs out of memory while writing
    Given a volume "data"
    And a container "app" from image "<image>"
    And "app" mounts volume "data" at "/data"
    And "app" has a memory limit of "32m"
    And "app" restarts on failure
    When the container "app" is started
    And "app" starts appending records to "/data/log"
    And "app" has acknowledged at least 50 records
    And the main process of "app" crashes
    Then every acknowledged record in "/data/log" is intact in "app"
    When "app" starts appending records to "/data/log2"
    And "app" has acknowledged at least 50 records
    And "app" runs out of memory
    Then every acknowledged record in "/data/log2" is intact in "app"
` + examples
	code, stdout, stderr := run(t, "run", "--format", "pretty", feature(t, keeps+crashes))
	if code != exitPassed {
		t.Errorf("true claims: exit %d\n%s\n%s", code, stdout, stderr)
	}
	lies := feature(t, strings.NewReplacer("| layer    | gone   |", "| layer    | intact |").Replace(keeps))
	code, stdout, _ = run(t, "run", "--format", "pretty", lies)
	if code != exitFailed || !strings.Contains(stdout, "2 scenarios (2 failed: 2 findings)") || !strings.Contains(stdout, `sentinel "layer" in "app" is gone, expected intact`) {
		t.Errorf("false claims: exit %d, want 1 with the layer gone in both images:\n%s", code, stdout)
	}
	if left := leftovers(t); len(left) > 0 {
		t.Errorf("runs left %v", left)
	}
}

func TestStepsListsTheVocabulary(t *testing.T) {
	code, stdout, _ := run(t, "steps")
	if code != exitPassed {
		t.Fatalf("exit %d", code)
	}
	for _, p := range steps.Vocabulary() {
		if !strings.Contains(stdout, strings.SplitN(p.Example, "\n", 2)[0]) {
			t.Errorf("steps does not show %q", p.Example)
		}
	}
}

func TestKeepLeavesFailedScenariosForDebugging(t *testing.T) {
	failing := feature(t, strings.Replace(passing, `"data" at "/data"`, `"data" at "/elsewhere"`, 1))
	code, _, stderr := run(t, "run", "--keep", failing)
	t.Cleanup(func() {
		e, err := docker.New(context.Background(), nil)
		if err != nil {
			t.Fatal(err)
		}
		defer e.Close()
		e.RemoveLabelled(context.Background(), map[string]string{harness.LabelOwner: harness.Owner()})
		harness.SweepHostFolders(func(owner string) bool { return owner != harness.Owner() })
	})
	if code != exitFailed || !strings.Contains(stderr, "kept for debugging") {
		t.Errorf("exit %d, stderr:\n%s\nwant 1 and what was kept", code, stderr)
	}
	if left := leftovers(t); len(left) < 2 {
		t.Errorf("kept %v, want the container and its volumes", left)
	}
}

func TestSweepRemovesWhatDeadRunsLeft(t *testing.T) {
	ctx := context.Background()
	e, err := docker.New(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	host, _ := os.Hostname()
	dead := map[string]string{harness.LabelRun: "test-sweep", harness.LabelOwner: host + ":999999999"}
	t.Cleanup(func() { e.RemoveLabelled(ctx, dead) })
	if err := e.CreateVolume(ctx, "pc-test-sweep-"+strings.ReplaceAll(t.Name(), "/", "-"), 0, dead); err != nil {
		t.Fatal(err)
	}
	code, stdout, stderr := run(t, "sweep")
	if code != exitPassed || !strings.Contains(stdout, "removed volume pc-test-sweep-") {
		t.Errorf("sweep: exit %d\n%s%s\nwant the dead run's volume removed", code, stdout, stderr)
	}
	if left, _ := e.Labelled(ctx, dead); len(left) > 0 {
		t.Errorf("after the sweep: %v", left)
	}
}
