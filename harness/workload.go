package harness

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"
)

// workload is a process of the agent's that writes to a container's storage
// and streams its history: an append workload (records fsynced, or not, to
// a file) or a set workload (a client's command run for n = 1, 2, ...).
// Its history lives in the harness; its process dies with its container,
// and can be started again where it left off.
type workload struct {
	kind    string // "append" or "set"
	c       *Container
	hist    *History
	id      string   // append: the workload's id, in each of its records
	file    string   // append: the path the step named
	fsync   bool     // append: each record fsynced before it is acknowledged
	command []string // set: the client's command, {n} in it
	last    int      // set: the last n; 0 for no end
	placed  placed   // append: where its file landed
	done    chan struct{}
	cancel  context.CancelFunc
}

// argv is the agent's command line that runs the workload from first on.
func (w *workload) argv(first int) []string {
	switch w.kind {
	case "append":
		args := []string{AgentPath, "append"}
		if !w.fsync {
			args = append(args, "--no-fsync")
		}
		for _, m := range w.c.launched.Mounts {
			args = append(args, "--mount", m.Target)
		}
		return append(args, w.id, w.file, strconv.Itoa(first))
	}
	return append([]string{AgentPath, "run", strconv.Itoa(first), strconv.Itoa(w.last), "--"}, w.command...)
}

func (w *workload) String() string {
	if w.kind == "append" {
		how := "fsynced"
		if !w.fsync {
			how = "without fsync"
		}
		return fmt.Sprintf("the records appended to %s in %q (%s)", w.file, w.c.name, how)
	}
	return fmt.Sprintf("%s in %q for n from 1", quoteCommand(w.command), w.c.name)
}

// launch starts the workload's process in the container's instance, from
// first on, in the background. It runs until its container stops, the
// workload ends, or the scenario closes.
func (s *Scenario) launch(w *workload, first int) error {
	if err := w.c.ensureAgent(context.Background()); err != nil {
		return err
	}
	ctx, cancel := context.WithCancel(s.background)
	w.cancel, w.done = cancel, make(chan struct{})
	w.hist.started()
	id, argv, engine := w.c.id, w.argv(first), w.c.engine()
	go func() {
		defer close(w.done)
		res, err := engine.Stream(ctx, id, "", argv, w.hist.line)
		switch {
		case err != nil && ctx.Err() != nil:
			w.hist.end("stopped with the scenario")
		case err != nil:
			w.hist.end(err.Error())
		default:
			how := fmt.Sprintf("exited %d", res.ExitCode)
			if e := strings.TrimSpace(strings.TrimPrefix(string(res.Stderr), "persistcheck-agent: ")); e != "" {
				how += ": " + e
			}
			w.hist.end(how)
		}
	}()
	return nil
}

// StartAppending starts appending records to file in the running container
// name, in the background: each fsynced before it is acknowledged, or,
// without fsync, acknowledged once written. It returns once the workload
// has opened its file and said where it landed.
func (s *Scenario) StartAppending(ctx context.Context, name, file string, fsync bool) error {
	c, err := s.Container(name)
	if err != nil {
		return err
	}
	p, err := cleanPath(file)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, s.run.opts.Timeout)
	defer cancel()
	st, err := c.require(ctx, "append records in", "running")
	if err != nil {
		return err
	}
	w := &workload{kind: "append", c: c, hist: newHistory(), id: uuid.NewString()[:8], file: p, fsync: fsync}
	if err := s.launch(w, 1); err != nil {
		return err
	}
	s.workloads = append(s.workloads, w)
	err = w.hist.waitFor(ctx, func() bool { return w.hist.located != nil || !w.hist.running })
	w.hist.mu.Lock()
	located, ended := w.hist.located, w.hist.ended
	w.hist.mu.Unlock()
	switch {
	case err != nil:
		return Wrap(fmt.Sprintf("start appending to %s in %q", p, name), Infrastructure, deadline(ctx, err))
	case located == nil:
		// The container's storage refused the file: a finding about it.
		return Errorf(Finding, "cannot append records to %s in %q: the workload %s\n%s", p, name, ended, c.evidence(ctx, Status{}))
	}
	l, err := c.landedAt(*located, st)
	if err != nil {
		return err
	}
	w.placed = placed{path: p, writer: name, landed: l}
	return nil
}

