package docker

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	cerrdefs "github.com/containerd/errdefs"
	"github.com/moby/moby/client"

	"github.com/persistcheck/persistcheck/fixtures"
	"github.com/persistcheck/persistcheck/harness"
)

// RemoveLabelled removes every container carrying all of labels, with its
// anonymous volumes, then every such volume. Objects that vanish meanwhile
// are not errors.
func (e *Engine) RemoveLabelled(ctx context.Context, labels map[string]string) ([]string, error) {
	removed, err := e.removeWhere(ctx, labelFilter(labels), func(l map[string]string) bool { return carries(l, labels) })
	dangling, derr := e.anon.remove(ctx, e, func(l map[string]string) bool { return carries(l, labels) })
	return append(removed, dangling...), errors.Join(err, derr)
}

// Sweep removes the containers, then the volumes, that any persistcheck run
// created and whose owner (the label harness.LabelOwner) is not alive by
// the given test. It returns what it removed.
func (e *Engine) Sweep(ctx context.Context, alive func(owner string) bool) ([]string, error) {
	dead := func(labels map[string]string) bool {
		return labels[harness.LabelRun] != "" && !alive(labels[harness.LabelOwner])
	}
	removed, err := e.removeWhere(ctx, client.Filters{}.Add("label", harness.LabelRun), dead)
	dangling, derr := e.anon.sweep(ctx, e, dead)
	loops, lerr := e.sweepLoops(ctx)
	agents, aerr := e.sweepAgentVolumes(ctx)
	return slices.Concat(removed, dangling, loops, agents), errors.Join(err, derr, lerr, aerr)
}

// sweepAgentVolumes removes the agent volumes of other versions of the
// agent than this one, which no container uses any more.
func (e *Engine) sweepAgentVolumes(ctx context.Context) ([]string, error) {
	vs, err := e.cli.VolumeList(ctx, client.VolumeListOptions{Filters: client.Filters{}.Add("label", labelAgent)})
	if err != nil {
		return nil, fail("list agent volumes", err)
	}
	var removed []string
	for _, v := range vs.Items {
		if v.Labels[labelAgent] == fixtures.Digest() {
			continue
		}
		if _, err := e.cli.VolumeRemove(ctx, v.Name, client.VolumeRemoveOptions{}); err == nil {
			removed = append(removed, "agent volume "+v.Name)
		}
	}
	return removed, nil
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
			done("container "+name(c.Names, c.ID), e.removeContainer(ctx, c.ID))
		}
	}
	vs, err := e.cli.VolumeList(ctx, client.VolumeListOptions{Filters: filters})
	if err != nil {
		return removed, errors.Join(append(errs, fail("list volumes", err))...)
	}
	for _, v := range vs.Items {
		if remove(v.Labels) {
			err := e.removeVolume(ctx, v.Name)
			if err == nil || isGone(err) {
				err = errors.Join(err, releaseLoop(v.Labels))
			}
			done("volume "+v.Name, err)
		}
	}
	return removed, errors.Join(errs...)
}

// removeContainer removes a container with its anonymous volumes. A
// removal already under way, which the engine goes on with after the
// request for it was cancelled (an interrupted run), is waited for.
func (e *Engine) removeContainer(ctx context.Context, id string) error {
	_, err := e.cli.ContainerRemove(ctx, id, client.ContainerRemoveOptions{Force: true, RemoveVolumes: true})
	if err != nil && cerrdefs.IsConflict(err) && strings.Contains(err.Error(), "in progress") {
		return e.waitGone(ctx, id)
	}
	return err
}

// waitGone returns once the container id no longer exists.
func (e *Engine) waitGone(ctx context.Context, id string) error {
	return retry(ctx, func() (bool, error) {
		_, err := e.cli.ContainerInspect(ctx, id, client.ContainerInspectOptions{})
		if isGone(err) {
			return true, nil
		}
		return false, err
	}, func() string { return "container " + id + " is still being removed" })
}

// removeVolume removes a volume. One still in use, by a container that is
// being removed, is tried again until that container is gone.
func (e *Engine) removeVolume(ctx context.Context, name string) error {
	var last error
	return retry(ctx, func() (bool, error) {
		_, err := e.cli.VolumeRemove(ctx, name, client.VolumeRemoveOptions{Force: true})
		if err != nil && cerrdefs.IsConflict(err) {
			last = err
			return false, nil
		}
		return true, err
	}, func() string { return fmt.Sprintf("volume %s is still in use (%v)", name, last) })
}

// retry calls try, with growing pauses, until it reports done or fails, or
// ctx ends, which is an error that says what was still waited for.
func retry(ctx context.Context, try func() (done bool, err error), waiting func() string) error {
	for pause := 10 * time.Millisecond; ; pause = min(2*pause, 500*time.Millisecond) {
		done, err := try()
		if done || err != nil {
			return err
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("%s: %w", waiting(), ctx.Err())
		case <-time.After(pause):
		}
	}
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
		if carries(c.Labels, labels) {
			out = append(out, "container "+name(c.Names, c.ID))
		}
	}
	vs, err := e.cli.VolumeList(ctx, client.VolumeListOptions{Filters: labelFilter(labels)})
	if err != nil {
		return nil, fail("list volumes", err)
	}
	for _, v := range vs.Items {
		if carries(v.Labels, labels) {
			out = append(out, "volume "+v.Name)
		}
	}
	return append(out, e.anon.matching(func(l map[string]string) bool { return carries(l, labels) })...), nil
}

func name(names []string, id string) string {
	if len(names) > 0 {
		return strings.TrimPrefix(names[0], "/")
	}
	return id[:min(12, len(id))]
}
