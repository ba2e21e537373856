// Package persistcheck runs persistence scenarios, Gherkin features that
// start real containers, write sentinel data into every kind of storage
// they have, inject lifecycle faults and check what survived. It is what
// the persistcheck command runs, and what a Go test calls to get the same
// run: Run(t, "features").
//
// A run first parses every feature and checks each scenario against the
// step vocabulary (undefined steps, undeclared names, unknown states,
// sentinels never written, unset variables) before any container starts;
// then runs the scenarios with godog, strictly, side by side; then removes
// whatever they left and reports. Its exit code says what went wrong first:
// invalid input (2) before infrastructure (3) before findings (1).
package persistcheck

import (
	"context"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cucumber/godog"
	"github.com/cucumber/godog/formatters"
	"github.com/google/uuid"

	"github.com/persistcheck/persistcheck/cluster"
	"github.com/persistcheck/persistcheck/harness"
	"github.com/persistcheck/persistcheck/harness/docker"
	"github.com/persistcheck/persistcheck/harness/kubernetes"
	"github.com/persistcheck/persistcheck/report"
	"github.com/persistcheck/persistcheck/steps"
)

// Exit codes of a run.
const (
	ExitPassed      = 0   // every scenario passed
	ExitFailed      = 1   // a scenario failed: data lost, an assertion about the system did not hold
	ExitInvalid     = 2   // invalid input: undefined step, bad flag, malformed feature, unset variable
	ExitInfra       = 3   // infrastructure: engine unreachable, image missing, timeout, cleanup failed
	ExitInterrupted = 130 // stopped by an interruption, after cleaning up
)

// Formats are the report formats a run writes, each optionally with :FILE.
var Formats = []string{"pretty", "progress", "junit", "cucumber", "events"}

// Options configure a run. The zero value runs the features under "." with
// the defaults.
type Options struct {
	Paths       []string // feature files and folders; in FS when it is set
	FS          fs.FS    // nil: the operating system's files
	Tags        string   // e.g. "@fast && ~@slow"
	Concurrency int      // scenarios side by side; default 4
	Shard       Shard    // zero: every scenario
	Keep        bool     // leave what failed scenarios created, for debugging
	Timeout     time.Duration
	Grace       time.Duration
	// Formats are the reports, e.g. "pretty", "junit:report.xml"; default
	// pretty. A report with a file is written even when the run stops
	// before any container starts, with the problems in it.
	Formats []string
	Stdout  io.Writer // reports without a file; default os.Stdout
	Stderr  io.Writer // what the run has to say beyond reports; default os.Stderr
	Verbose bool      // image builds and engine chatter on Stderr
	Colors  bool      // colour the terminal reports
	// EngineKind is the engine to run on when Engine is nil: "docker" (the
	// default: the Docker Engine API at DOCKER_HOST, which may be Podman's),
	// "podman" (Podman only: DOCKER_HOST, or its socket where it listens by
	// default) or "kubernetes", on the cluster Kubernetes names.
	EngineKind string
	Kubernetes kubernetes.Options
	// Engine connects to the container engine; nil: the one EngineKind names.
	Engine func(ctx context.Context, logs io.Writer) (harness.Engine, error)
	// Lookup resolves ${VAR} in steps; nil: the environment.
	Lookup func(string) (string, bool)

	testingT *testing.T // scenarios as subtests of a Go test
}

// Result is what a run did.
type Result struct {
	Code     int         // the exit code
	Tally    steps.Tally // scenarios by outcome
	Problems []Problem   // found before the run, which then did not start
	Leaked   []string    // what scenarios left behind, removed at the end
	Err      error       // what stopped the run, if anything did
}

