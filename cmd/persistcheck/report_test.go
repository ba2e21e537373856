package main

import (
	"context"
	"time"

	"bytes"
	"encoding/json"
	"encoding/xml"
	"github.com/persistcheck/persistcheck/harness"
	"github.com/persistcheck/persistcheck/harness/docker"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
)

// cli runs the command in a process of its own, as a user or CI runs it.
func cli(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	cmd := exec.Command(os.Args[0], args...)
	cmd.Env = append(os.Environ(), "PERSISTCHECK_TEST_MAIN=1")
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	cmd.Run()
	return cmd.ProcessState.ExitCode(), out.String(), errOut.String()
}

// junitReport is what CI publishers read of a JUnit report.
type junitReport struct {
	Tests    int     `xml:"tests,attr"`
	Failures int     `xml:"failures,attr"`
	Errors   int     `xml:"errors,attr"`
	Skipped  int     `xml:"skipped,attr"`
	Time     float64 `xml:"time,attr"`
	Suites   []struct {
		Name     string  `xml:"name,attr"`
		Tests    int     `xml:"tests,attr"`
		Failures int     `xml:"failures,attr"`
		Errors   int     `xml:"errors,attr"`
		Skipped  int     `xml:"skipped,attr"`
		Time     float64 `xml:"time,attr"`
		Cases    []struct {
			Name    string  `xml:"name,attr"`
			File    string  `xml:"file,attr"`
			Line    int     `xml:"line,attr"`
			Time    float64 `xml:"time,attr"`
			Failure *struct {
				Message string `xml:"message,attr"`
				Type    string `xml:"type,attr"`
				Body    string `xml:",chardata"`
			} `xml:"failure"`
			Error *struct {
				Message string `xml:"message,attr"`
				Type    string `xml:"type,attr"`
				Body    string `xml:",chardata"`
			} `xml:"error"`
			Skipped *struct {
				Message string `xml:"message,attr"`
			} `xml:"skipped"`
		} `xml:"testcase"`
	} `xml:"testsuite"`
}

func readJUnit(t *testing.T, file string) junitReport {
	t.Helper()
	data, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	var r junitReport
	if err := xml.Unmarshal(data, &r); err != nil {
		t.Fatalf("%s is not JUnit XML: %v\n%s", file, err, data)
	}
	return r
}

// cucumberSteps returns, by scenario name, the steps of a Cucumber JSON
// report that did not pass, with their error messages.
func cucumberSteps(t *testing.T, file string) map[string][]string {
	t.Helper()
	data, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
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
	if err := json.Unmarshal(data, &features); err != nil {
		t.Fatalf("%s is not Cucumber JSON: %v\n%s", file, err, data)
	}
	out := map[string][]string{}
	for _, f := range features {
		for _, sc := range f.Elements {
			for _, st := range sc.Steps {
				if st.Result.Status != "passed" {
					out[sc.Name] = append(out[sc.Name], st.Result.Status+": "+st.Name+": "+st.Result.ErrorMessage)
				}
			}
		}
	}
	return out
}

