package harness

import (
	"context"
	"fmt"
)

// Launch returns the event of a container's first launch: it creates an
// instance from the spec (creating its named volumes and host folders),
// starts it and waits until it is ready.
func Launch() Fault { return launch{} }

// LaunchAgain returns the event of launching a new instance of a removed
// container from the same spec: same named volumes and host folders, fresh
// anonymous volumes and a fresh container layer.
func LaunchAgain() Fault { return launch{again: true} }

type launch struct{ again bool }

var _ Fault = launch{}

func (l launch) String() string {
	if l.again {
		return "launch again"
	}
	return "start"
}

func (l launch) Inject(ctx context.Context, c *Container) error {
	switch {
	case !l.again && c.launches > 0:
		return Errorf(Invalid, "container %q was started before; to start it again: When I start the container %q, or, for a new container: When I launch the container %q again", c.name, c.name, c.name)
	case l.again && c.id != "":
		return Errorf(Invalid, "container %q still exists; remove it first, or: When I recreate the container %q", c.name, c.name)
	}
	return c.launch(ctx)
}

// Remove returns the event of `docker rm -f` (`docker rm -fv` with volumes):
// the container goes, whatever its state. Without volumes its anonymous
// volumes are left dangling, as the engine leaves them; the scenario still
// removes them when it ends.
func Remove(volumes bool) Fault { return remove{volumes} }

type remove struct{ volumes bool }

var _ Fault = remove{}

func (r remove) String() string {
	if r.volumes {
		return "remove with its volumes"
	}
	return "remove"
}

func (r remove) Inject(ctx context.Context, c *Container) error {
	if c.id == "" { // the engine removes a container in any state: only a missing one is refused
		_, err := c.status(ctx)
		return err
	}
	if err := c.engine().Remove(ctx, c.id, r.volumes); err != nil {
		return err
	}
	c.id, c.agent = "", false
	return nil
}

// Recreate returns the event of removing the container (its anonymous
// volumes left dangling) and launching a new one from the same spec.
func Recreate() Fault { return recreate{} }

type recreate struct{}

var _ Fault = recreate{}

func (recreate) String() string { return "recreate" }

func (recreate) Inject(ctx context.Context, c *Container) error {
	if err := Remove(false).Inject(ctx, c); err != nil {
		return err
	}
	return c.launch(ctx)
}

// Upgrade returns the event of replacing the container by one from image,
// with the same volumes, host folders and settings: the image is checked
// first, then the container removed and launched again from the new image,
// which the spec keeps from then on.
func Upgrade(image string) Fault { return upgrade{image} }

type upgrade struct{ image string }

var _ Fault = upgrade{}

func (u upgrade) String() string { return fmt.Sprintf("upgrade to %s", u.image) }

func (u upgrade) Inject(ctx context.Context, c *Container) error {
	if _, err := c.status(ctx); err != nil {
		return err
	}
	next := c.spec.clone()
	next.Image, next.BuildDir = u.image, ""
	if _, err := c.s.image(ctx, next); err != nil {
		return err // before anything is removed
	}
	c.spec = next
	return recreate{}.Inject(ctx, c)
}
