package main

import (
	"fmt"
	"io"
	"runtime"
	"runtime/debug"

	"github.com/persistcheck/persistcheck/fixtures"
)

func versionCmd(stdout io.Writer) int {
	version := "(devel)"
	if info, ok := debug.ReadBuildInfo(); ok && info.Main.Version != "" {
		version = info.Main.Version
	}
	fmt.Fprintf(stdout, "persistcheck %s, agent %s, %s\n", version, fixtures.Digest()[:12], runtime.Version())
	return exitPassed
}
