package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
	"sync"

	"github.com/persistcheck/persistcheck/harness"
	"github.com/persistcheck/persistcheck/harness/docker"
	"github.com/persistcheck/persistcheck/report"
)

const matrixUsage = `usage: persistcheck matrix --image IMG [--path P]... [--cmd "CMD"] [--ready-log TEXT | --ready-cmd "CMD"]
                           [--upgrade-to IMG2] [--format md|json|html] [--out FILE] [--engine docker|podman]

Measures what IMG keeps and loses: a sentinel planted directly in each path,
on each kind of storage (the path as the image leaves it, a named volume, an
anonymous volume, a host folder, a tmpfs), through each lifecycle event
(restart, kill-start, stop-start, pause-unpause, recreate,
remove-volumes-launch, upgrade), against what Docker promises. Exit 0 when
nothing deviates, 1 when a cell does, 2 invalid input, 3 infrastructure.

flags:
`

func matrixCmd(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fset := flag.NewFlagSet("matrix", flag.ContinueOnError)
	image := fset.String("image", "", "the image to measure (required)")
	var paths list
	fset.Var(&paths, "path", "a path where the image keeps data; several allowed (default: its VOLUMEs and WORKDIR)")
	cmdLine := fset.String("cmd", "", "the command its containers run (default: the image's)")
	readyLog := fset.String("ready-log", "", "ready once a new log line contains this text")
	readyCmd := fset.String("ready-cmd", "", "ready once this command exits 0 in the container")
	upgradeTo := fset.String("upgrade-to", "", "the image the upgrade column upgrades to (default: the same image)")
	format := fset.String("format", "md", "md, json or html")
	out := fset.String("out", "", "write the matrix to this file (default: standard output)")
	timeout := fset.Duration("timeout", harness.DefaultTimeout, "deadline of each lifecycle operation, readiness included")
	grace := fset.Duration("grace", harness.DefaultGrace, "how long a graceful stop waits before SIGKILL")
	kind := fset.String("engine", matrixEngineDefault(), "docker (the engine at DOCKER_HOST, Docker's or Podman's) or podman (DOCKER_HOST, or Podman's own socket)")
	fset.Usage = func() { fmt.Fprint(stderr, matrixUsage); fset.PrintDefaults() }
	rest, code, ok := parse(fset, args, stderr)
	switch {
	case !ok:
		return code
	case len(rest) > 0:
		return usageError(stderr, "matrix", "unexpected arguments %q: the image is given with --image", rest)
	case *image == "":
		return usageError(stderr, "matrix", "--image is required, e.g. --image myapp:2.1")
	case !slices.Contains(report.MatrixFormats, *format):
		return usageError(stderr, "matrix", "unknown format %q: use md, json or html", *format)
	case *readyLog != "" && *readyCmd != "":
		return usageError(stderr, "matrix", "give --ready-log or --ready-cmd, not both")
	}
	spec := harness.MatrixSpec{Image: *image, Paths: paths, UpgradeTo: *upgradeTo}
	var err error
	if *cmdLine != "" {
		if spec.Cmd, err = harness.SplitCommand(*cmdLine); err != nil {
			return usageError(stderr, "matrix", "--cmd: %v", err)
		}
	}
	switch {
	case *readyLog != "":
		spec.Ready = harness.ReadyOnLog{Text: *readyLog}
	case *readyCmd != "":
		argv, err := harness.SplitCommand(*readyCmd)
		if err != nil {
			return usageError(stderr, "matrix", "--ready-cmd: %v", err)
		}
		spec.Ready = harness.ReadyOnProbe{Argv: argv}
	}
	w := stdout
	if *out != "" {
		f, err := os.Create(*out)
		if err != nil {
			return usageError(stderr, "matrix", "--out: %v", err)
		}
		defer f.Close()
		w = f
	}

	connect := docker.New
	switch *kind {
	case harness.DockerKind:
	case harness.PodmanKind:
		connect = docker.NewPodman
	default:
		return usageError(stderr, "matrix", "--engine %s: the matrix runs on docker or podman", *kind)
	}
	engine, err := connect(ctx, nil)
	if err != nil {
		fmt.Fprintf(stderr, "persistcheck matrix: %v\n", err)
		if harness.KindOf(err) == harness.Invalid {
			return exitInvalid // an engine that is not the one asked for
		}
		return exitInfra
	}
	defer engine.Close()
	fmt.Fprintf(stderr, "persistcheck matrix: on %s\n", engine.Identity())
	run := harness.NewRun(engine, harness.RunOptions{Timeout: *timeout, Grace: *grace, Progress: stderr})
	total := len(harness.MatrixEventNames()) * 5
	var mu sync.Mutex
	done := 0
	spec.Progress = func(what string) {
		mu.Lock()
		defer mu.Unlock()
		done++
		fmt.Fprintf(stderr, "persistcheck matrix: %d of %d: %s\n", done, total, what)
	}
	res, err := run.Matrix(ctx, spec)
	leaked, cerr := run.Close(context.WithoutCancel(ctx), false)
	if len(leaked) > 0 {
		fmt.Fprintf(stderr, "persistcheck matrix: removed what was left behind: %s\n", strings.Join(leaked, ", "))
	}
	switch {
	case ctx.Err() != nil:
		fmt.Fprintln(stderr, "persistcheck matrix: interrupted; what it created was removed")
		return exitInterrupted
	case err != nil:
		fmt.Fprintf(stderr, "persistcheck matrix: %v\n", err)
		if harness.KindOf(err) == harness.Invalid {
			return exitInvalid
		}
		return exitInfra
	case cerr != nil:
		fmt.Fprintf(stderr, "persistcheck matrix: %v\n", cerr)
		return exitInfra
	}
	if err := report.WriteMatrix(w, res, *format); err != nil {
		fmt.Fprintf(stderr, "persistcheck matrix: %v\n", err)
		return exitInfra
	}
	fmt.Fprintf(stderr, "persistcheck matrix: %d cells measured in %s; %d deviate\n", len(res.Cells), res.Took.Round(1e8), len(res.Deviations()))
	if len(res.Deviations()) > 0 {
		return exitFailed
	}
	return exitPassed
}

// matrixEngineDefault is podman when PERSISTCHECK_ENGINE says so, and
// docker otherwise: the matrix does not run on Kubernetes.
func matrixEngineDefault() string {
	if engineDefault() == harness.PodmanKind {
		return harness.PodmanKind
	}
	return harness.DockerKind
}