// RunCommands runs the command line in the running container name for n
// from first to last, {n} in it replaced by n, one after another, through
// the agent (no shell is needed); n is acknowledged when its command exits
// 0. It returns when all have run, and fails when none succeeded.
func (s *Scenario) RunCommands(ctx context.Context, name, line string, first, last int) error {
	if last < first || first < 0 {
		return Errorf(Invalid, "n from %d to %d counts nothing: the end must not be before the start", first, last)
	}
	w, err := s.setWorkload(ctx, name, line, last)
	if err != nil {
		return err
	}
	select {
	case <-w.done:
	case <-ctx.Done():
		w.cancel()
		<-w.done
		return ctx.Err()
	}
	snap := w.hist.Snapshot()
	switch {
	case strings.Contains(w.hist.ended, "cannot run"):
		return Errorf(Invalid, "%s in %q: %s", quoteCommand(w.command), name, w.hist.ended)
	case len(snap.Acked) == 0:
		return Errorf(Finding, "none of the %d runs of %s in %q succeeded; the last failed: %s", last-first+1, quoteCommand(w.command), name, snap.LastError)
	}
	return nil
}

// StartCommands runs the command line in the running container name for n
// from 1 upward, in the background, as RunCommands does, until a fault
// stops it. It returns once the first command started.
func (s *Scenario) StartCommands(ctx context.Context, name, line string) error {
	ctx, cancel := context.WithTimeout(ctx, s.run.opts.Timeout)
	defer cancel()
	w, err := s.setWorkload(ctx, name, line, 0)
	if err != nil {
		return err
	}
	err = w.hist.waitFor(ctx, func() bool { return w.hist.attempted > 0 || !w.hist.running })
	switch {
	case err != nil:
		return Wrap(fmt.Sprintf("start %s in %q", quoteCommand(w.command), name), Infrastructure, deadline(ctx, err))
	case strings.Contains(w.hist.ended, "cannot run"):
		return Errorf(Invalid, "%s in %q: %s", quoteCommand(w.command), name, w.hist.ended)
	}
	return nil
}

func (s *Scenario) setWorkload(ctx context.Context, name, line string, last int) (*workload, error) {
	argv, err := SplitCommand(line)
	if err != nil {
		return nil, err
	}
	if !strings.Contains(line, "{n}") {
		return nil, Errorf(Invalid, "the command %q has no {n}: write where the number goes, e.g. \"redis-cli SET k{n} v{n}\"", line)
	}
	c, err := s.Container(name)
	if err != nil {
		return nil, err
	}
	if _, err := c.require(ctx, "run commands in", "running"); err != nil {
		return nil, err
	}
	w := &workload{kind: "set", c: c, hist: newHistory(), command: argv, last: last}
	if err := s.launch(w, 1); err != nil {
		return nil, err
	}
	s.workloads = append(s.workloads, w)
	return w, nil
}

