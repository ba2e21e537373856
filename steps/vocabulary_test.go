package steps

import (
	"strings"
	"testing"
)

// design holds the phrases of docs/design.md that this version
// implements, verbatim, keyword dropped as godog drops it.
var design = []string{
	// Setup
	`a volume "data"`,
	`a host folder "shared"`,
	`a container "app" from image "persistcheck/app"`,
	`a container "app" built from "fixtures/myapp"`,
	`"app" runs "server --port 8080"`,
	`"app" mounts volume "data" at "/data"`,
	`"app" mounts an anonymous volume at "/cache"`,
	`"app" mounts host folder "shared" at "/shared"`,
	`"app" mounts a tmpfs at "/scratch"`,
	`"app" has environment "MODE=strict"`,
	`"app" has a memory limit of "64m"`,
	`"app" restarts on failure`,
	`"app" is ready when its log shows "ready to accept connections"`,
	`"app" is ready when "redis-cli ping" succeeds`,
	`"app" is ready when port "5432" listens`,
	`"app" is ready when healthy`,
	`"app" may take "3m" to become ready`,
	// Lifecycle and faults
	`the container "app" is started`,
	`I kill the container "app"`,
	`I kill the container "app" with "SIGTERM"`,
	`I stop the container "app"`,
	`I start the container "app"`,
	`I restart the container "app"`,
	`I pause the container "app"`,
	`I unpause the container "app"`,
	`I remove the container "app"`,
	`I remove the container "app" with its volumes`,
	`I launch the container "app" again`,
	`I recreate the container "app"`,
	`I upgrade the container "app" to image "myapp:2.0"`,
	// Sentinels
	`I write a sentinel "s1" to "/data/s1" in "app"`,
	`the sentinel "s1" is intact in "app"`,
	`the sentinel "s1" is gone from "app"`,
	`the sentinel "s1" is intact in "reader"`,
	`I write sentinels in "app":`,
	`in "app" the sentinels are:`,
	// Commands
	`I run "redis-cli SET k1 v1" in "cache"`,
	`the command succeeds`,
	`the command fails`,
	`the output is "v1"`,
	`the output contains "PONG"`,
	`the file "/data/app.conf" in "app" contains "mode=strict"`,
	`the file "/tmp/x" in "app" does not exist`,
}

func TestEveryDesignPhraseMatchesExactlyOneStep(t *testing.T) {
	for _, phrase := range design {
		if got := Match(phrase); len(got) != 1 {
			t.Errorf("%q matches %d steps %q, want exactly 1", phrase, len(got), got)
		}
	}
}

// Each step's own example matches that step and no other, so `persistcheck
// steps` shows phrases that work as shown.
func TestEveryExampleMatchesItsOwnStep(t *testing.T) {
	for _, p := range Vocabulary() {
		text := strings.SplitN(p.Example, "\n", 2)[0]
		_, text, _ = strings.Cut(text, " ") // drop Given/When/Then/And
		got := Match(text)
		if len(got) != 1 || got[0] != p.Example {
			t.Errorf("example %q matches %q, want only its own step", text, got)
		}
	}
}

// Near misses are not steps: godog would otherwise run something else than
// what the scenario says.
func TestNearMissesMatchNothing(t *testing.T) {
	for _, text := range []string{
		`I kill the container app`,                  // unquoted
		`I kill the container "app" with SIGTERM`,   // unquoted signal
		`the sentinel "s1" is intact`,               // no container
		`I remove the container "app" with volumes`, // not the phrase
		`a volume "data" `,                          // trailing blank
		`"app" mounts volume "data"`,                // no target
	} {
		if got := Match(text); len(got) != 0 {
			t.Errorf("%q matches %q, want nothing", text, got)
		}
	}
}

func TestQuotedArgumentsUnescapeAndExpand(t *testing.T) {
	w := &world{lookup: func(name string) (string, bool) {
		v, ok := map[string]string{"TAG": "2.0"}[name]
		return v, ok
	}}
	for in, want := range map[string]string{
		`myapp:${TAG}`:        "myapp:2.0",
		`sh -c \"echo $i\"`:   `sh -c "echo $i"`,
		`${MISSING:-default}`: "default",
		`back\\slash`:         `back\slash`,
	} {
		got, err := w.arg(in)
		if err != nil || got != want {
			t.Errorf("arg(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	if _, err := w.arg(`${MISSING}`); err == nil || !strings.Contains(err.Error(), "MISSING") {
		t.Errorf("arg(${MISSING}) = %v, want an error naming MISSING", err)
	}
}