// Execute runs the scenarios opts selects and returns what happened. ctx
// ending interrupts the run: scenarios not yet run are skipped, what was
// created is removed, and the code is ExitInterrupted.
func Execute(ctx context.Context, opts Options) Result {
	opts.defaults()
	fail := func(code int, format string, args ...any) Result {
		err := fmt.Errorf(format, args...)
		fmt.Fprintf(opts.Stderr, "persistcheck run: %v\n", err)
		return Result{Code: code, Err: err}
	}
	if err := checkFormats(opts.Formats); err != nil {
		return fail(ExitInvalid, "%v", err)
	}
	if opts.Engine == nil {
		return fail(ExitInvalid, "unknown engine %q: use docker, podman or kubernetes", opts.EngineKind)
	}
	p, err := makePlan(opts.FS, opts.Paths, opts.Tags, opts.Shard, opts.Lookup)
	if err != nil {
		p.problems = []Problem{{URI: strings.Join(opts.Paths, " "), Message: err.Error()}}
	}
	switch {
	case len(p.problems) > 0:
		var lines []string
		for _, pr := range p.problems {
			lines = append(lines, pr.String())
		}
		fmt.Fprintf(opts.Stderr, "persistcheck run: %s in the features; nothing was run:\n  %s\n", plural(len(p.problems), "problem"), strings.Join(lines, "\n  "))
		if err := writeProblems(opts.Formats, p.problems); err != nil {
			fmt.Fprintf(opts.Stderr, "persistcheck run: %v\n", err)
		}
		return Result{Code: ExitInvalid, Problems: p.problems, Err: fmt.Errorf("%s in the features", plural(len(p.problems), "problem"))}
	case p.scenarios == 0 && opts.Shard.N > 1:
		fmt.Fprintf(opts.Stderr, "persistcheck run: shard %d/%d has no scenarios\n", opts.Shard.I, opts.Shard.N)
		return Result{Code: ExitPassed}
	case p.scenarios == 0:
		return fail(ExitInvalid, "no scenario in %s matches tags %q", strings.Join(opts.Paths, " "), opts.Tags)
	}

	var logs io.Writer
	if opts.Verbose {
		logs = opts.Stderr
	}
	engine, err := opts.Engine(ctx, logs)
	if err != nil {
		switch {
		case ctx.Err() != nil:
			return fail(ExitInterrupted, "interrupted while connecting to the engine")
		case harness.KindOf(err) == harness.Invalid:
			return fail(ExitInvalid, "%v", err)
		}
		return fail(ExitInfra, "%v", err)
	}
	id := harness.IdentityOf(engine)
	fmt.Fprintf(opts.Stderr, "persistcheck run: on %s\n", id)
	// Scenarios tagged for other engines are left out.
	tags := harness.AndTags(opts.Tags, harness.EngineTags(id.Kind))
	if p, err = makePlan(opts.FS, opts.Paths, tags, opts.Shard, opts.Lookup); err != nil {
		return fail(ExitInvalid, "%v", err)
	}
	if p.scenarios == 0 && opts.Shard.N == 1 {
		return fail(ExitInvalid, "every scenario in %s that matches tags %q is tagged for an engine other than %s (@%s); tag one @%s, or leave the engine tags off to run it on every engine",
			strings.Join(opts.Paths, " "), opts.Tags, id.Name, strings.Join(slices.DeleteFunc(slices.Clone(harness.EngineKinds), func(k string) bool { return k == id.Kind }), ", @"), id.Kind)
	}
	lib := steps.New(steps.Options{
		FS:     opts.FS,
		Keep:   opts.Keep,
		Lookup: opts.Lookup,
		Run:    harness.RunOptions{Timeout: opts.Timeout, Grace: opts.Grace},
		Engine: func(context.Context) (harness.Engine, error) { return engine, nil },
		Log:    opts.Stderr,
	})
	suite := register(engined{lib, id})
	defer unregister(suite)
	status := godog.TestSuite{
		Name:                suite,
		ScenarioInitializer: lib.InitializeScenario,
		Options: &godog.Options{
			Format:         formatNames(opts.Formats),
			Tags:           tags,
			Concurrency:    opts.Concurrency,
			Strict:         true,
			Paths:          p.paths,
			FS:             opts.FS,
			Output:         opts.Stdout,
			NoColors:       !opts.Colors,
			DefaultContext: ctx,
			TestingT:       opts.testingT,
		},
	}.Run()
	leaked, cerr := lib.Close(context.WithoutCancel(ctx))
	if len(leaked) > 0 {
		fmt.Fprintf(opts.Stderr, "persistcheck run: removed what scenarios left behind: %s\n", strings.Join(leaked, ", "))
	}
	if cerr != nil {
		fmt.Fprintf(opts.Stderr, "persistcheck run: %v\n", cerr)
	}
	res := Result{Tally: lib.Outcome(), Leaked: leaked, Err: cerr}
	res.Code = exitCode(ctx, status, res.Tally, cerr)
	if res.Code == ExitInterrupted {
		fmt.Fprintf(opts.Stderr, "persistcheck run: interrupted; %d scenarios passed, %d failed, %d were skipped, and what the run created was removed\n",
			res.Tally.Passed, failures(res.Tally), res.Tally.Skipped)
	}
	return res
}

func (o *Options) defaults() {
	if len(o.Paths) == 0 {
		o.Paths = []string{"."}
	}
	if o.Concurrency <= 0 {
		o.Concurrency = 4
	}
	if o.Shard.N == 0 {
		o.Shard = Shard{1, 1}
	}
	if len(o.Formats) == 0 {
		o.Formats = []string{"pretty"}
	}
	if o.Stdout == nil {
		o.Stdout = os.Stdout
	}
	if o.Stderr == nil {
		o.Stderr = os.Stderr
	}
	if o.Lookup == nil {
		o.Lookup = os.LookupEnv
	}
	if o.Engine == nil {
		o.Engine = EngineOf(o.EngineKind, o.Kubernetes)
	}
}

