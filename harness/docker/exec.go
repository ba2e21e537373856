package docker

import (
	"bytes"
	"context"
	"strings"
	"time"

	"github.com/moby/moby/api/pkg/stdcopy"
	"github.com/moby/moby/api/types/container"
	"github.com/moby/moby/api/types/mount"
	"github.com/moby/moby/client"

	"github.com/persistcheck/persistcheck/harness"
)

// Exec runs argv in the container, without a TTY, and returns its exit code
// and its stdout and stderr apart. An executable that cannot be started is
// Invalid: the runtime reports it as exit code 126 with its reason.
func (e *Engine) Exec(ctx context.Context, id string, argv []string) (harness.ExecResult, error) {
	created, err := e.cli.ExecCreate(ctx, id, client.ExecCreateOptions{
		Cmd: argv, AttachStdout: true, AttachStderr: true,
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
	copied := make(chan error, 1)
	go func() {
		_, err := stdcopy.StdCopy(&stdout, &stderr, att.Reader)
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
	if code == 126 {
		if out := string(res.Stdout) + string(res.Stderr); strings.Contains(out, "OCI runtime exec failed") {
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
	return strings.TrimSuffix(out, ": unknown")
}

// RunBeside runs argv in a short-lived container of the built-in image that
// shares the processes of container id, so that /proc/1/root is id's root,
// tmpfs mounts included, even while id is frozen by a pause. The helper
// carries labels and is removed before RunBeside returns.
func (e *Engine) RunBeside(ctx context.Context, id string, argv []string, labels map[string]string) (harness.ExecResult, error) {
	created, err := e.createHelper(ctx, labels, argv, id)
	if err != nil {
		return harness.ExecResult{}, fail("create a container beside "+id, err)
	}
	defer e.cli.ContainerRemove(context.WithoutCancel(ctx), created, client.ContainerRemoveOptions{Force: true, RemoveVolumes: true})
	wait := e.cli.ContainerWait(ctx, created, client.ContainerWaitOptions{Condition: container.WaitConditionNextExit})
	if _, err := e.cli.ContainerStart(ctx, created, client.ContainerStartOptions{}); err != nil {
		return harness.ExecResult{}, fail("start a container beside "+id, err)
	}
	var res harness.ExecResult
	select {
	case r := <-wait.Result:
		res.ExitCode = int(r.StatusCode)
	case err := <-wait.Error:
		return harness.ExecResult{}, fail("wait for the container beside "+id, err)
	case <-ctx.Done():
		return harness.ExecResult{}, fail("wait for the container beside "+id, ctx.Err())
	}
	rc, err := e.cli.ContainerLogs(ctx, created, client.ContainerLogsOptions{ShowStdout: true, ShowStderr: true})
	if err != nil {
		return harness.ExecResult{}, fail("read the output beside "+id, err)
	}
	defer rc.Close()
	var stdout, stderr bytes.Buffer
	if _, err := stdcopy.StdCopy(&stdout, &stderr, rc); err != nil {
		return harness.ExecResult{}, fail("read the output beside "+id, err)
	}
	res.Stdout, res.Stderr = stdout.Bytes(), stderr.Bytes()
	return res, nil
}

// createHelper creates, without starting it, a container of the built-in
// image to run argv, with labels, without a network, and without a volume (a
// tmpfs covers the image's VOLUME). With pidOf, it shares that container's
// processes. The creation is not cut short by ctx: one the engine finished
// anyway would escape the caller's removal.
func (e *Engine) createHelper(ctx context.Context, labels map[string]string, argv []string, pidOf string) (string, error) {
	img, err := e.builtinImage(ctx)
	if err != nil {
		return "", err
	}
	hc := &container.HostConfig{NetworkMode: "none"}
	for _, v := range img.Volumes {
		hc.Mounts = append(hc.Mounts, mount.Mount{Type: mount.TypeTmpfs, Target: v})
	}
	if pidOf != "" {
		hc.PidMode = container.PidMode("container:" + pidOf)
	}
	cfg := &container.Config{Image: img.Ref, Labels: labels}
	if len(argv) > 0 {
		cfg.Entrypoint, cfg.Cmd = argv[:1], argv[1:]
	}
	created, err := e.cli.ContainerCreate(context.WithoutCancel(ctx), client.ContainerCreateOptions{Config: cfg, HostConfig: hc})
	return created.ID, err
}
