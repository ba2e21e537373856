package docker

import (
	"bytes"
	"context"
	"io"
	"strings"
	"time"

	"github.com/moby/moby/api/pkg/stdcopy"
	"github.com/moby/moby/client"

	"github.com/persistcheck/persistcheck/harness"
)

// Exec runs argv in the container, without a TTY, and returns its exit code
// and its stdout and stderr apart. An executable that cannot be started is
// Invalid: the runtime reports it as exit code 126 (127 on Podman) with its
// reason.
func (e *Engine) Exec(ctx context.Context, id string, argv []string) (harness.ExecResult, error) {
	return e.exec(ctx, id, "", argv, nil)
}

// Stream runs argv as Exec does, as user ("" for the container's own), and
// calls line with each line of its stdout as it is written. The result's
// Stdout is empty. It returns when argv ends, which it does when its
// container stops.
func (e *Engine) Stream(ctx context.Context, id, user string, argv []string, line func(string)) (harness.ExecResult, error) {
	return e.exec(ctx, id, user, argv, line)
}

func (e *Engine) exec(ctx context.Context, id, user string, argv []string, line func(string)) (harness.ExecResult, error) {
	created, err := e.cli.ExecCreate(ctx, id, client.ExecCreateOptions{
		Cmd: argv, User: user, AttachStdout: true, AttachStderr: true,
	})
	if err != nil {
		return harness.ExecResult{}, fail("exec", err)
	}
	att, err := e.cli.ExecAttach(ctx, created.ID, client.ExecAttachOptions{})
	if err != nil {
		return harness.ExecResult{}, fail("exec attach", err)
	}
	defer att.Close()
	var stdout, stderr bytes.Buffer
	var out io.Writer = &stdout
	if line != nil {
		out = harness.LineWriter(line)
	}
	copied := make(chan error, 1)
	go func() {
		_, err := stdcopy.StdCopy(out, &stderr, att.Reader)
		copied <- err
	}()
	select {
	case err := <-copied:
		if err != nil {
			return harness.ExecResult{}, fail("exec read", err)
		}
	case <-ctx.Done():
		return harness.ExecResult{}, fail("exec", ctx.Err())
	}
	code, err := e.execExitCode(ctx, created.ID)
	if err != nil {
		return harness.ExecResult{}, err
	}
	res := harness.ExecResult{ExitCode: code, Stdout: stdout.Bytes(), Stderr: stderr.Bytes()}
	// Docker says 126 "OCI runtime exec failed"; Podman 127 "OCI runtime
	// attempted to invoke a command that was not found", or 126 "OCI
	// permission denied".
	if code == 126 || code == 127 {
		if out := string(res.Stdout) + string(res.Stderr); strings.Contains(out, "OCI runtime") || strings.Contains(out, "OCI permission denied") {
			return res, harness.Errorf(harness.Invalid, "cannot start %q in the container: %s", argv[0], runtimeReason(out))
		}
	}
	return res, nil
}

// execExitCode waits for the engine to mark the exec finished, which it does
// just after the output stream closes, and returns its exit code.
func (e *Engine) execExitCode(ctx context.Context, execID string) (int, error) {
	for pause := time.Millisecond; ; pause = min(2*pause, 50*time.Millisecond) {
		res, err := e.cli.ExecInspect(ctx, execID, client.ExecInspectOptions{})
		if err != nil {
			return 0, fail("exec inspect", err)
		}
		if !res.Running {
			return res.ExitCode, nil
		}
		select {
		case <-ctx.Done():
			return 0, fail("exec inspect", ctx.Err())
		case <-time.After(pause):
		}
	}
}

// runtimeReason extracts the useful part of an OCI runtime error, e.g.
// `exec: "nosuch": executable file not found in $PATH`.
func runtimeReason(out string) string {
	out = strings.TrimSpace(out)
	if i := strings.Index(out, "exec: "); i >= 0 {
		out = out[i:]
	}
	for _, tail := range []string{": unknown", ": OCI runtime", ": OCI permission denied"} {
		if i := strings.Index(out, tail); i >= 0 {
			out = out[:i]
		}
	}
	return out
}