// EngineOf returns what connects to the engine of kind ("" is docker),
// or nil for a kind there is none of. Kubernetes' images come from the
// Docker engine.
func EngineOf(kind string, k kubernetes.Options) func(ctx context.Context, logs io.Writer) (harness.Engine, error) {
	switch kind {
	case "", harness.DockerKind:
		return func(ctx context.Context, logs io.Writer) (harness.Engine, error) { return docker.New(ctx, logs) }
	case harness.PodmanKind:
		return func(ctx context.Context, logs io.Writer) (harness.Engine, error) { return docker.NewPodman(ctx, logs) }
	case harness.KubernetesKind:
		return func(ctx context.Context, logs io.Writer) (harness.Engine, error) {
			d, err := docker.New(ctx, logs)
			if err != nil {
				return nil, harness.Wrap("reach the Docker engine that the cluster's images come from", harness.Infrastructure, err)
			}
			if k.ClusterDir == "" {
				k.ClusterDir = cluster.Dir()
			}
			if k.Kubeconfig == "" && !kubeconfigNamed() {
				// Nothing names a cluster: the project's own, if it is up.
				if c, err := cluster.Load(k.ClusterDir); err == nil {
					k.Kubeconfig = c.Kubeconfig
				}
			}
			e, err := kubernetes.New(ctx, d, k)
			if err != nil {
				d.Close()
				return nil, err
			}
			return e, nil
		}
	}
	return nil
}

// kubeconfigNamed reports whether KUBECONFIG or ~/.kube/config names a
// cluster.
func kubeconfigNamed() bool {
	if os.Getenv("KUBECONFIG") != "" {
		return true
	}
	home, err := os.UserHomeDir()
	if err != nil {
		return false
	}
	_, err = os.Stat(filepath.Join(home, ".kube", "config"))
	return err == nil
}

// exitCode decides the run's exit code: input must be fixed before the
// infrastructure can be judged, and the infrastructure before findings can
// be trusted.
func exitCode(ctx context.Context, status int, t steps.Tally, cleanup error) int {
	switch {
	case ctx.Err() != nil && (t.Skipped > 0 || t.Passed+failures(t) == 0):
		// An interruption that came after every scenario had ended
		// changed nothing: the reports are whole, and the verdict stands.
		return ExitInterrupted
	case status == ExitInvalid: // godog's own option errors, such as an unwritable report
		return ExitInvalid
	case t.Failed[harness.Invalid] > 0:
		return ExitInvalid
	case t.Failed[harness.Infrastructure] > 0 || cleanup != nil:
		return ExitInfra
	case failures(t) > 0 || status != 0:
		return ExitFailed
	}
	return ExitPassed
}

func failures(t steps.Tally) int {
	n := 0
	for _, c := range t.Failed {
		n += c
	}
	return n
}

// checkFormats checks each format and that a report file can be created
// where it is named.
func checkFormats(formats []string) error {
	for _, f := range formats {
		name, file, hasFile := strings.Cut(f, ":")
		if !slices.Contains(Formats, name) {
			return fmt.Errorf("unknown format %q: use %s", name, strings.Join(Formats, ", "))
		}
		if hasFile {
			if file == "" {
				return fmt.Errorf("format %q names no file", f)
			}
			if info, err := os.Stat(filepath.Dir(file)); err != nil || !info.IsDir() {
				return fmt.Errorf("format %q: no folder %s to write the report in", f, filepath.Dir(file))
			}
		}
	}
	return nil
}

// The formatters of persistcheck's own reports are registered with godog
// once; each run finds what it reports on by its suite's name.
var (
	sourcesMu sync.Mutex
	sources   = map[string]report.Source{}
	ours      = map[string]func(report.Source) formatters.FormatterFunc{
		"pretty":   report.Pretty,
		"progress": report.Progress,
		"junit":    report.JUnit,
	}
)

func init() {
	for name, f := range ours {
		godog.Format("persistcheck-"+name, "persistcheck's "+name+" report", func(suite string, out io.Writer) formatters.Formatter {
			sourcesMu.Lock()
			src := sources[suite]
			sourcesMu.Unlock()
			return f(src)(suiteTitle, out)
		})
	}
}

// suiteTitle is what reports call a run.
const suiteTitle = "persistcheck"

// engined is a run's source of what its reports say, with its engine.
type engined struct {
	report.Source
	id harness.Identity
}

func (e engined) Engine() harness.Identity { return e.id }

func register(src report.Source) string {
	name := suiteTitle + " " + uuid.NewString()
	sourcesMu.Lock()
	sources[name] = src
	sourcesMu.Unlock()
	return name
}

func unregister(name string) {
	sourcesMu.Lock()
	delete(sources, name)
	sourcesMu.Unlock()
}

// formatNames maps the formats a user names to godog's: persistcheck's own
// pretty, progress and JUnit; godog's cucumber and events.
func formatNames(formats []string) string {
	out := make([]string, len(formats))
	for i, f := range formats {
		name, file, hasFile := strings.Cut(f, ":")
		if _, ok := ours[name]; ok {
			name = "persistcheck-" + name
		}
		if hasFile {
			name += ":" + file
		}
		out[i] = name
	}
	return strings.Join(out, ",")
}

func plural(n int, thing string) string {
	if n == 1 {
		return "1 " + thing
	}
	return fmt.Sprintf("%d %ss", n, thing)
}

// lockedWriter serialises writes from scenarios that run side by side.
type lockedWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}
