// Package steps is persistcheck's step library for godog: the vocabulary of
// docs/design.md, bound to the harness. Plug it into any godog suite
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
	"reflect"
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

	mu        sync.Mutex
	run       *harness.Run
	engine    harness.Engine
	tally     Tally
	kept      bool
	scenarios map[string]*Record // by pickle id
}

// Tally counts the scenarios of a run by outcome.
type Tally struct {
	Passed  int
	Skipped int                  // not run, or cut short, because the run was interrupted
	Failed  map[harness.Kind]int // by the kind of failure; never Unknown
}

// Record is what the library knows of one scenario, beyond godog's events.
type Record struct {
	Start, End time.Time
	// Kind is the kind of the scenario's failure: Unknown when it passed or
	// was skipped. An error of no declared kind, a panic among them, is
	// Infrastructure: never a finding.
	Kind harness.Kind
	// Interrupted says how an interruption of the run stopped the
	// scenario: "" when it did not, "before it started", or the step it
	// cut short and the error that step then saw.
	Interrupted string
	Cleanup     error // removing what the scenario created failed
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
	if opts.Run.Progress == nil {
		opts.Run.Progress = opts.Log
	}
	if opts.Engine == nil {
		opts.Engine = func(ctx context.Context) (harness.Engine, error) { return docker.New(ctx, nil) }
	}
	return &Library{opts: opts, tally: Tally{Failed: map[harness.Kind]int{}}, scenarios: map[string]*Record{}}
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
// scenario its own world and remove what it created when it ends. Once the
// run's context ends (an interruption), steps that have not run are skipped,
// and an error a step then sees is the interruption's, not a finding: the
// scenario counts as skipped.
func (l *Library) InitializeScenario(sc *godog.ScenarioContext) {
	w := &world{lookup: l.opts.Lookup, log: l.opts.Log}
	sc.Before(func(ctx context.Context, s *godog.Scenario) (context.Context, error) {
		w.rec = l.begin(s.Id)
		if ctx.Err() != nil {
			w.rec.Interrupted = "before it started"
			return ctx, nil // its steps skip themselves
		}
		run, err := l.connect(ctx)
		if err != nil {
			if ctx.Err() != nil {
				w.rec.Interrupted = "before it started"
				return ctx, nil
			}
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
		sc.Step(d.pattern, w.guard(d.handler))
	}
}

// guard wraps a step handler: it expands the ${VAR}s of every quoted
// argument before the handler sees it; once ctx has ended, the step is
// skipped, and an error it returns is recorded as where the interruption
// cut the scenario short, not reported as a failure.
func (w *world) guard(handler any) any {
	h := reflect.ValueOf(handler)
	ctxType := reflect.TypeFor[context.Context]()
	if h.Type().NumIn() == 0 || h.Type().In(0) != ctxType || h.Type().NumOut() != 1 {
		panic(fmt.Sprintf("step handler %s must take a context first and return an error", h.Type()))
	}
	skip := []reflect.Value{reflect.ValueOf(&godog.ErrSkip).Elem()}
	return reflect.MakeFunc(h.Type(), func(args []reflect.Value) []reflect.Value {
		ctx := args[0].Interface().(context.Context)
		if ctx.Err() != nil {
			return skip
		}
		for i, a := range args[1:] {
			if a.Kind() != reflect.String {
				continue
			}
			v, err := w.arg(a.String())
			if err != nil {
				return []reflect.Value{reflect.ValueOf(&err).Elem()}
			}
			args[i+1] = reflect.ValueOf(v)
		}
		out := h.Call(args)
		if err, _ := out[0].Interface().(error); err != nil && ctx.Err() != nil {
			if w.rec != nil && w.rec.Interrupted == "" {
				w.rec.Interrupted = "cut short: " + firstLine(err.Error())
			}
			return skip
		}
		return out
	}).Interface()
}

func firstLine(s string) string {
	line, _, _ := strings.Cut(s, "\n")
	return line
}

// begin records the start of the scenario id.
func (l *Library) begin(id string) *Record {
	l.mu.Lock()
	defer l.mu.Unlock()
	r := &Record{Start: time.Now()}
	l.scenarios[id] = r
	return r
}

// Scenario returns what the library recorded of the scenario with the pickle
// id given: its times, the kind of its failure, and whether an interruption
// stopped it. It is complete once godog has reported the scenario's last
// step.
func (l *Library) Scenario(id string) Record {
	l.mu.Lock()
	defer l.mu.Unlock()
	if r := l.scenarios[id]; r != nil {
		return *r
	}
	return Record{}
}

// finish records the scenario's outcome and removes what it created, or
// keeps it when it failed and Keep is set.
func (l *Library) finish(ctx context.Context, w *world, s *godog.Scenario, err error) error {
	if errors.Is(err, godog.ErrSkip) || w.rec.Interrupted != "" {
		err = nil // the interruption's: recorded as such
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
	w.rec.End, w.rec.Cleanup = time.Now(), cerr
	switch {
	case err != nil || cerr != nil:
		w.rec.Kind = harness.Worse(classify(err), classify(cerr))
		l.tally.Failed[w.rec.Kind]++
	case w.rec.Interrupted != "":
		l.tally.Skipped++
	default:
		l.tally.Passed++
	}
	return cerr
}

// classify returns the kind of a scenario's error. Steps that match no
// definition are invalid input; an error of no declared kind, a panic
// among them, is Infrastructure: never a finding.
func classify(err error) harness.Kind {
	switch {
	case err == nil:
		return harness.Unknown
	case errors.Is(err, godog.ErrUndefined) || errors.Is(err, godog.ErrAmbiguous) || errors.Is(err, godog.ErrPending):
		return harness.Invalid
	case harness.KindOf(err) == harness.Unknown:
		return harness.Infrastructure
	}
	return harness.KindOf(err)
}

// Outcome returns how many scenarios passed, were skipped by an
// interruption, and failed by the kind of their failure.
func (l *Library) Outcome() Tally {
	l.mu.Lock()
	defer l.mu.Unlock()
	t := l.tally
	t.Failed = make(map[harness.Kind]int, len(l.tally.Failed))
	for k, n := range l.tally.Failed {
		t.Failed[k] = n
	}
	return t
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
