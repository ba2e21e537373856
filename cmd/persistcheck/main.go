// Command persistcheck runs persistence scenarios against real containers.
//
//	persistcheck run [flags] [PATH...]   run feature files (the built-in ones by default)
//	persistcheck steps                   list the step vocabulary
//	persistcheck sweep [--all]           remove what killed runs left behind
//	persistcheck version                 print the version
package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"

	"github.com/persistcheck/persistcheck"
)

// Exit codes.
const (
	exitPassed      = persistcheck.ExitPassed      // every scenario passed
	exitFailed      = persistcheck.ExitFailed      // a scenario failed: data lost, an assertion did not hold
	exitInvalid     = persistcheck.ExitInvalid     // invalid input: undefined step, bad flag, malformed feature
	exitInfra       = persistcheck.ExitInfra       // infrastructure: engine unreachable, image missing, timeout
	exitInterrupted = persistcheck.ExitInterrupted // stopped by SIGINT or SIGTERM, after cleaning up
)

const usage = `persistcheck proves what containers keep and lose through kills, stops,
restarts, pauses, removal, recreation, upgrades, crashes and full disks.

usage:
  persistcheck run [flags] [PATH...]   run feature files or folders; the built-in features when none
  persistcheck matrix --image IMG      what an image keeps and loses, as a table, measured
  persistcheck steps [-v]              list the step vocabulary
  persistcheck sweep [--all]           remove containers, volumes and folders of runs that died
  persistcheck version                 print the version, the agent's digest and whether the binary carries it

exit codes: 0 passed, 1 a scenario failed, 2 invalid input, 3 infrastructure, 130 interrupted
run 'persistcheck run -h' for the flags of run.
`

func main() { os.Exit(process(os.Args[1:])) }

// process runs args as the whole process does: SIGINT or SIGTERM interrupt
// the run, which then cleans up; a second signal kills at once. A reader
// that goes away (persistcheck run | head) only fails the writes to it: the
// run still cleans up, where SIGPIPE would have killed it.
func process(args []string) int {
	signal.Ignore(syscall.SIGPIPE)
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	go func() {
		<-ctx.Done()
		stop()
	}()
	return Main(ctx, args, os.Stdout, os.Stderr)
}

// Main runs the command line args and returns the exit code. ctx ends when
// the run is to stop early.
func Main(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return exitInvalid
	}
	switch cmd, rest := args[0], args[1:]; cmd {
	case "run":
		return runCmd(ctx, rest, stdout, stderr)
	case "steps":
		return stepsCmd(rest, stdout, stderr)
	case "matrix":
		return matrixCmd(ctx, rest, stdout, stderr)
	case "sweep":
		return sweepCmd(ctx, rest, stdout, stderr)
	case "version", "--version":
		return versionCmd(stdout)
	case "help", "-h", "--help":
		fmt.Fprint(stdout, usage)
		return exitPassed
	default:
		fmt.Fprintf(stderr, "persistcheck: unknown command %q\n\n%s", cmd, usage)
		return exitInvalid
	}
}
