package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/cucumber/godog"

	"github.com/persistcheck/persistcheck/features"
	"github.com/persistcheck/persistcheck/harness"
	"github.com/persistcheck/persistcheck/harness/docker"
	"github.com/persistcheck/persistcheck/steps"
)

const runUsage = `usage: persistcheck run [flags] [PATH...]

Runs the scenarios of the feature files and folders given, or of the built-in
features when none is. Folders named by scenarios ("built from ...") are
relative to their feature file. Every step is checked against the vocabulary
before any container starts.

flags:
`

// formatNames are godog's formatters that a run accepts, each optionally with
// :FILE to write to a file instead of standard output.
var formatNames = []string{"pretty", "progress", "junit", "cucumber", "events"}

func runCmd(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fset := flag.NewFlagSet("run", flag.ContinueOnError)
	var format list
	fset.Var(&format, "format", "output formats, comma-separated: pretty, progress, junit[:FILE], cucumber[:FILE], events (default pretty)")
	tags := fset.String("tags", "", "run only scenarios whose tags match, e.g. '@fast && ~@slow'")
	concurrency := fset.Int("concurrency", 4, "scenarios run side by side")
	keep := fset.Bool("keep", false, "leave the containers, volumes and folders of failed scenarios for debugging")
	shardFlag := fset.String("shard", "", "run only shard I of N, e.g. 2/4, splitting scenarios evenly")
	timeout := fset.Duration("timeout", harness.DefaultTimeout, "deadline of each lifecycle operation, readiness included")
	grace := fset.Duration("grace", harness.DefaultGrace, "how long a graceful stop waits before SIGKILL")
	verbose := fset.Bool("v", false, "show image builds and engine chatter on standard error")
	fset.Usage = func() { fmt.Fprint(stderr, runUsage); fset.PrintDefaults() }
	paths, code, ok := parse(fset, args, stderr)
	if !ok {
		return code
	}
	if len(format) == 0 {
		format = list{"pretty"}
	}
	if err := checkFormats(format); err != nil {
		return usageError(stderr, "run", "%v", err)
	}
	sh, err := parseShard(*shardFlag)
	if err != nil {
		return usageError(stderr, "run", "%v", err)
	}
	if *concurrency < 1 || *timeout <= 0 || *grace <= 0 {
		return usageError(stderr, "run", "--concurrency, --timeout and --grace must be positive")
	}

	// The built-in features, embedded, when no path is given.
	var fsys fs.FS
	if len(paths) == 0 {
		fsys, paths = features.FS, []string{"."}
	}
	p, err := makePlan(fsys, paths, *tags, sh)
	switch {
	case err != nil:
		fmt.Fprintf(stderr, "persistcheck run: %v\n", err)
		return exitInvalid
	case len(p.problems) > 0:
		fmt.Fprintf(stderr, "persistcheck run: %d steps are not in the vocabulary; nothing was run:\n  %s\n", len(p.problems), strings.Join(p.problems, "\n  "))
		return exitInvalid
	case p.scenarios == 0 && sh.n > 1:
		fmt.Fprintf(stderr, "persistcheck run: shard %d/%d has no scenarios\n", sh.i, sh.n)
		return exitPassed
	case p.scenarios == 0:
		fmt.Fprintf(stderr, "persistcheck run: no scenario in %s matches tags %q\n", strings.Join(paths, " "), *tags)
		return exitInvalid
	}

	var logs io.Writer
	if *verbose {
		logs = stderr
	}
	engine, err := docker.New(ctx, logs)
	if err != nil {
		fmt.Fprintf(stderr, "persistcheck run: %v\n", err)
		if ctx.Err() != nil {
			return exitInterrupted
		}
		return exitInfra
	}
	lib := steps.New(steps.Options{
		FS:     fsys,
		Keep:   *keep,
		Run:    harness.RunOptions{Timeout: *timeout, Grace: *grace},
		Engine: func(context.Context) (harness.Engine, error) { return engine, nil },
		Log:    stderr,
	})
	status := godog.TestSuite{
		Name:                "persistcheck",
		ScenarioInitializer: lib.InitializeScenario,
		Options: &godog.Options{
			Format:         format.String(),
			Tags:           *tags,
			Concurrency:    *concurrency,
			Strict:         true,
			Paths:          p.paths,
			FS:             fsys,
			Output:         stdout,
			NoColors:       !isTerminal(stdout),
			DefaultContext: ctx,
		},
	}.Run()
	leaked, err := lib.Close(context.WithoutCancel(ctx))
	if len(leaked) > 0 {
		fmt.Fprintf(stderr, "persistcheck run: removed what scenarios left behind: %s\n", strings.Join(leaked, ", "))
	}
	if err != nil {
		fmt.Fprintf(stderr, "persistcheck run: %v\n", err)
	}
	return exitCode(ctx, status, lib, err)
}

// exitCode decides the run's exit code: input must be fixed before the
// infrastructure can be judged, and the infrastructure before findings can
// be trusted.
func exitCode(ctx context.Context, status int, lib *steps.Library, cleanup error) int {
	if ctx.Err() != nil {
		return exitInterrupted
	}
	if status == exitInvalid { // godog's own option errors, such as an unwritable report
		return exitInvalid
	}
	_, failed := lib.Outcome()
	switch {
	case failed[harness.Invalid] > 0:
		return exitInvalid
	case failed[harness.Infrastructure] > 0 || cleanup != nil:
		return exitInfra
	case len(failed) > 0 || status != 0:
		return exitFailed
	}
	return exitPassed
}

// checkFormats checks each format and that a report file can be created
// where it is named.
func checkFormats(formats list) error {
	for _, f := range formats {
		name, file, hasFile := strings.Cut(f, ":")
		if !slices.Contains(formatNames, name) {
			return fmt.Errorf("unknown format %q: use %s", name, strings.Join(formatNames, ", "))
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

func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	info, err := f.Stat()
	return err == nil && info.Mode()&os.ModeCharDevice != 0
}
