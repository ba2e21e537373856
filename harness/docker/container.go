package docker

import (
	"context"
	"fmt"
	"maps"
	"math"
	"path"
	"strings"
	"time"

	"github.com/moby/moby/api/types/container"
	"github.com/moby/moby/api/types/mount"
	"github.com/moby/moby/client"

	"github.com/persistcheck/persistcheck/harness"
)

// Create creates the container straight on the Engine API: the harness has
// resolved its image already, and nothing is ever pulled. It has no network
// unless the spec asks for one, and, when the spec asks, the agent mounted
// read-only from the engine's agent volume instead of copied in.
func (e *Engine) Create(ctx context.Context, spec harness.EngineSpec) (string, error) {
	cfg := &container.Config{
		Image:      spec.Image,
		Cmd:        spec.Cmd,
		Entrypoint: spec.Entrypoint,
		Env:        spec.Env, // in order, as declared
		User:       spec.User,
		WorkingDir: spec.WorkingDir,
		Labels:     maps.Clone(spec.Labels),
	}
	if h := spec.Health; h != nil {
		cfg.Healthcheck = &container.HealthConfig{Test: h.Test, Interval: h.Interval, Timeout: h.Timeout, StartPeriod: h.StartPeriod, Retries: h.Retries}
	}
	hc := &container.HostConfig{Init: &spec.Init, Mounts: mounts(spec.Mounts), NetworkMode: "none"}
	if spec.Network {
		hc.NetworkMode = "bridge"
	}
	if spec.MountAgent {
		vol, err := e.agentVolume(ctx)
		if err != nil {
			return "", err
		}
		hc.Mounts = append(hc.Mounts, mount.Mount{Type: mount.TypeVolume, Source: vol, Target: path.Dir(harness.AgentPath), ReadOnly: true})
	}
	if spec.MemoryLimit > 0 {
		hc.Memory, hc.MemorySwap = spec.MemoryLimit, spec.MemoryLimit // no swap: the limit is the limit
	}
	if spec.RestartOnFailure {
		hc.RestartPolicy = container.RestartPolicy{Name: container.RestartPolicyOnFailure}
	}
	c, err := e.cli.ContainerCreate(ctx, client.ContainerCreateOptions{Name: spec.Name, Config: cfg, HostConfig: hc})
	if err != nil {
		return "", fail("create container "+spec.Name, err)
	}
	return c.ID, nil
}

func mounts(ms []harness.EngineMount) []mount.Mount {
	out := make([]mount.Mount, 0, len(ms))
	for _, m := range ms {
		dm := mount.Mount{Source: m.Source, Target: m.Target}
		switch m.Kind {
		case harness.NamedVolume:
			dm.Type = mount.TypeVolume
		case harness.AnonymousVolume:
			dm.Type = mount.TypeVolume
			dm.VolumeOptions = &mount.VolumeOptions{Labels: m.Labels}
		case harness.HostFolder:
			dm.Type = mount.TypeBind
		case harness.Tmpfs:
			dm.Type = mount.TypeTmpfs
		}
		out = append(out, dm)
	}
	return out
}

func (e *Engine) Start(ctx context.Context, id string) error {
	_, err := e.cli.ContainerStart(ctx, id, client.ContainerStartOptions{})
	return fail("start container", err)
}

func (e *Engine) Kill(ctx context.Context, id string, sig harness.Signal) error {
	_, err := e.cli.ContainerKill(ctx, id, client.ContainerKillOptions{Signal: sig.Name})
	return fail("kill container with "+sig.Name, err)
}

// seconds rounds grace up to whole seconds, the engine's unit.
func seconds(grace time.Duration) *int {
	s := int(math.Ceil(grace.Seconds()))
	return &s
}

func (e *Engine) Stop(ctx context.Context, id string, grace time.Duration) error {
	_, err := e.cli.ContainerStop(ctx, id, client.ContainerStopOptions{Timeout: seconds(grace)})
	return fail("stop container", err)
}

func (e *Engine) Restart(ctx context.Context, id string, grace time.Duration) error {
	_, err := e.cli.ContainerRestart(ctx, id, client.ContainerRestartOptions{Timeout: seconds(grace)})
	return fail("restart container", err)
}

