// Command images builds the images of the examples where the engine lacks
// them: persistcheck/debian:bookworm, made from Debian's packages, then the
// databases FROM it. It prints, for each, whether it was built or found.
//
//	images [-v] [NAME...]   NAME: debian, postgres, mariadb, redis, sqlite; all by default
//
// Exit codes: 0 every image is there, 2 invalid input, 3 a build or the
// engine failed, 130 interrupted.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/persistcheck/persistcheck/examples"
	"github.com/persistcheck/persistcheck/harness"
	"github.com/persistcheck/persistcheck/harness/docker"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	os.Exit(Main(ctx, os.Args[1:], os.Stdout, os.Stderr))
}

// Main runs the command line args and returns the exit code.
func Main(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	flags := flag.NewFlagSet("images", flag.ContinueOnError)
	flags.SetOutput(stderr)
	verbose := flags.Bool("v", false, "show the output of the builds")
	flags.Usage = func() {
		fmt.Fprintln(stderr, "usage: images [-v] [NAME...]\n\nbuilds the example images the engine lacks; NAME is one of:")
		for _, img := range examples.Images() {
			fmt.Fprintf(stderr, "  %-10s %s\n", img.Name, img.Ref)
		}
		flags.PrintDefaults()
	}
	if err := flags.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	var logs io.Writer
	if *verbose {
		logs = stderr
	}
	start := time.Now()
	eng, err := docker.New(ctx, logs)
	if err != nil {
		return fault(ctx, stderr, err)
	}
	defer eng.Close()
	if err := examples.Ensure(ctx, eng, stdout, flags.Args()...); err != nil {
		return fault(ctx, stderr, err)
	}
	fmt.Fprintf(stdout, "ready in %s\n", time.Since(start).Round(10*time.Millisecond))
	return 0
}

func fault(ctx context.Context, stderr io.Writer, err error) int {
	fmt.Fprintln(stderr, "images:", err)
	switch {
	case ctx.Err() != nil:
		return 130
	case harness.KindOf(err) == harness.Invalid:
		return 2
	}
	return 3
}