// What a new user runs into: a layer file expected after a recreate, a
// volume the image wipes at start, a container that crashes at start, an
// image that is missing. Each failure must explain itself in the terminal,
// in JUnit and in Cucumber JSON, and the counts must be right.
func TestFailuresExplainThemselvesInEveryReport(t *testing.T) {
	dir := t.TempDir()
	junit, cucumber := filepath.Join(dir, "report.xml"), filepath.Join(dir, "report.json")
	f := feature(t, `Feature: what a new user runs into

  Scenario: the volume survives a recreate
    Given a volume "data"
    And a container "app" from image "persistcheck/app"
    And "app" mounts volume "data" at "/data"
    When the container "app" is started
    And I write a sentinel "s" to "/data/s" in "app"
    And I recreate the container "app"
    Then the sentinel "s" is intact in "app"

  Scenario: a layer file expected after a recreate
    Given a container "app" from image "persistcheck/app"
    When the container "app" is started
    And I write a sentinel "index" to "/var/cache/myapp/index" in "app"
    And I recreate the container "app"
    Then the sentinel "index" is intact in "app"

  Scenario: a container that crashes at start
    Given a container "app" from image "persistcheck/app"
    And "app" runs "/.persistcheck/agent crash-at-once"
    When the container "app" is started
    And I write a sentinel "s" to "/s" in "app"

  Scenario: an image that is not there
    Given a container "app" from image "persistcheck/never-built:1"
    When the container "app" is started
`)
	code, stdout, stderr := cli(t, "run", "--format", "pretty,junit:"+junit+",cucumber:"+cucumber, f)
	if code != exitInfra {
		t.Errorf("exit %d, want 3 (infrastructure outranks findings)\n%s\n%s", code, stdout, stderr)
	}
	for _, want := range []string{
		`why: /var/cache/myapp/index is in the container layer (no mount covers /var/cache/myapp); a recreate starts a new container with a fresh layer, so Docker drops it: mount a volume there to keep it`,
		`folder /var/cache/myapp: no such folder`,
		`last event: recreate replaced container`,
		`mounts, as the engine reports them:`,
		`container "app" exited (code 2) instead of running`,
		`persistcheck-agent version `, // the crashed container's log: its usage
		`never pulls`,
		`4 scenarios (1 passed, 3 failed: 2 findings, 1 infrastructure)`,
		`# sentinel.go:`, // the Go code behind a step
	} {
		if !strings.Contains(stdout, want) {
			t.Errorf("the terminal report lacks %q:\n%s", want, stdout)
		}
	}
	if strings.Contains(stdout, "library.go") {
		t.Errorf("the terminal report shows the library's plumbing as the definition of steps:\n%s", stdout)
	}

	r := readJUnit(t, junit)
	if r.Tests != 4 || r.Failures != 2 || r.Errors != 1 || r.Skipped != 0 {
		t.Errorf("JUnit counts tests=%d failures=%d errors=%d skipped=%d, want 4, 2, 1, 0", r.Tests, r.Failures, r.Errors, r.Skipped)
	}
	for _, s := range r.Suites {
		sum := 0.0
		for _, c := range s.Cases {
			sum += c.Time
			switch {
			case strings.HasPrefix(c.Name, "a layer file"):
				if c.Failure == nil || c.Failure.Type != "finding" || !strings.Contains(c.Failure.Body, "why: /var/cache/myapp/index is in the container layer") ||
					!strings.Contains(c.Failure.Body, "passed    When the container \"app\" is started  # "+f+":14") ||
					!strings.Contains(c.Failure.Body, "failed    Then the sentinel \"index\" is intact in \"app\"  # "+f+":17") {
					t.Errorf("the layer scenario's JUnit entry lacks its steps, lines or explanation: %+v", c.Failure)
				}
			case strings.HasPrefix(c.Name, "a container that crashes"):
				if c.Failure == nil || !strings.Contains(c.Failure.Body, "exited (code 2)") || !strings.Contains(c.Failure.Body, "skipped   And I write a sentinel") {
					t.Errorf("the crash's JUnit entry lacks its exit code or skipped steps: %+v", c.Failure)
				}
			case strings.HasPrefix(c.Name, "an image"):
				if c.Error == nil || c.Error.Type != "infrastructure" {
					t.Errorf("a missing image is not an <error> of the infrastructure: %+v %+v", c.Error, c.Failure)
				}
			case c.Failure != nil || c.Error != nil:
				t.Errorf("the passing scenario failed in JUnit: %+v %+v", c.Failure, c.Error)
			}
		}
		if s.Time+0.001 < sum {
			t.Errorf("suite %q takes %.3fs, less than its cases' %.3fs", s.Name, s.Time, sum)
		}
	}
	failed := cucumberSteps(t, cucumber)
	if got := strings.Join(failed["a layer file expected after a recreate"], "\n"); !strings.Contains(got, "why: /var/cache/myapp/index is in the container layer") {
		t.Errorf("Cucumber JSON lacks the explanation: %s", got)
	}
	if left := leftovers(t); len(left) > 0 {
		t.Errorf("left %v", left)
	}
}

// A readiness wait that never succeeds says what it waits for while it
// lasts, and, when it times out, what was awaited, what was seen and how
// to give it longer.
func TestReadinessThatNeverComesSaysWhy(t *testing.T) {
	f := feature(t, `Feature: readiness
  Scenario: never ready
    Given a container "app" from image "persistcheck/app"
    And "app" is ready when its log shows "ready to accept connections"
    And "app" may take "6s" to become ready
    When the container "app" is started
`)
	code, stdout, stderr := cli(t, "run", "--format", "progress", f)
	if code != exitInfra {
		t.Errorf("exit %d, want 3", code)
	}
	for _, want := range []string{
		`persistcheck: waiting for "app" (scenario "never ready") to be ready: a new log line with "ready to accept connections"; 5s of 6s`,
	} {
		if !strings.Contains(stderr, want) {
			t.Errorf("stderr lacks %q:\n%s", want, stderr)
		}
	}
	for _, want := range []string{
		`container "app" was not ready within 6s: it waited for a new log line with "ready to accept connections"`,
		`give it longer with --timeout, or for this container alone: "app" may take "12s" to become ready`,
		`persistcheck-agent: ready`, // the log's last lines
	} {
		if !strings.Contains(stdout, want) {
			t.Errorf("the report lacks %q:\n%s", want, stdout)
		}
	}
}

