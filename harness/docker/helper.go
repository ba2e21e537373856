package docker

import (
	"bytes"
	"context"
	"path"
	"slices"

	"github.com/moby/moby/api/pkg/stdcopy"
	"github.com/moby/moby/api/types/container"
	"github.com/moby/moby/api/types/mount"
	"github.com/moby/moby/client"

	"github.com/persistcheck/persistcheck/harness"
)

// Helpers are short-lived containers of the built-in image that the harness
// runs for its own reads, where neither exec nor the archive API reaches.

// RunBeside runs argv in a short-lived container of the built-in image that
// shares the processes of container id, so that /proc/1/root is id's root,
// tmpfs mounts included, even while id is frozen by a pause. The helper
// carries labels and is removed before RunBeside returns.
func (e *Engine) RunBeside(ctx context.Context, id string, argv []string, labels map[string]string) (harness.ExecResult, error) {
	created, err := e.createHelper(ctx, helper{labels: labels, argv: argv, pidOf: id})
	if err != nil {
		return harness.ExecResult{}, fail("create a container beside "+id, err)
	}
	defer e.cli.ContainerRemove(context.WithoutCancel(ctx), created, client.ContainerRemoveOptions{Force: true, RemoveVolumes: true})
	return e.runToEnd(ctx, created, "beside "+id)
}

// RunImage runs the agent with args in a container of the image ref, as
// its own containers would see their files: the image's VOLUMEs on fresh
// anonymous volumes, labelled, which the start seeds from the image. The
// agent is copied in where the image lacks it. The container and its
// volumes are removed after.
func (e *Engine) RunImage(ctx context.Context, ref string, args []string, labels map[string]string) (harness.ExecResult, error) {
	img, err := e.Image(ctx, ref)
	if err != nil {
		return harness.ExecResult{}, err
	}
	hc := &container.HostConfig{NetworkMode: "none"}
	for _, v := range img.Volumes {
		hc.Mounts = append(hc.Mounts, mount.Mount{Type: mount.TypeVolume, Target: v, VolumeOptions: &mount.VolumeOptions{Labels: labels}})
	}
	cfg := &container.Config{Image: img.Ref, Labels: labels, Entrypoint: []string{harness.AgentPath}, Cmd: args}
	created, err := e.cli.ContainerCreate(context.WithoutCancel(ctx), client.ContainerCreateOptions{Config: cfg, HostConfig: hc})
	if err != nil {
		return harness.ExecResult{}, fail("create a container of "+ref, err)
	}
	defer e.cli.ContainerRemove(context.WithoutCancel(ctx), created.ID, client.ContainerRemoveOptions{Force: true, RemoveVolumes: true})
	if !img.HasAgent {
		if err := e.InstallAgent(ctx, created.ID); err != nil {
			return harness.ExecResult{}, err
		}
	}
	return e.runToEnd(ctx, created.ID, "in a container of "+ref)
}

// runToEnd starts the created container id, waits for it to exit, and
// returns its exit code and output.
func (e *Engine) runToEnd(ctx context.Context, id, what string) (harness.ExecResult, error) {
	wait := e.cli.ContainerWait(ctx, id, client.ContainerWaitOptions{Condition: container.WaitConditionNextExit})
	if _, err := e.cli.ContainerStart(ctx, id, client.ContainerStartOptions{}); err != nil {
		return harness.ExecResult{}, fail("start a container "+what, err)
	}
	var res harness.ExecResult
	select {
	case r := <-wait.Result:
		res.ExitCode = int(r.StatusCode)
	case err := <-wait.Error:
		return harness.ExecResult{}, fail("wait for the container "+what, err)
	case <-ctx.Done():
		return harness.ExecResult{}, fail("wait for the container "+what, ctx.Err())
	}
	rc, err := e.cli.ContainerLogs(ctx, id, client.ContainerLogsOptions{ShowStdout: true, ShowStderr: true})
	if err != nil {
		return harness.ExecResult{}, fail("read the output "+what, err)
	}
	defer rc.Close()
	var stdout, stderr bytes.Buffer
	if _, err := stdcopy.StdCopy(&stdout, &stderr, rc); err != nil {
		return harness.ExecResult{}, fail("read the output "+what, err)
	}
	res.Stdout, res.Stderr = stdout.Bytes(), stderr.Bytes()
	return res, nil
}

// helper is a short-lived container of the built-in image that persistcheck
// runs for its own reads.
type helper struct {
	labels map[string]string
	argv   []string              // what it runs, if it is started
	pidOf  string                // a container whose processes it shares
	mounts []harness.EngineMount // storage it reads; volumes are not seeded
}

// createHelper creates h, without starting it, without a network, and with
// no volume of its own (a tmpfs covers each VOLUME of the image that h's
// mounts do not). A volume it mounts is never seeded with the image's files:
// a read must not write. The creation is not cut short by ctx: one the
// engine finished anyway would escape the caller's removal.
func (e *Engine) createHelper(ctx context.Context, h helper) (string, error) {
	img, err := e.builtinImage(ctx)
	if err != nil {
		return "", err
	}
	hc := &container.HostConfig{NetworkMode: "none", Mounts: mounts(h.mounts)}
	for i := range hc.Mounts {
		if hc.Mounts[i].Type == mount.TypeVolume {
			hc.Mounts[i].VolumeOptions = &mount.VolumeOptions{NoCopy: true}
		}
	}
	for _, v := range img.Volumes {
		if !slices.ContainsFunc(h.mounts, func(m harness.EngineMount) bool { return path.Clean(m.Target) == path.Clean(v) }) {
			hc.Mounts = append(hc.Mounts, mount.Mount{Type: mount.TypeTmpfs, Target: v})
		}
	}
	if h.pidOf != "" {
		hc.PidMode = container.PidMode("container:" + h.pidOf)
	}
	cfg := &container.Config{Image: img.Ref, Labels: h.labels}
	if len(h.argv) > 0 {
		cfg.Entrypoint, cfg.Cmd = h.argv[:1], h.argv[1:]
	}
	created, err := e.cli.ContainerCreate(context.WithoutCancel(ctx), client.ContainerCreateOptions{Config: cfg, HostConfig: hc})
	return created.ID, err
}

// ReadVia reads paths through the archive API of a helper container that
// mounts mounts and is never started, then removes it: storage that
// outlives the containers that used it can still be read. On Podman, a
// helper that mounts a size-limited volume is started (readStarted).
func (e *Engine) ReadVia(ctx context.Context, mounts []harness.EngineMount, paths []string, labels map[string]string) ([]harness.File, error) {
	if e.podman != nil {
		started, err := e.optionVolumes(ctx, mounts)
		if err != nil {
			return nil, err
		}
		if started {
			return e.readStarted(ctx, mounts, paths, labels)
		}
	}
	id, err := e.createHelper(ctx, helper{labels: labels, mounts: mounts})
	if err != nil {
		return nil, fail("create a container to read storage through", err)
	}
	defer e.cli.ContainerRemove(context.WithoutCancel(ctx), id, client.ContainerRemoveOptions{Force: true, RemoveVolumes: true})
	files := make([]harness.File, len(paths))
	for i, p := range paths {
		if files[i], err = e.readArchive(ctx, id, p); err != nil {
			return nil, err
		}
	}
	return files, nil
}
