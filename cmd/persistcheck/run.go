package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"os"

	"github.com/persistcheck/persistcheck"
	"github.com/persistcheck/persistcheck/features"
	"github.com/persistcheck/persistcheck/harness"
	"github.com/persistcheck/persistcheck/harness/kubernetes"
)

const runUsage = `usage: persistcheck run [flags] [PATH...]

Runs the scenarios of the feature files and folders given, or of the built-in
features when none is. Folders named by scenarios ("built from ...") are
relative to their feature file. Every scenario is checked before any
container starts: steps against the vocabulary, names used against those
declared, sentinels checked against those written, variables against the
environment; a problem stops the run with exit 2, and report files still get
written, with the problems in them.

flags:
`

func runCmd(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fset := flag.NewFlagSet("run", flag.ContinueOnError)
	var format list
	fset.Var(&format, "format", "reports, comma-separated, each optionally to a file: pretty, progress, junit[:FILE], cucumber[:FILE], events (default pretty)")
	tags := fset.String("tags", "", "run only scenarios whose tags match, e.g. '@fast && ~@slow'")
	concurrency := fset.Int("concurrency", 4, "scenarios run side by side")
	keep := fset.Bool("keep", false, "leave the containers, volumes and folders of failed scenarios for debugging")
	shardFlag := fset.String("shard", "", "run only shard I of N, e.g. 2/4, splitting scenarios evenly")
	timeout := fset.Duration("timeout", harness.DefaultTimeout, "deadline of each lifecycle operation, readiness included")
	grace := fset.Duration("grace", harness.DefaultGrace, "how long a graceful stop waits before SIGKILL")
	verbose := fset.Bool("v", false, "show image builds and engine chatter on standard error")
	engine := fset.String("engine", engineDefault(), "docker (the engine at DOCKER_HOST, Docker's or Podman's), podman (DOCKER_HOST, or Podman's own socket) or kubernetes (the cluster KUBECONFIG names); default $PERSISTCHECK_ENGINE, or docker")
	storageClass := fset.String("storage-class", "", "on Kubernetes, the StorageClass of volumes' claims (default: the local cluster's, or the cluster's default)")
	kubeContext := fset.String("context", "", "on Kubernetes, the kubeconfig context to use (default: its current one)")
	fset.Usage = func() { fmt.Fprint(stderr, runUsage); fset.PrintDefaults() }
	paths, code, ok := parse(fset, args, stderr)
	if !ok {
		return code
	}
	sh, err := persistcheck.ParseShard(*shardFlag)
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
	res := persistcheck.Execute(ctx, persistcheck.Options{
		Paths:       paths,
		FS:          fsys,
		Tags:        *tags,
		Concurrency: *concurrency,
		Shard:       sh,
		Keep:        *keep,
		Timeout:     *timeout,
		Grace:       *grace,
		Formats:     format,
		Stdout:      stdout,
		Stderr:      stderr,
		Verbose:     *verbose,
		Colors:      isTerminal(stdout),
		EngineKind:  *engine,
		Kubernetes:  kubernetes.Options{StorageClass: *storageClass, Context: *kubeContext},
	})
	return res.Code
}

// engineDefault is the engine PERSISTCHECK_ENGINE names, or docker.
func engineDefault() string {
	if e := os.Getenv("PERSISTCHECK_ENGINE"); e != "" {
		return e
	}
	return harness.DockerKind
}

func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	info, err := f.Stat()
	return err == nil && info.Mode()&os.ModeCharDevice != 0
}
