package docker

import (
	"context"
	"errors"
	"strings"

	"github.com/moby/moby/client"

	"github.com/persistcheck/persistcheck/harness"
)

// RemoveLabelled removes every container carrying all of labels, with its
// anonymous volumes, then every such volume. Objects that vanish meanwhile
// are not errors.
func (e *Engine) RemoveLabelled(ctx context.Context, labels map[string]string) ([]string, error) {
	return e.removeWhere(ctx, labelFilter(labels), func(map[string]string) bool { return true })
}

// Sweep removes the containers, then the volumes, that any persistcheck run
// created and whose owner (the label harness.LabelOwner) is not alive by
// the given test. It returns what it removed.
func (e *Engine) Sweep(ctx context.Context, alive func(owner string) bool) ([]string, error) {
	return e.removeWhere(ctx, client.Filters{}.Add("label", harness.LabelRun), func(labels map[string]string) bool {
		return !alive(labels[harness.LabelOwner])
	})
}

// removeWhere removes the containers, then the volumes, that filters list
// and remove accepts by their labels, and returns what it removed.
func (e *Engine) removeWhere(ctx context.Context, filters client.Filters, remove func(labels map[string]string) bool) ([]string, error) {
	var removed []string
	var errs []error
	done := func(what string, err error) {
		switch {
		case err == nil:
			removed = append(removed, what)
		case !isGone(err):
			errs = append(errs, fail("remove "+what, err))
		}
	}
	cs, err := e.cli.ContainerList(ctx, client.ContainerListOptions{All: true, Filters: filters})
	if err != nil {
		return nil, fail("list containers", err)
	}
	for _, c := range cs.Items {
		if remove(c.Labels) {
			_, err := e.cli.ContainerRemove(ctx, c.ID, client.ContainerRemoveOptions{Force: true, RemoveVolumes: true})
			done("container "+name(c.Names, c.ID), err)
		}
	}
	vs, err := e.cli.VolumeList(ctx, client.VolumeListOptions{Filters: filters})
	if err != nil {
		return removed, errors.Join(append(errs, fail("list volumes", err))...)
	}
	for _, v := range vs.Items {
		if remove(v.Labels) {
			_, err := e.cli.VolumeRemove(ctx, v.Name, client.VolumeRemoveOptions{Force: true})
			done("volume "+v.Name, err)
		}
	}
	return removed, errors.Join(errs...)
}

// Labelled returns the names of the containers and volumes that carry all
// of labels.
func (e *Engine) Labelled(ctx context.Context, labels map[string]string) ([]string, error) {
	var out []string
	cs, err := e.cli.ContainerList(ctx, client.ContainerListOptions{All: true, Filters: labelFilter(labels)})
	if err != nil {
		return nil, fail("list containers", err)
	}
	for _, c := range cs.Items {
		out = append(out, "container "+name(c.Names, c.ID))
	}
	vs, err := e.cli.VolumeList(ctx, client.VolumeListOptions{Filters: labelFilter(labels)})
	if err != nil {
		return nil, fail("list volumes", err)
	}
	for _, v := range vs.Items {
		out = append(out, "volume "+v.Name)
	}
	return out, nil
}

func name(names []string, id string) string {
	if len(names) > 0 {
		return strings.TrimPrefix(names[0], "/")
	}
	return id[:min(12, len(id))]
}
