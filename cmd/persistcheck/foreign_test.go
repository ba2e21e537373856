package main

import (
	"context"
	"runtime"
	"testing"
	"testing/fstest"

	"github.com/persistcheck/persistcheck/fixtures"
	"github.com/persistcheck/persistcheck/harness/docker"
)

// buildForeign builds two images that persistcheck did not make: one with a
// shell (this host's dash and coreutils), one without (a static server that
// is not the agent, at another path). It returns their names.
func buildForeign(t *testing.T) (shell, noShell string) {
	t.Helper()
	ctx := context.Background()
	e, err := docker.New(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	server, err := fixtures.BuildAgent(ctx, runtime.GOARCH)
	if err != nil {
		t.Fatal(err)
	}
	shellDir, err := fixtures.HostImage(map[string]string{"/bin/sh": "/bin/sh", "/bin/sleep": "/bin/sleep", "/bin/cat": "/bin/cat"},
		`CMD ["/bin/sleep", "infinity"]`)
	if err != nil {
		t.Fatal(err)
	}
	noShellDir := fstest.MapFS{
		"server":     {Data: server, Mode: 0o755},
		"Dockerfile": {Data: []byte("FROM scratch\nCOPY server /usr/bin/server\nCMD [\"/usr/bin/server\", \"serve\"]\n")},
	}
	shell, noShell = "persistcheck/test-shell:latest", "persistcheck/test-noshell:latest"
	if _, err := e.Build(ctx, shellDir, shell); err != nil {
		t.Fatal(err)
	}
	if _, err := e.Build(ctx, noShellDir, noShell); err != nil {
		t.Fatal(err)
	}
	return shell, noShell
}
