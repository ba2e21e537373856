package harness

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"
)

// probeInterval is the pause between two runs of a readiness probe.
const probeInterval = 100 * time.Millisecond

// ready runs start, an action that starts the instance, then waits until the
// container is ready by its spec: a new line with its log text (lines from
// earlier boots do not count), or its probe succeeding; with neither, until
// the engine reports it running. A container that stops instead is a
// Finding that quotes the end of its log.
func (c *Container) ready(ctx context.Context, start func() error) error {
	r := c.launched.Ready
	seen := 0
	if r.LogLine != "" {
		n, err := c.engine().CountLog(ctx, c.id, r.LogLine)
		if err != nil {
			return Wrap("read the log of "+c.name, Infrastructure, err)
		}
		seen = n
	}
	if err := start(); err != nil {
		return err
	}
	var err error
	switch {
	case r.LogLine != "":
		err = c.engine().WaitLog(ctx, c.id, r.LogLine, seen+1)
	case len(r.Probe) > 0:
		err = c.probe(ctx, r.Probe)
	}
	if err != nil && KindOf(err) == Invalid {
		return err
	}
	st, serr := c.status(ctx)
	switch {
	case serr != nil:
		return serr
	case st.State != "running":
		return c.died(ctx, st)
	case err != nil && ctx.Err() != nil:
		return Wrap(fmt.Sprintf("container %q did not become ready: %s", c.name, readiness(r)), Infrastructure, err)
	}
	return Wrap(fmt.Sprintf("wait until %q is ready", c.name), Unknown, err)
}

// probe runs argv in the container until it exits 0, the container stops or
// ctx ends.
func (c *Container) probe(ctx context.Context, argv []string) error {
	tick := time.NewTicker(probeInterval)
	defer tick.Stop()
	for {
		res, err := c.engine().Exec(ctx, c.id, argv)
		switch {
		case err == nil && res.ExitCode == 0:
			return nil
		case KindOf(err) == Invalid:
			return Wrap("readiness probe", Invalid, err)
		}
		if st, serr := c.status(ctx); serr != nil || st.State != "running" {
			return errors.Join(err, serr)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-tick.C:
		}
	}
}

// died describes a container that stopped when it should have been ready.
func (c *Container) died(ctx context.Context, st Status) error {
	msg := fmt.Sprintf("container %q is %s instead of ready", c.name, describe(st))
	if tail, err := c.engine().LogTail(ctx, c.id, 10); err == nil && strings.TrimSpace(tail) != "" {
		msg += "; the end of its log:\n" + indent(tail)
	}
	return Errorf(Finding, "%s", msg)
}

func readiness(r Readiness) string {
	switch {
	case r.LogLine != "":
		return fmt.Sprintf("no new log line with %q", r.LogLine)
	case len(r.Probe) > 0:
		return fmt.Sprintf("%s never succeeded", quoteCommand(r.Probe))
	}
	return "not running"
}

func indent(s string) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	return "    " + strings.Join(lines, "\n    ")
}
