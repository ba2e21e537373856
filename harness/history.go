package harness

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"
)

// History is what a workload attempted and what it acknowledged, as the
// harness saw each acknowledgement arrive: it lives in the harness, so it
// outlives the container, and a check compares storage against it. A
// number is acknowledged only once its durability point passed (fsync
// returned, or the client's command exited 0).
type History struct {
	mu        sync.Mutex
	attempted int          // the highest number attempted
	acked     map[int]bool // acknowledged numbers
	failed    int          // attempts that failed
	lastErr   string       // why the last one failed
	located   *agentWritten
	running   bool   // its process is running
	ended     string // how its process ended, when it has
	changed   chan struct{}
}

func newHistory() *History {
	return &History{acked: map[int]bool{}, changed: make(chan struct{})}
}

// line takes one line of a workload's stream (see the agent's workloads).
func (h *History) line(s string) {
	kind, rest, _ := strings.Cut(s, " ")
	h.mu.Lock()
	defer h.mu.Unlock()
	switch kind {
	case "L":
		var w agentWritten
		if json.Unmarshal([]byte(rest), &w) == nil {
			h.located = &w
		}
	case "W", "A", "E":
		num, reason, _ := strings.Cut(rest, " ")
		n, err := strconv.Atoi(num)
		if err != nil {
			return
		}
		switch kind {
		case "W":
			h.attempted = max(h.attempted, n)
		case "A":
			h.acked[n] = true
		case "E":
			h.failed++
			h.lastErr = reason
		}
	default:
		return
	}
	h.notify()
}

// notify wakes whoever waits for a change; h.mu is held.
func (h *History) notify() {
	close(h.changed)
	h.changed = make(chan struct{})
}

// started and end mark the workload's process starting and ending.
func (h *History) started() {
	h.mu.Lock()
	h.running, h.ended = true, ""
	h.notify()
	h.mu.Unlock()
}

func (h *History) end(how string) {
	h.mu.Lock()
	h.running, h.ended = false, how
	h.notify()
	h.mu.Unlock()
}

// waitFor returns once cond, called with h.mu held, is true, or ctx ends.
func (h *History) waitFor(ctx context.Context, cond func() bool) error {
	for {
		h.mu.Lock()
		ok, changed := cond(), h.changed
		h.mu.Unlock()
		if ok {
			return nil
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-changed:
		}
	}
}

// Snapshot is a history at one moment.
type Snapshot struct {
	Attempted int   // the highest number attempted
	Acked     []int // the acknowledged numbers, in order
	Failed    int   // attempts that failed
	LastError string
}

// Snapshot returns the history as it is now.
func (h *History) Snapshot() Snapshot {
	h.mu.Lock()
	defer h.mu.Unlock()
	s := Snapshot{Attempted: h.attempted, Failed: h.failed, LastError: h.lastErr}
	for n := range h.acked {
		s.Acked = append(s.Acked, n)
	}
	slices.Sort(s.Acked)
	return s
}

// String summarises a snapshot for messages.
func (s Snapshot) String() string {
	msg := fmt.Sprintf("attempted %d, acknowledged %d (%s)", s.Attempted, len(s.Acked), ranges(s.Acked))
	if s.Failed > 0 {
		msg += fmt.Sprintf(", %d attempts failed (the last: %s)", s.Failed, s.LastError)
	}
	return msg
}

// ranges renders sorted numbers as ranges: "1-5, 9, 12-20", cut short
// after a dozen.
func ranges(ns []int) string {
	if len(ns) == 0 {
		return "none"
	}
	var parts []string
	for i := 0; i < len(ns); {
		j := i
		for j+1 < len(ns) && ns[j+1] == ns[j]+1 {
			j++
		}
		if i == j {
			parts = append(parts, strconv.Itoa(ns[i]))
		} else {
			parts = append(parts, fmt.Sprintf("%d-%d", ns[i], ns[j]))
		}
		i = j + 1
	}
	if len(parts) > 12 {
		return strings.Join(parts[:12], ", ") + fmt.Sprintf(", and %d more ranges", len(parts)-12)
	}
	return strings.Join(parts, ", ")
}
