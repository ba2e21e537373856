package persistcheck

import (
	"context"
	"io/fs"
	"strings"
	"testing"
	"time"

	"github.com/persistcheck/persistcheck/harness/kubernetes"
)

// Option changes how Run runs.
type Option func(*Options)

// Tags runs only the scenarios whose tags match expr, e.g. "@fast && ~@slow".
func Tags(expr string) Option { return func(o *Options) { o.Tags = expr } }

// Concurrency runs n scenarios side by side (default 4).
func Concurrency(n int) Option { return func(o *Options) { o.Concurrency = n } }

// InShard runs only the i-th of n even shares of the scenarios (1-based).
func InShard(i, n int) Option { return func(o *Options) { o.Shard = Shard{i, n} } }

// Keep leaves what failed scenarios created, for debugging.
func Keep() Option { return func(o *Options) { o.Keep = true } }

// Timeout bounds each lifecycle operation, readiness included (default 1m).
func Timeout(d time.Duration) Option { return func(o *Options) { o.Timeout = d } }

// Format writes reports, e.g. "progress", "junit:report.xml" (default
// progress).
func Format(formats ...string) Option { return func(o *Options) { o.Formats = formats } }

// FromFS reads the features, and the folders they build, from fsys, e.g.
// an embed.FS.
func FromFS(fsys fs.FS) Option { return func(o *Options) { o.FS = fsys } }

// OnEngine runs on the engine of kind: "docker" (the default) or
// "kubernetes", on the cluster k names.
func OnEngine(kind string, k kubernetes.Options) Option {
	return func(o *Options) { o.EngineKind, o.Kubernetes = kind, k }
}

// Run runs the features at path (a file or a folder) as a Go test, the same
// run the persistcheck command makes: every scenario is checked against the
// vocabulary before any container starts, runs strictly as a subtest, and
// what it created is removed when it ends. The test fails on a problem in
// the features, a failed scenario, anything left behind, or no scenario
// run at all.
func Run(t *testing.T, path string, options ...Option) Result {
	t.Helper()
	opts := Options{Paths: []string{path}, Formats: []string{"progress"}, testingT: t}
	for _, o := range options {
		o(&opts)
	}
	var stderr strings.Builder
	opts.Stderr = &lockedWriter{w: &stderr}
	res := Execute(context.Background(), opts)
	if msg := strings.TrimSpace(stderr.String()); msg != "" {
		t.Log(msg)
	}
	switch {
	case len(res.Problems) > 0:
		t.Fatalf("persistcheck: %s in the features; nothing was run", plural(len(res.Problems), "problem"))
	case res.Code != ExitPassed:
		t.Errorf("persistcheck: exit %d: %d scenarios passed, %d failed %v, %d skipped; %v", res.Code, res.Tally.Passed, failures(res.Tally), res.Tally.Failed, res.Tally.Skipped, res.Err)
	case len(res.Leaked) > 0:
		t.Errorf("persistcheck: scenarios left behind %v", res.Leaked)
	case res.Tally.Passed == 0:
		t.Errorf("persistcheck: no scenario ran in %s", path)
	}
	return res
}
