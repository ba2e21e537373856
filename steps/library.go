// Package steps is persistcheck's step library for godog: the vocabulary of
// DESIGN.md section 2, bound to the harness. Plug it into any godog suite
// with InitializeScenario, or build a Library with options.
package steps

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/cucumber/godog"

	"github.com/persistcheck/persistcheck/harness"
	"github.com/persistcheck/persistcheck/harness/docker"
)

// cleanupTimeout bounds the removal of one scenario's objects.
const cleanupTimeout = 2 * time.Minute

// Options configure a Library. The zero value is ready to use.
type Options struct {
	// FS holds the feature files, as in godog.Options.FS; Dockerfile folders
	// named by scenarios are read from it too. nil: the operating system's.
	FS fs.FS
	// Keep leaves the containers, volumes and host folders of failed
	// scenarios in place for debugging, and says where they are.
	Keep bool
	// Lookup resolves ${VAR} in step arguments. nil: os.LookupEnv.
	Lookup func(string) (string, bool)
	// Run tunes timeouts.
	Run harness.RunOptions
	// Engine connects to the container engine. nil: the Docker engine.
	Engine func(context.Context) (harness.Engine, error)
	// Log receives what the library has to tell beyond step results: what a
	// failed scenario kept, cleanup trouble. nil: standard error.
	Log io.Writer
}

// Library is the step library with what its scenarios share: one engine
// connection and one run. It is safe for concurrent scenarios.
type Library struct {
	opts Options

	mu       sync.Mutex
	run      *harness.Run
	engine   harness.Engine
	failures map[harness.Kind]int // failed scenarios by the kind of failure
	passed   int
	kept     bool
}

// New returns a library; it connects to the engine when the first scenario
// starts.
func New(opts Options) *Library {
	if opts.Lookup == nil {
		opts.Lookup = os.LookupEnv
	}
	if opts.Log == nil {
		opts.Log = os.Stderr
	}
	if opts.Engine == nil {
		opts.Engine = func(ctx context.Context) (harness.Engine, error) { return docker.New(ctx, nil) }
	}
	return &Library{opts: opts, failures: map[harness.Kind]int{}}
}

var defaultLibrary = sync.OnceValue(func() *Library { return New(Options{}) })

// InitializeScenario plugs the whole step library into a godog suite, with
// default options. Pair it with InitializeTestSuite, which cleans up after
// the run.
func InitializeScenario(sc *godog.ScenarioContext) { defaultLibrary().InitializeScenario(sc) }

// InitializeTestSuite closes the default library when the suite ends.
func InitializeTestSuite(ts *godog.TestSuiteContext) {
	ts.AfterSuite(func() {
		leaked, err := defaultLibrary().Close(context.Background())
		if len(leaked) > 0 {
			fmt.Fprintf(defaultLibrary().opts.Log, "persistcheck: removed what scenarios left behind: %s\n", strings.Join(leaked, ", "))
		}
		if err != nil {
			fmt.Fprintln(defaultLibrary().opts.Log, "persistcheck:", err)
		}
	})
}

// connect returns the run, connecting to the engine on first use. A failed
// connection is retried by the next scenario.
func (l *Library) connect(ctx context.Context) (*harness.Run, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.run != nil {
		return l.run, nil
	}
	engine, err := l.opts.Engine(ctx)
	if err != nil {
		return nil, err
	}
	l.engine, l.run = engine, harness.NewRun(engine, l.opts.Run)
	return l.run, nil
}

// InitializeScenario registers the steps and the hooks that give each
// scenario its own world and remove what it created when it ends.
func (l *Library) InitializeScenario(sc *godog.ScenarioContext) {
	w := &world{lookup: l.opts.Lookup}
	sc.Before(func(ctx context.Context, s *godog.Scenario) (context.Context, error) {
		if ctx.Err() != nil {
			return ctx, godog.ErrSkip // the run was interrupted
		}
		run, err := l.connect(ctx)
		if err != nil {
			return ctx, err
		}
		w.sc = run.Scenario(s.Name, l.source(s.Uri))
		return ctx, nil
	})
	sc.After(func(ctx context.Context, s *godog.Scenario, err error) (_ context.Context, cerr error) {
		defer func() {
			if p := recover(); p != nil {
				cerr = harness.Errorf(harness.Infrastructure, "clean up scenario %q: panic: %v", s.Name, p)
			}
		}()
		cerr = l.finish(ctx, w, s, err)
		return ctx, cerr
	})
	for _, d := range w.definitions() {
		sc.Step(d.pattern, d.handler)
	}
}

// finish records the scenario's outcome and removes what it created, or
// keeps it when it failed and Keep is set.
func (l *Library) finish(ctx context.Context, w *world, s *godog.Scenario, err error) error {
	if errors.Is(err, godog.ErrSkip) {
		return nil
	}
	keep := l.opts.Keep && err != nil
	var cerr error
	if w.sc != nil {
		cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), cleanupTimeout)
		defer cancel()
		var kept []string
		kept, cerr = w.sc.Close(cctx, keep)
		if len(kept) > 0 {
			sort.Strings(kept)
			fmt.Fprintf(l.opts.Log, "persistcheck: kept for debugging, from failed scenario %q: %s (remove with: persistcheck sweep)\n", s.Name, strings.Join(kept, ", "))
		}
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	l.kept = l.kept || keep
	switch {
	case err != nil:
		l.failures[classify(err)]++
	case cerr != nil:
		l.failures[harness.Infrastructure]++
	default:
		l.passed++
	}
	return cerr
}

// classify returns the kind of a scenario's error. Steps that match no
// definition are invalid input.
func classify(err error) harness.Kind {
	if errors.Is(err, godog.ErrUndefined) || errors.Is(err, godog.ErrAmbiguous) || errors.Is(err, godog.ErrPending) {
		return harness.Invalid
	}
	return harness.KindOf(err)
}

// Outcome returns how many scenarios passed, and how many failed by the kind
// of their failure.
func (l *Library) Outcome() (passed int, failed map[harness.Kind]int) {
	l.mu.Lock()
	defer l.mu.Unlock()
	failed = make(map[harness.Kind]int, len(l.failures))
	for k, n := range l.failures {
		failed[k] = n
	}
	return l.passed, failed
}

// Close removes whatever the run's scenarios left behind, unless some were
// kept, releases the engine, and returns what it had to remove: nothing,
// when every scenario cleaned up after itself.
func (l *Library) Close(ctx context.Context) (leaked []string, err error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.run == nil {
		return nil, nil
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), cleanupTimeout)
	defer cancel()
	leaked, err = l.run.Close(ctx, l.kept)
	if c, ok := l.engine.(io.Closer); ok {
		err = errors.Join(err, c.Close())
	}
	l.run, l.engine = nil, nil
	return leaked, err
}

// source returns where the feature file at uri is, for relative folders.
func (l *Library) source(uri string) harness.Source {
	if l.opts.FS == nil {
		return harness.Source{Dir: filepath.Dir(uri)}
	}
	return harness.Source{FS: l.opts.FS, Dir: path.Dir(uri)}
}
