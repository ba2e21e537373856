package harness

import (
	"context"
	"fmt"
	"strings"
	"time"
)

// Crash returns the fault of the container's main process dying from
// inside: the agent, run in the container as root, kills it with SIGKILL.
// To the engine the process ended on its own, so a restart policy applies,
// unlike `docker kill`. With "restarts on failure", Inject returns once the
// engine has started the container again and it is ready; without, once it
// has exited.
func Crash() Fault { return crash{} }

type crash struct{}

var _ Fault = crash{}

func (crash) String() string { return "crash of the main process" }

func (crash) Inject(ctx context.Context, c *Container) error {
	return c.dieFromInside(ctx, "crash the main process of", func(ctx context.Context) error {
		// The agent may die with the container before it answers: only its
		// own refusal (exit 1) says the kill did not happen.
		res, err := c.engine().Stream(ctx, c.id, "0", []string{AgentPath, "signal-main", "SIGKILL"}, func(string) {})
		if err == nil && res.ExitCode == 1 {
			return Errorf(Infrastructure, "the agent could not kill the main process of %q: %s", c.name, strings.TrimSpace(string(res.Stderr)))
		}
		return nil
	})
}

// OutOfMemory returns the fault of the container's main process running out
// of memory: it allocates past the container's limit until the kernel kills
// it, and the engine must report the OOM kill. The built-in agent serving
// as the main process allocates itself; any other main process is made the
// OOM killer's first choice while the agent, beside it, takes the memory.
// It needs a memory limit. Inject returns as Crash does.
func OutOfMemory() Fault { return oom{} }

type oom struct{}

var _ Fault = oom{}

func (oom) String() string { return "run out of memory" }

func (oom) Inject(ctx context.Context, c *Container) error {
	if c.launched.MemoryLimit == 0 {
		return Errorf(Invalid, "container %q has no memory limit, so it cannot run out of memory without taking the host's: give it one, e.g. %q has a memory limit of \"32m\"", c.name, c.name)
	}
	err := c.dieFromInside(ctx, "run out of memory in", func(ctx context.Context) error {
		// The allocation beside the main process never returns: it ends
		// with the container.
		go c.engine().Stream(context.WithoutCancel(ctx), c.id, "0", []string{AgentPath, "oom-main"}, func(string) {})
		return nil
	})
	if err != nil {
		return err
	}
	st, err := c.status(ctx)
	if err != nil {
		return err
	}
	if !st.OOMKilled {
		return Errorf(Infrastructure, "container %q ran out of memory, but the engine does not report an OOM kill: %s", c.name, st.detail())
	}
	return nil
}

// dieFromInside ends the main process by do and waits for what follows:
// a restart by the restart policy, then readiness, or the container's exit.
func (c *Container) dieFromInside(ctx context.Context, action string, do func(context.Context) error) error {
	st, err := c.require(ctx, action, "running")
	if err != nil {
		return err
	}
	if err := c.ensureAgent(ctx); err != nil {
		return err
	}
	if !c.launched.RestartOnFailure {
		if err := do(ctx); err != nil {
			return err
		}
		if err := c.engine().WaitStopped(ctx, c.id); err != nil {
			return err
		}
		return c.settled(ctx, "exited")
	}
	return c.ready(ctx, func() error {
		if err := do(ctx); err != nil {
			return err
		}
		if err := c.restarted(ctx, st); err != nil {
			return err
		}
		c.boots++
		if now, err := c.status(ctx); err == nil {
			c.detail = fmt.Sprintf("the engine started it again: restart count %d", now.RestartCount)
			if now.ExitCode != 0 { // Podman forgets it once the container runs again
				c.detail += fmt.Sprintf(", after exit code %d", now.ExitCode)
			}
		}
		return nil
	})
}

// restarted waits until the engine's restart policy has started the
// container again after its state was before.
func (c *Container) restarted(ctx context.Context, before Status) error {
	for pause := 10 * time.Millisecond; ; pause = min(2*pause, 200*time.Millisecond) {
		st, err := c.status(ctx)
		switch {
		case err != nil:
			return err
		case st.RestartCount > before.RestartCount && st.State == "running":
			return nil
		}
		// Not restarted yet (exited, the count unchanged): the policy waits
		// a moment first.
		select {
		case <-ctx.Done():
			return Errorf(Infrastructure, "container %q was not restarted by its restart policy: %s", c.name, describe(st))
		case <-time.After(pause):
		}
	}
}

// Repeat returns the fault f injected n times in a row.
func Repeat(n int, f Fault) Fault { return repeat{n, f} }

type repeat struct {
	n int
	f Fault
}

var _ Fault = repeat{}

func (r repeat) String() string { return fmt.Sprintf("%s, %d times", r.f, r.n) }

func (r repeat) Inject(ctx context.Context, c *Container) error {
	for i := range r.n {
		if err := r.f.Inject(ctx, c); err != nil {
			return Wrap(fmt.Sprintf("cycle %d of %d", i+1, r.n), Unknown, err)
		}
	}
	return nil
}

// KillAndStart returns the fault of a SIGKILL through the engine, then a
// start, after which the workloads the kill stopped go on where they left
// off: Inject returns once each has acknowledged something new, so that the
// next kill lands while they write.
func KillAndStart(grace time.Duration) Fault { return killStart{grace} }

type killStart struct{ grace time.Duration }

var _ Fault = killStart{}

func (killStart) String() string { return "kill and start" }

func (k killStart) Inject(ctx context.Context, c *Container) error {
	writing := c.s.running(c)
	if err := Kill(SIGKILL, k.grace).Inject(ctx, c); err != nil {
		return err
	}
	if err := Start().Inject(ctx, c); err != nil {
		return err
	}
	return c.s.resume(ctx, c, writing)
}