// WaitAcknowledged waits until the last workload started in the container
// name has acknowledged at least n: records, or runs of its command. One
// that stops first, or acknowledges too slowly, fails, saying how far it
// got and why.
func (s *Scenario) WaitAcknowledged(ctx context.Context, name string, n int) error {
	w := s.lastWorkload(name, "")
	if w == nil {
		return Errorf(Invalid, "no workload was started in %q in this scenario; start one first: When %q starts appending records to \"/data/log\"", name, name)
	}
	ctx, cancel := context.WithTimeout(ctx, s.run.opts.Timeout)
	defer cancel()
	stop := s.run.progress(func(elapsed time.Duration) string {
		return fmt.Sprintf("waiting for %d acknowledgements of %s: %d so far, after %s", n, w, len(w.hist.Snapshot().Acked), elapsed.Round(time.Second))
	})
	err := w.hist.waitFor(ctx, func() bool { return len(w.hist.acked) >= n || !w.hist.running })
	stop()
	snap := w.hist.Snapshot()
	w.hist.mu.Lock()
	ended := w.hist.ended
	w.hist.mu.Unlock()
	switch {
	case len(snap.Acked) >= n:
		return nil
	case err != nil && errors.Is(ctx.Err(), context.DeadlineExceeded):
		return Errorf(Infrastructure, "%s acknowledged %d of the %d awaited within %s: %s\n    it is still writing, only slower than that: give it longer with --timeout, or await fewer", w, len(snap.Acked), n, s.run.opts.Timeout, snap)
	case err != nil:
		return Errorf(Infrastructure, "%s acknowledged %d of the %d awaited: %s: %v", w, len(snap.Acked), n, snap, err)
	}
	c := w.c
	return Errorf(Finding, "%s stopped (%s) after acknowledging %d of the %d awaited: %s\n%s", w, ended, len(snap.Acked), n, snap, c.evidence(ctx, Status{}))
}

// lastWorkload returns the last workload started in the container name,
// of kind if not "".
func (s *Scenario) lastWorkload(name, kind string) *workload {
	for i := len(s.workloads) - 1; i >= 0; i-- {
		w := s.workloads[i]
		if w.c.name == name && (kind == "" || w.kind == kind) {
			return w
		}
	}
	return nil
}

// resume starts again, where they left off, the workloads of c whose
// process ended with the instance they ran in, and waits until each has
// acknowledged something new.
func (s *Scenario) resume(ctx context.Context, c *Container, which []*workload) error {
	for _, w := range which {
		<-w.done
		before := len(w.hist.Snapshot().Acked)
		if err := s.launch(w, w.hist.Snapshot().Attempted+1); err != nil {
			return err
		}
		err := w.hist.waitFor(ctx, func() bool { return len(w.hist.acked) > before || !w.hist.running })
		if err != nil {
			return Wrap(fmt.Sprintf("wait for %s to go on", w), Infrastructure, deadline(ctx, err))
		}
		if len(w.hist.Snapshot().Acked) == before {
			w.hist.mu.Lock()
			ended := w.hist.ended
			w.hist.mu.Unlock()
			return Errorf(Finding, "%s did not go on after the container started again: it %s\n%s", w, ended, c.evidence(ctx, Status{}))
		}
	}
	return nil
}

// running returns c's workloads whose process is running.
func (s *Scenario) running(c *Container) []*workload {
	var out []*workload
	for _, w := range s.workloads {
		w.hist.mu.Lock()
		if w.c == c && w.hist.running {
			out = append(out, w)
		}
		w.hist.mu.Unlock()
	}
	return out
}

// Fill writes a file into dir in the running container name until its file
// system is full. dir must be on a size-limited volume: filling any other
// storage would fill the engine's own disk.
func (s *Scenario) Fill(ctx context.Context, name, dir string) error {
	c, err := s.Container(name)
	if err != nil {
		return err
	}
	p, err := cleanPath(dir)
	if err != nil {
		return err
	}
	at := c.spotOf(p)
	if c.launches > 0 && (at.at.Kind != NamedVolume || s.volumes[at.at.Source] == nil || s.volumes[at.at.Source].size == 0) {
		return Errorf(Invalid, "%s in %q is not on a size-limited volume, and filling it would fill the engine's own disk: mount one there, e.g. Given a volume \"small\" limited to \"16m\"", p, name)
	}
	ctx, cancel := context.WithTimeout(ctx, s.run.opts.Timeout)
	defer cancel()
	if _, err := c.require(ctx, "fill a folder of", "running"); err != nil {
		return err
	}
	var filled []struct {
		Bytes int64 `json:"bytes"`
	}
	err = c.agentDo(ctx, &filled, 1, "fill", p)
	return Wrap(fmt.Sprintf("fill %s in %q", p, name), Unknown, deadline(ctx, err))
}
