package main

import (
	"fmt"
	"io"
	"runtime"
	"runtime/debug"

	"github.com/persistcheck/persistcheck/fixtures"
)

// version is set by release builds (make release); go install sets the
// module's version in the build info.
var version = ""

func versionCmd(stdout io.Writer) int {
	v := version
	if info, ok := debug.ReadBuildInfo(); ok && v == "" && info.Main.Version != "" {
		v = info.Main.Version
	}
	if v == "" {
		v = "(devel)"
	}
	agent := "compiled when needed, with Go"
	if _, ok := fixtures.Carried(runtime.GOARCH); ok {
		agent = "carried"
	}
	fmt.Fprintf(stdout, "persistcheck %s, agent %s (%s), %s\n", v, fixtures.Digest()[:12], agent, runtime.Version())
	return exitPassed
}
