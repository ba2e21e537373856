package harness

import "context"

// Pause returns the fault of `docker pause`: every process of the container
// frozen by its cgroup freezer. Undo unpauses.
func Pause() Reversible { return pause{} }

type pause struct{}

var _ Reversible = pause{}

func (pause) String() string { return "pause" }

func (pause) Inject(ctx context.Context, c *Container) error {
	if _, err := c.require(ctx, "pause", "running"); err != nil {
		return err
	}
	if err := c.engine().Pause(ctx, c.id); err != nil {
		return err
	}
	return c.settled(ctx, "paused")
}

func (pause) Undo(ctx context.Context, c *Container) error { return unpause{}.Inject(ctx, c) }

// Unpause returns the event that thaws a paused container.
func Unpause() Fault { return unpause{} }

type unpause struct{}

var _ Fault = unpause{}

func (unpause) String() string { return "unpause" }

func (unpause) Inject(ctx context.Context, c *Container) error {
	if _, err := c.require(ctx, "unpause", "paused"); err != nil {
		return err
	}
	if err := c.engine().Unpause(ctx, c.id); err != nil {
		return err
	}
	return c.settled(ctx, "running")
}