func (e *Engine) Pause(ctx context.Context, id string) error {
	_, err := e.cli.ContainerPause(ctx, id, client.ContainerPauseOptions{})
	return fail("pause container", err)
}

func (e *Engine) Unpause(ctx context.Context, id string) error {
	_, err := e.cli.ContainerUnpause(ctx, id, client.ContainerUnpauseOptions{})
	return fail("unpause container", err)
}

func (e *Engine) Remove(ctx context.Context, id string, volumes bool) error {
	if !volumes && e.podman != nil {
		if err := e.keepAnonymous(ctx, id); err != nil && !isGone(err) {
			return fail("record the anonymous volumes of container "+id, err)
		}
	}
	_, err := e.cli.ContainerRemove(ctx, id, client.ContainerRemoveOptions{Force: true, RemoveVolumes: volumes})
	return fail("remove container", err)
}

func (e *Engine) Inspect(ctx context.Context, id string) (harness.Status, error) {
	res, err := e.cli.ContainerInspect(ctx, id, client.ContainerInspectOptions{})
	if err != nil {
		return harness.Status{}, fail("inspect container", err)
	}
	c := res.Container
	st := harness.Status{RestartCount: c.RestartCount}
	if s := c.State; s != nil {
		st.State, st.ExitCode, st.OOMKilled, st.Error = string(s.Status), s.ExitCode, s.OOMKilled, s.Error
		st.StartedAt, st.FinishedAt = engineTime(s.StartedAt), engineTime(s.FinishedAt)
		if h := s.Health; h != nil {
			st.Health = string(h.Status)
			if n := len(h.Log); n > 0 && h.Log[n-1] != nil {
				last := h.Log[n-1]
				st.HealthLog = fmt.Sprintf("exit code %d: %s", last.ExitCode, strings.TrimSpace(last.Output))
			}
		}
	}
	for _, m := range c.Mounts {
		st.Mounts = append(st.Mounts, harness.MountStatus{
			Type: string(m.Type), Name: m.Name, Source: m.Source, Destination: m.Destination, RW: m.RW,
		})
	}
	if p := e.podman; p != nil {
		if st.State == "stopped" {
			// Podman's word for a container that has exited, exit code
			// known, whose clean-up has not run yet.
			st.State = "exited"
		}
		if st.State == "running" && c.State != nil && c.State.Pid > 0 && e.local() {
			p.seeProcesses(c.ID, c.State.Pid)
		}
		var h *harness.Healthcheck
		if c.Config != nil {
			h = healthcheckOf(c.Config.Healthcheck)
		}
		if st.State == "running" && h != nil && p.own() {
			if err := p.checkHealth(ctx, c.ID, h.Interval, &st); err != nil {
				return st, fail("run the HEALTHCHECK of container "+c.ID, err)
			}
		}
		if !st.OOMKilled && !st.FinishedAt.IsZero() && e.local() &&
			(st.State == "exited" && st.ExitCode == 137 || st.State == "running" && st.RestartCount > 0) {
			// The last exit: of an exited container, or of one its restart
			// policy started again (Podman then reports exit code 0).
			st.OOMKilled = p.oomKilled(c.ID, st.FinishedAt)
		}
	}
	return st, nil
}

// engineTime parses a time the engine reports; its zero time ("0001-...")
// and anything unreadable are the zero time.
func engineTime(s string) time.Time {
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil || t.Year() < 2000 {
		return time.Time{}
	}
	return t
}

func (e *Engine) WaitStopped(ctx context.Context, id string) error {
	w := e.cli.ContainerWait(ctx, id, client.ContainerWaitOptions{Condition: container.WaitConditionNotRunning})
	select {
	case <-w.Result:
		return nil
	case err := <-w.Error:
		return fail("wait for the container to stop", err)
	case <-ctx.Done():
		return fail("wait for the container to stop", ctx.Err())
	}
}

// CreateVolume creates a named volume; with a size above 0, one limited to
// that many bytes (see createSized).
func (e *Engine) CreateVolume(ctx context.Context, name string, size int64, labels map[string]string) error {
	if size > 0 {
		return e.createSized(ctx, name, size, labels)
	}
	_, err := e.cli.VolumeCreate(ctx, client.VolumeCreateOptions{Name: name, Labels: labels})
	return fail(fmt.Sprintf("create volume %s", name), err)
}
