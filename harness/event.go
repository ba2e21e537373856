package harness

import (
	"fmt"
	"strings"
	"time"
)

// event is a lifecycle event a container went through, as the scenario
// injected it.
type event struct {
	what    string // the fault, as a verb phrase: "kill with SIGKILL"
	from    string // the instance before, "" for none
	to      string // the instance after, "" for none (removed)
	stopped bool   // its processes ended (or it was replaced)
	failed  bool   // the event did not complete
	at      time.Time
}

func (e event) String() string {
	var s string
	switch {
	case e.from != "" && e.to != "" && e.from != e.to:
		s = fmt.Sprintf("%s replaced container %s with %s", e.what, short(e.from), short(e.to))
	case e.from != "" && e.to == "":
		s = fmt.Sprintf("%s removed container %s", e.what, short(e.from))
	case e.from == "" && e.to != "":
		s = fmt.Sprintf("%s created container %s", e.what, short(e.to))
	default:
		s = fmt.Sprintf("%s (container %s)", e.what, short(e.to))
	}
	if e.failed {
		s += ", and failed"
	}
	return fmt.Sprintf("%s (at %s)", s, clock(e.at))
}

func (e event) replaced() bool { return e.from != e.to }

// short shortens an engine id as the docker command line does.
func short(id string) string {
	switch {
	case id == "":
		return "(none)"
	case strings.Contains(id, "/"): // a pod's namespace/name, which kubectl takes whole
		return id
	}
	return id[:min(12, len(id))]
}

// history is what a container went through since a write: whether the
// instance written in was replaced (or removed) and whether its processes
// ended, with the event that did each.
type history struct {
	replaced bool
	stopped  bool
	replacer string // the event that replaced or removed it
	stopper  string // the event that first ended its processes
	events   []event
}

// since returns what c went through after its event number from, when the
// write happened in instance id, whose restart count was then restarts and
// whose status is now st (zero when it has no instance).
func (c *Container) since(from int, id string, restarts int, st Status) history {
	var h history
	if from < len(c.events) {
		h.events = c.events[from:]
	}
	for _, e := range h.events {
		if e.replaced() && !h.replaced && e.from != "" {
			h.replaced, h.replacer = true, e.what
		}
		if e.stopped && !h.stopped {
			h.stopped, h.stopper = true, e.what
		}
	}
	if c.id != id && !h.replaced {
		h.replaced, h.replacer = true, "a new container"
	}
	if !h.replaced && st.RestartCount > restarts && !h.stopped {
		h.stopped, h.stopper = true, fmt.Sprintf("the engine's restart policy (it restarted the container %s)", times(st.RestartCount-restarts))
	}
	if !h.stopped && !h.replaced && st.State != "" && !st.Running() {
		h.stopped, h.stopper = true, fmt.Sprintf("its main process ending (%s)", describe(st))
	}
	if h.replaced && !h.stopped {
		h.stopped, h.stopper = true, h.replacer
	}
	return h
}

// lastEvent describes the event that last touched c, for evidence: the
// one under way, if any.
func (c *Container) lastEvent() string {
	switch {
	case c.current != "":
		return c.current + ", under way"
	case len(c.events) == 0:
		return "none yet"
	}
	return c.events[len(c.events)-1].String()
}
