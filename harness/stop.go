package harness

import (
	"context"
	"time"
)

// Stop returns the fault of `docker stop`: SIGTERM, then SIGKILL once grace
// has passed. Inject returns once the container has stopped.
func Stop(grace time.Duration) Fault { return stop{grace} }

type stop struct{ grace time.Duration }

var _ Fault = stop{}

func (stop) String() string { return "stop" }

func (s stop) Inject(ctx context.Context, c *Container) error {
	if _, err := c.require(ctx, "stop", "running"); err != nil {
		return err
	}
	if err := c.engine().Stop(ctx, c.id, s.grace); err != nil {
		return err
	}
	return c.settled(ctx, "exited")
}

// Start returns the event that starts the existing, stopped container again
// and waits until it is ready.
func Start() Fault { return start{} }

type start struct{}

var _ Fault = start{}

func (start) String() string { return "start" }

func (start) Inject(ctx context.Context, c *Container) error {
	if _, err := c.require(ctx, "start", "created", "exited"); err != nil {
		return err
	}
	return c.start(ctx)
}

// Restart returns the fault of `docker restart`: a graceful stop with grace,
// then a start, in one engine call. Inject returns once the container is
// ready again.
func Restart(grace time.Duration) Fault { return restart{grace} }

type restart struct{ grace time.Duration }

var _ Fault = restart{}

func (restart) String() string { return "restart" }

func (r restart) Inject(ctx context.Context, c *Container) error {
	if _, err := c.require(ctx, "restart", "running", "exited", "created"); err != nil {
		return err
	}
	return c.ready(ctx, func() error {
		err := c.engine().Restart(ctx, c.id, r.grace)
		if err == nil {
			c.boots++
		}
		return err
	})
}
