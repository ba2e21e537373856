package docker

import (
	"context"
	"errors"
	"strings"

	"github.com/moby/moby/client"
)

// RemoveLabelled removes every container carrying all of labels, with its
// anonymous volumes, then every such volume. Objects that vanish meanwhile
// are not errors.
func (e *Engine) RemoveLabelled(ctx context.Context, labels map[string]string) ([]string, error) {
	var removed []string
	var errs []error
	cs, err := e.cli.ContainerList(ctx, client.ContainerListOptions{All: true, Filters: labelFilter(labels)})
	if err != nil {
		return nil, fail("list containers", err)
	}
	for _, c := range cs.Items {
		_, err := e.cli.ContainerRemove(ctx, c.ID, client.ContainerRemoveOptions{Force: true, RemoveVolumes: true})
		switch {
		case err == nil:
			removed = append(removed, "container "+name(c.Names, c.ID))
		case !isGone(err):
			errs = append(errs, fail("remove container "+name(c.Names, c.ID), err))
		}
	}
	vs, err := e.cli.VolumeList(ctx, client.VolumeListOptions{Filters: labelFilter(labels)})
	if err != nil {
		return removed, errors.Join(append(errs, fail("list volumes", err))...)
	}
	for _, v := range vs.Items {
		_, err := e.cli.VolumeRemove(ctx, v.Name, client.VolumeRemoveOptions{Force: true})
		switch {
		case err == nil:
			removed = append(removed, "volume "+v.Name)
		case !isGone(err):
			errs = append(errs, fail("remove volume "+v.Name, err))
		}
	}
	return removed, errors.Join(errs...)
}

func name(names []string, id string) string {
	if len(names) > 0 {
		return strings.TrimPrefix(names[0], "/")
	}
	return id[:min(12, len(id))]
}
