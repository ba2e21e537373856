package harness

import (
	"fmt"
	"regexp"
	"strings"
	"time"
)

// Status is a container's state as the engine reports it.
type Status struct {
	State        string // created, running, paused, restarting, exited, dead
	ExitCode     int
	OOMKilled    bool
	RestartCount int       // restarts by the engine's restart policy
	StartedAt    time.Time // the last start, by the engine's clock
	FinishedAt   time.Time // the last exit, by the engine's clock
	Error        string    // what the engine says went wrong, e.g. starting the process
	Health       string    // starting, healthy or unhealthy; "" without a HEALTHCHECK
	HealthLog    string    // the output of the last health probe
	Mounts       []MountStatus
}

// MountStatus is a mount as the engine reports it.
type MountStatus struct {
	Type        string // volume, bind or tmpfs
	Name        string // a volume's name
	Source      string // a host path
	Destination string
	RW          bool
}

func (m MountStatus) String() string {
	what := m.Type
	switch {
	case m.Type == "volume" && anonymous.MatchString(m.Name):
		what = "anonymous volume " + short(m.Name)
	case m.Name != "":
		what += " " + m.Name
	case m.Source != "" && m.Type == "bind":
		what += " " + m.Source
	}
	mode := "rw"
	if !m.RW {
		mode = "ro"
	}
	return fmt.Sprintf("%s at %s (%s)", what, m.Destination, mode)
}

// anonymous matches the names the engine gives volumes it names itself.
var anonymous = regexp.MustCompile(`^[0-9a-f]{64}$`)

// Running reports whether processes run (or are frozen) in the container.
func (s Status) Running() bool { return s.State == "running" || s.State == "paused" }

// describe renders a state for messages: "exited (code 3, killed for lack of
// memory)".
func describe(st Status) string {
	switch st.State {
	case "exited", "dead":
		var notes []string
		notes = append(notes, fmt.Sprintf("code %d", st.ExitCode))
		if st.OOMKilled {
			notes = append(notes, "killed for lack of memory")
		}
		return fmt.Sprintf("%s (%s)", st.State, strings.Join(notes, ", "))
	case "":
		return "in no known state"
	}
	return st.State
}

// detail renders everything the engine says of the container's state, for
// evidence: its state, exit code, OOM flag, restarts, times, health.
func (s Status) detail() string {
	parts := []string{describe(s)}
	if s.State == "running" || s.State == "paused" {
		parts[0] = fmt.Sprintf("%s since %s", s.State, clock(s.StartedAt))
		if s.ExitCode != 0 {
			parts = append(parts, fmt.Sprintf("last exit code %d", s.ExitCode))
		}
	} else if !s.FinishedAt.IsZero() {
		parts = append(parts, fmt.Sprintf("at %s, %s after it started", clock(s.FinishedAt), lasted(s.StartedAt, s.FinishedAt)))
	}
	if !s.OOMKilled {
		parts = append(parts, "not OOM-killed")
	}
	parts = append(parts, fmt.Sprintf("restarted %s by its restart policy", times(s.RestartCount)))
	if s.Health != "" {
		parts = append(parts, "health "+s.Health)
	}
	if s.Error != "" {
		parts = append(parts, "engine error: "+s.Error)
	}
	return strings.Join(parts, ", ")
}

// clock renders an engine time as the time of day, to the millisecond.
func clock(t time.Time) string {
	if t.IsZero() {
		return "an unknown time"
	}
	return t.UTC().Format("15:04:05.000")
}

// lasted renders how long from start to end, when both are known.
func lasted(start, end time.Time) string {
	if start.IsZero() || end.Before(start) {
		return "an unknown time"
	}
	return end.Sub(start).Round(time.Millisecond).String()
}

func times(n int) string {
	if n == 1 {
		return "once"
	}
	return fmt.Sprintf("%d times", n)
}
