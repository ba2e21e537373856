package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"syscall"

	"github.com/persistcheck/persistcheck"
	"github.com/persistcheck/persistcheck/harness"
	"github.com/persistcheck/persistcheck/harness/kubernetes"
	"github.com/persistcheck/persistcheck/harness/powerloss"
)

// sweepCmd removes what runs that died (killed, crashed) left behind: their
// containers, volumes and host folders. A run is alive while its process
// is; objects made on another host are left alone unless --all is given.
func sweepCmd(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fset := flag.NewFlagSet("sweep", flag.ContinueOnError)
	all := fset.Bool("all", false, "remove the objects of every run, live ones and other hosts' included")
	kind := fset.String("engine", engineDefault(), "docker (the engine at DOCKER_HOST, Docker's or Podman's), podman or kubernetes: whose objects to sweep")
	kubeContext := fset.String("context", "", "on Kubernetes, the kubeconfig context to use (default: its current one)")
	if _, code, ok := parse(fset, args, stderr); !ok {
		return code
	}
	alive := func(owner string) bool { return !*all && ownerAlive(owner) }
	connect := persistcheck.EngineOf(*kind, kubernetes.Options{Context: *kubeContext})
	if connect == nil {
		return usageError(stderr, "sweep", "unknown engine %q: use docker, podman or kubernetes", *kind)
	}
	engine, err := connect(ctx, nil)
	if err != nil {
		fmt.Fprintf(stderr, "persistcheck sweep: %v\n", err)
		return exitInfra
	}
	sweeper, ok := engine.(interface {
		Sweep(context.Context, func(string) bool) ([]string, error)
		Close() error
	})
	if !ok {
		fmt.Fprintf(stderr, "persistcheck sweep: the %s engine cannot sweep\n", *kind)
		return exitInfra
	}
	defer sweeper.Close()
	fmt.Fprintf(stderr, "persistcheck sweep: on %s\n", harness.IdentityOf(engine))
	removed, err := sweeper.Sweep(ctx, alive)
	// Power-loss volumes of dead runs are still mounted in their folders.
	unmounted, perr := powerloss.Sweep(os.TempDir())
	for _, m := range unmounted {
		removed = append(removed, "power-loss volume mounted at "+m)
	}
	err = errors.Join(err, perr)
	folders, ferr := harness.SweepHostFolders(alive)
	removed = append(removed, folders...)
	for _, r := range removed {
		fmt.Fprintln(stdout, "removed", r)
	}
	if len(removed) == 0 {
		fmt.Fprintln(stdout, "nothing to sweep")
	}
	if err := errors.Join(err, ferr); err != nil {
		fmt.Fprintf(stderr, "persistcheck sweep: %v\n", err)
		return exitInfra
	}
	return exitPassed
}

// ownerAlive reports whether the process named by an owner label
// ("host:pid") may still run: it does on this host, or it is on another
// host, where this one cannot tell.
func ownerAlive(owner string) bool {
	host, pid, ok := strings.Cut(owner, ":")
	n, err := strconv.Atoi(pid)
	if !ok || err != nil {
		return false // not made by a run we know how to ask about
	}
	if me, _ := os.Hostname(); host != me {
		return true
	}
	err = syscall.Kill(n, 0)
	return err == nil || errors.Is(err, syscall.EPERM)
}