// A workload that acknowledges too slowly for its wait says how far it got
// and how to give it longer, and the run cleans up after it.
func TestSlowAcknowledgementsSayHowToWaitLonger(t *testing.T) {
	shell, _ := buildForeign(t)
	f := feature(t, `Feature: slow
  Scenario: one a second
    Given a container "app" from image "`+shell+`"
    And "app" may take "1m" to become ready
    When the container "app" is started
    And "app" starts running "sh -c 'sleep 1; echo {n}'" for n from 1 upward
    And "app" has acknowledged at least 100 records
`)
	code, stdout, stderr := cli(t, "run", "--format", "progress", "--timeout", "3s", f)
	if code != exitInfra {
		t.Errorf("exit %d, want 3", code)
	}
	for _, want := range []string{
		`of the 100 awaited within 3s: attempted `,
		`it is still writing, only slower than that: give it longer with --timeout, or await fewer`,
	} {
		if !strings.Contains(stdout, want) {
			t.Errorf("the report lacks %q:\n%s\n%s", want, stdout, stderr)
		}
	}
	if left := leftovers(t); len(left) > 0 {
		t.Errorf("left %v", left)
	}
}

// Mistakes in the features stop the run before anything starts, with
// their file and line, and the report files a CI publisher reads are still
// written, with the problems in them.
func TestProblemsStopTheRunAndStillWriteReports(t *testing.T) {
	dir := t.TempDir()
	junit, cucumber := filepath.Join(dir, "report.xml"), filepath.Join(dir, "report.json")
	f := feature(t, `Feature: mistakes
  Scenario: several
    Given a volume "data"
    And a container "app" from image "persistcheck/app"
    And "app" mounts volume "dta" at "/data"
    When the container "ap" is started
    And I write a sentinel "s" to "/data/s" in "app"
    Then in "app" the sentinels are:
      | sentinel | state |
      | s        | lost  |
    And I run "sh -c "echo hi"" in "app"
`)
	code, stdout, stderr := cli(t, "run", "--format", "pretty,junit:"+junit+",cucumber:"+cucumber, f)
	if code != exitInvalid {
		t.Errorf("exit %d, want 2\n%s%s", code, stdout, stderr)
	}
	for _, want := range []string{
		f + `:5: volume "dta" is not declared before this step; did you mean "data"?`,
		f + `:6: container "ap" is not declared before this step; did you mean "app"?`,
		f + `:8: unknown sentinel state "lost"`,
		f + `:11: step "I run \"sh -c \"echo hi\"\" in \"app\"" has a double quote inside a quoted argument: write it as \"`,
	} {
		if !strings.Contains(stderr, want) {
			t.Errorf("stderr lacks %q:\n%s", want, stderr)
		}
	}
	r := readJUnit(t, junit)
	if r.Tests != 4 || r.Errors != 4 {
		t.Errorf("JUnit of the problems: tests=%d errors=%d, want 4 and 4", r.Tests, r.Errors)
	}
	if got := cucumberSteps(t, cucumber)["several"]; len(got) != 4 || !strings.Contains(got[0], "invalid input: volume \"dta\"") {
		t.Errorf("Cucumber JSON of the problems: %q", got)
	}
	if left := leftovers(t); len(left) > 0 {
		t.Errorf("left %v", left)
	}
}

