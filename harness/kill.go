package harness

import (
	"context"
	"time"
)

// Kill returns the fault of `docker kill`: sig sent through the engine to the
// container's PID 1 (the init process, which passes it on). The engine counts
// a SIGKILL as a stop by hand, so no restart policy brings the container back.
//
// Inject returns once a SIGKILL has stopped the container, running or
// paused. Any other signal
// whose default action ends a process gets up to grace to do so; a process
// that handles the signal and lives on is left running.
func Kill(sig Signal, grace time.Duration) Fault { return kill{sig, grace} }

type kill struct {
	sig   Signal
	grace time.Duration
}

var _ Fault = kill{}

func (k kill) String() string { return "kill with " + k.sig.Name }

func (k kill) Inject(ctx context.Context, c *Container) error {
	states := []string{"running"}
	if k.sig == SIGKILL {
		states = append(states, "paused") // the engine kills a frozen container too
	}
	if _, err := c.require(ctx, "kill", states...); err != nil {
		return err
	}
	if err := c.engine().Kill(ctx, c.id, k.sig); err != nil {
		return err
	}
	if k.sig == SIGKILL {
		// The engine reports the stop: a SIGKILL through it leaves the
		// container exited, and no restart policy applies.
		if err := c.engine().WaitStopped(ctx, c.id); err != nil {
			return err
		}
		c.expect = "exited"
		return nil
	}
	if k.sig.terminates() {
		wait, cancel := context.WithTimeout(ctx, k.grace)
		defer cancel()
		if err := c.engine().WaitStopped(wait, c.id); err != nil && ctx.Err() != nil {
			return err
		}
	}
	_, err := c.status(ctx)
	return err
}
