package docker

import (
	"context"

	"github.com/moby/moby/client"
)

// Health returns the container's health as the engine reports it from the
// image's HEALTHCHECK: "starting", "healthy" or "unhealthy"; "" when the
// container has no health check. Failures are Infrastructure errors.
func (e *Engine) Health(ctx context.Context, id string) (string, error) {
	res, err := e.cli.ContainerInspect(ctx, id, client.ContainerInspectOptions{})
	if err != nil {
		return "", fail("inspect container", err)
	}
	if s := res.Container.State; s != nil && s.Health != nil {
		return string(s.Health.Status), nil
	}
	return "", nil
}