// An interrupted run says so, counts what never ran or was cut short as
// skipped, never as passed or failed, in the terminal and in JUnit, and
// leaves nothing behind: interrupted at many points through a scenario that
// recreates its container three times, while the engine may be removing a
// container whose removal the interruption cancelled.
func TestInterruptAtManyPoints(t *testing.T) {
	f := feature(t, `Feature: interrupted
  Scenario Outline: recreate three times (<n>)
    Given a volume "data"
    And a container "app" from image "persistcheck/app"
    And "app" mounts volume "data" at "/data"
    And "app" mounts an anonymous volume at "/cache"
    When the container "app" is started
    And I write sentinels in "app":
      | sentinel | path     |
      | volume   | /data/s  |
      | cache    | /cache/s |
    And I recreate the container "app"
    And I recreate the container "app"
    And I recreate the container "app"
    Then in "app" the sentinels are:
      | sentinel | state  |
      | volume   | intact |
      | cache    | gone   |

    Examples:
      | n |
      | 1 |
      | 2 |
`)
	for _, after := range []time.Duration{0, 300 * time.Millisecond, 600 * time.Millisecond, 900 * time.Millisecond,
		1200 * time.Millisecond, 1500 * time.Millisecond, 1800 * time.Millisecond, 2100 * time.Millisecond} {
		junit := filepath.Join(t.TempDir(), "report.xml")
		cmd := exec.Command(os.Args[0], "run", "--concurrency", "1", "--format", "progress,junit:"+junit, f)
		cmd.Env = append(os.Environ(), "PERSISTCHECK_TEST_MAIN=1")
		var out, errOut bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &errOut
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		host, _ := os.Hostname()
		owner := map[string]string{harness.LabelOwner: host + ":" + strconv.Itoa(cmd.Process.Pid)}
		e, err := docker.New(context.Background(), nil)
		if err != nil {
			t.Fatal(err)
		}
		deadline := time.Now().Add(time.Minute)
		for time.Now().Before(deadline) {
			if left, _ := e.Labelled(context.Background(), owner); len(left) > 0 {
				break
			}
			time.Sleep(10 * time.Millisecond)
		}
		time.Sleep(after)
		cmd.Process.Signal(os.Interrupt)
		cmd.Wait()
		code := cmd.ProcessState.ExitCode()
		left, _ := e.Labelled(context.Background(), owner)
		// Podman's dangling anonymous volumes carry no labels: the run
		// records them, and must have removed them, and the record.
		records, _ := filepath.Glob(filepath.Join(os.TempDir(), "persistcheck-anonymous", "*", host+"_"+strconv.Itoa(cmd.Process.Pid)+".jsonl"))
		left = append(left, records...)
		e.RemoveLabelled(context.Background(), owner)
		e.Close()
		if code != exitInterrupted && code != exitPassed {
			t.Errorf("interrupted %s after the first object: exit %d, want 130\n%s\n%s", after, code, out.String(), errOut.String())
		}
		if len(left) > 0 {
			t.Errorf("interrupted %s after the first object: left %v\n%s", after, left, errOut.String())
		}
		if code != exitInterrupted {
			continue // it finished first
		}
		if !strings.Contains(out.String(), "The run was interrupted") || !strings.Contains(errOut.String(), "interrupted") {
			t.Errorf("interrupted %s after the first object: the reports do not say so:\n%s\n%s", after, out.String(), errOut.String())
		}
		r := readJUnit(t, junit)
		if r.Tests != 2 || r.Failures != 0 || r.Errors != 0 || r.Skipped < 1 {
			t.Errorf("interrupted %s after the first object: JUnit tests=%d failures=%d errors=%d skipped=%d, want 2 tests, no failure or error, at least one skipped",
				after, r.Tests, r.Failures, r.Errors, r.Skipped)
		}
	}
}

// TestReaderGoneStillCleansUp runs persistcheck into a pipe that its reader
// closes at once, as `persistcheck run | head -1` does: the run must go on
// to its end and remove what it created, not die of SIGPIPE.
func TestReaderGoneStillCleansUp(t *testing.T) {
	f := feature(t, passing)
	cmd := exec.Command(os.Args[0], "run", "--format", "pretty", f)
	cmd.Env = append(os.Environ(), "PERSISTCHECK_TEST_MAIN=1")
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stdout, cmd.Stderr = w, w
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	w.Close()
	r.Close() // the reader is gone before the first line
	cmd.Wait()
	if status, ok := cmd.ProcessState.Sys().(syscall.WaitStatus); ok && status.Signaled() {
		t.Fatalf("persistcheck died of %v", status.Signal())
	}
	host, _ := os.Hostname()
	e, err := docker.New(context.Background(), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	owner := map[string]string{harness.LabelOwner: host + ":" + strconv.Itoa(cmd.Process.Pid)}
	if left, _ := e.Labelled(context.Background(), owner); len(left) > 0 {
		e.RemoveLabelled(context.Background(), owner)
		t.Errorf("left behind %v", left)
	}
	if code := cmd.ProcessState.ExitCode(); code != exitPassed {
		t.Errorf("exit %d, want 0: the run itself passed", code)
	}
}
