package harness

import (
	"context"
	"fmt"
	"path"
	"strings"
	"time"
)

// Evidence is gathered after a failure, when the step's own deadline may
// have passed: it gets a deadline of its own.
const evidenceTimeout = 15 * time.Second

// logLines is how much of a container's log a failure shows.
const logLines = 20

// evidence describes the container as it is now, for a failure message:
// what it is on the engine, its state, the event that last touched it, its
// mounts as the engine reports them, and the end of its log. st is its
// status when the caller has it; zero to ask.
func (c *Container) evidence(ctx context.Context, st Status) string {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), evidenceTimeout)
	defer cancel()
	var b strings.Builder
	line := func(format string, args ...any) { fmt.Fprintf(&b, "    "+format+"\n", args...) }
	switch {
	case c.launches == 0:
		line("container %q: never started", c.name)
		return strings.TrimRight(b.String(), "\n")
	case c.id == "":
		line("container %q: removed (its last instance was %s)", c.name, c.engineName)
	default:
		if st.State == "" {
			var err error
			if st, err = c.engine().Inspect(ctx, c.id); err != nil {
				line("container %q: %s (%s); the engine did not say its state: %v", c.name, c.engineName, short(c.id), err)
			}
		}
		if st.State != "" {
			line("container %q: %s (%s), %s", c.name, c.engineName, short(c.id), st.detail())
		}
	}
	line("image %s, command %s", c.imageName(), c.commandName())
	line("last event: %s", c.lastEvent())
	if c.lastCut != "" {
		line("the last power cut: %s", c.lastCut)
	}
	switch {
	case c.id == "" && len(c.launched.Mounts) > 0:
		line("mounts, as declared (the engine has no container to ask):")
		for _, m := range c.launched.Mounts {
			line("  %s", m)
		}
	case c.id != "" && len(st.Mounts) > 0:
		line("mounts, as the engine reports them:")
		for _, m := range st.Mounts {
			line("  %s", m)
		}
	default:
		line("mounts: none")
	}
	if c.id == "" {
		line("log: removed with the container")
		return strings.TrimRight(b.String(), "\n")
	}
	tail, err := c.engine().LogTail(ctx, c.id, logLines)
	switch {
	case err != nil:
		line("log: could not be read: %v", err)
	case strings.TrimSpace(tail) == "":
		line("log: empty")
	default:
		line("the last %d lines of its log:", logLines)
		b.WriteString(indent(indent(tail)) + "\n")
	}
	return strings.TrimRight(b.String(), "\n")
}

func (c *Container) imageName() string {
	if c.launched.BuildDir != "" {
		return "built from " + c.launched.BuildDir
	}
	return c.launched.Image
}

func (c *Container) commandName() string {
	if len(c.launched.Cmd) == 0 {
		return "the image's own"
	}
	return quoteCommand(c.launched.Cmd)
}

// listing describes a folder as a read found it: "no such folder", or its
// entries.
func listing(dir string, f File) string {
	switch {
	case !f.Exists:
		return fmt.Sprintf("folder %s: no such folder", dir)
	case f.Kind != "folder":
		return fmt.Sprintf("folder %s: a %s, not a folder", dir, f.Kind)
	case f.Total == 0:
		return fmt.Sprintf("folder %s: empty", dir)
	}
	names := make([]string, len(f.Entries))
	for i, e := range f.Entries {
		switch e.Kind {
		case "file":
			names[i] = fmt.Sprintf("%s (%s)", e.Name, size(e.Size))
		case "folder":
			names[i] = e.Name + "/"
		default:
			names[i] = fmt.Sprintf("%s (%s)", e.Name, e.Kind)
		}
	}
	more := ""
	if f.Total > len(f.Entries) {
		more = fmt.Sprintf(", and %d more", f.Total-len(f.Entries))
	}
	return fmt.Sprintf("folder %s holds %d: %s%s", dir, f.Total, strings.Join(names, ", "), more)
}

// parent returns the spot of the folder that holds sp.
func (sp spot) parent() spot { return spot{path.Dir(sp.path), sp.at} }

func indent(s string) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	return "    " + strings.Join(lines, "\n    ")
}
