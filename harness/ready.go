package harness

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Readiness says when a started container is ready for the next step. The
// zero spec waits only until the engine reports the container running and
// it survives its first moments; the others are ReadyOnLog, ReadyOnProbe,
// ReadyOnPort and ReadyWhenHealthy.
type Readiness interface {
	fmt.Stringer // what is awaited, e.g. `a new log line with "ready"`
	waiter() waiter
}

// waiter is one wait for readiness, after one start.
type waiter interface {
	// before runs before the container starts, e.g. to count log lines.
	before(ctx context.Context, c *Container) error
	// wait returns once the container is ready, or it stopped, or ctx ended.
	wait(ctx context.Context, c *Container) error
	// seen says what the wait has seen so far, for progress and timeouts.
	seen(ctx context.Context, c *Container) string
}

// Timings of readiness waits.
const (
	probeInterval = 100 * time.Millisecond
	// settle is how long a container without a readiness condition must
	// run to count as started: a command that fails at once (a bad flag, a
	// missing file) exits within it. On a loaded machine it is as long as
	// the engine took to start the container, since the command's first
	// moments are slowed as much.
	settle = 250 * time.Millisecond
)

// ready runs start, an action that starts the instance, then waits until the
// container is ready by its spec, saying on the run's progress writer what
// it waits for while it lasts. A container that stops instead is a Finding
// with its exit code and log; one that is not ready by the deadline is an
// Infrastructure error that says what was awaited, what was seen, and how
// to give it longer.
func (c *Container) ready(ctx context.Context, start func() error) error {
	r := c.launched.ready()
	w := r.waiter()
	if err := w.before(ctx, c); err != nil {
		return err
	}
	if err := start(); err != nil {
		return c.startFailed(ctx, err)
	}
	restarts := 0 // by the restart policy, before the wait: a crash during it is not ready
	if c.launched.RestartOnFailure {
		st, err := c.status(ctx)
		if err != nil {
			return err
		}
		restarts = st.RestartCount
	}
	limit := c.readyTimeout()
	wctx, cancel := context.WithTimeout(ctx, limit)
	defer cancel()
	stop := c.s.run.progress(func(elapsed time.Duration) string {
		return fmt.Sprintf("waiting for %q (scenario %q) to be ready: %s; %s of %s; %s", c.name, c.s.Name, r, elapsed.Round(time.Second), limit, w.seen(wctx, c))
	})
	err := w.wait(wctx, c)
	stop()
	if err != nil && KindOf(err) == Invalid {
		return err
	}
	// The wait may have used up the operation's deadline: the state is
	// asked for on one of its own.
	sctx, scancel := context.WithTimeout(context.WithoutCancel(ctx), evidenceTimeout)
	defer scancel()
	st, serr := c.status(sctx)
	switch {
	case serr != nil:
		return serr
	case st.State == "restarting" || c.launched.RestartOnFailure && st.RestartCount > restarts:
		return c.died(ctx, st, "crashed and is being restarted by its restart policy")
	case st.State != "running":
		return c.died(ctx, st, describe(st)+" instead of running")
	case err != nil && wctx.Err() != nil && (ctx.Err() == nil || errors.Is(ctx.Err(), context.DeadlineExceeded)):
		return Errorf(Infrastructure, "container %q was not ready within %s: it waited for %s; %s\n    give it longer with --timeout, or for this container alone: %q may take \"%s\" to become ready\n%s",
			c.name, limit, r, w.seen(context.WithoutCancel(ctx), c), c.name, longer(limit), c.evidence(ctx, st))
	case err != nil:
		return Wrap(fmt.Sprintf("wait until %q is ready", c.name), Unknown, err)
	}
	c.expect = "running"
	return nil
}

// readyTimeout is how long the container may take to become ready.
func (c *Container) readyTimeout() time.Duration {
	if c.launched.ReadyTimeout > 0 {
		return c.launched.ReadyTimeout
	}
	return c.s.run.opts.Timeout
}

// longer suggests a deadline: twice limit, in a round unit.
func longer(limit time.Duration) string {
	d := 2 * limit
	if d >= time.Minute {
		return strconv.Itoa(int((d+time.Minute-1)/time.Minute)) + "m"
	}
	return strconv.Itoa(int((d+time.Second-1)/time.Second)) + "s"
}

// startFailed explains an engine that refused to start the container, such
// as a command that is not in the image. The scenario's own command is
// invalid input; the image's own is a finding about the image.
func (c *Container) startFailed(ctx context.Context, err error) error {
	msg := err.Error()
	if !strings.Contains(msg, "executable file not found") && !strings.Contains(msg, "no such file or directory") && !strings.Contains(msg, "permission denied") {
		return err
	}
	kind, whose := Finding, "the image's command"
	if len(c.launched.Cmd) > 0 {
		kind, whose = Invalid, "the command the scenario gives it"
	}
	return Errorf(kind, "container %q cannot start: the engine cannot run %s (%s): %s\n%s", c.name, whose, c.commandName(), runtimeReason(msg), c.evidence(ctx, Status{}))
}

// runtimeReason extracts the useful part of an OCI runtime error, e.g.
// `exec: "nosuch": executable file not found in $PATH`.
func runtimeReason(out string) string {
	out = strings.TrimSpace(out)
	if i := strings.Index(out, "exec: "); i >= 0 {
		out = out[i:]
	}
	return strings.TrimSuffix(out, ": unknown")
}

// died describes a container that stopped when it should have been ready:
// a finding about the image, with its exit code, OOM flag and log.
func (c *Container) died(ctx context.Context, st Status, what string) error {
	return Errorf(Finding, "container %q %s, %s after it started\n%s", c.name, what, lasted(st.StartedAt, st.FinishedAt), c.evidence(ctx, st))
}

// ReadyWhenRunning is the default readiness: the engine reports the
// container running, and it is still running a moment later. The built-in
// agent serving as the main process says when it is ready (after what its
// flags make it do at start): its ready line is awaited instead.
type ReadyWhenRunning struct{}

func (ReadyWhenRunning) String() string { return "the container to keep running" }
func (ReadyWhenRunning) waiter() waiter { return &running{} }

// agentReady is the line the built-in agent prints once serving.
const agentReady = "persistcheck-agent: ready"

type running struct {
	serving *logWait
	began   time.Time // when the start was asked for
}

func (r *running) before(ctx context.Context, c *Container) error {
	r.began = time.Now()
	if c.servingAgent() && !slices.Equal(c.image.Cmd, []string{"serve"}) {
		r.serving = &logWait{text: agentReady}
		return r.serving.before(ctx, c)
	}
	return nil
}

// wait gives a container whose command may fail a moment to do so. The
// agent serving as the image's own command, with no flag, cannot fail: it
// runs as soon as the engine says so.
func (r *running) wait(ctx context.Context, c *Container) error {
	if r.serving != nil {
		return r.serving.wait(ctx, c)
	}
	if c.servingAgent() {
		return nil
	}
	sctx, cancel := context.WithTimeout(ctx, max(settle, time.Since(r.began)))
	defer cancel()
	err := c.engine().WaitStopped(sctx, c.id)
	if sctx.Err() != nil && ctx.Err() == nil {
		return nil // still running after the settle time
	}
	return err
}

func (r *running) seen(ctx context.Context, c *Container) string {
	if r.serving != nil {
		return r.serving.seen(ctx, c)
	}
	return ""
}

// servingAgent reports whether the container's main process is the agent
// serving: its image carries the agent as its own command.
func (c *Container) servingAgent() bool {
	return c.image.HasAgent && len(c.launched.Cmd) == 0 && len(c.launched.Entrypoint) == 0
}

// ReadyOnLog is ready once the log shows a new line containing Text: lines
// from earlier starts do not count.
type ReadyOnLog struct{ Text string }

func (r ReadyOnLog) String() string { return fmt.Sprintf("a new log line with %q", r.Text) }
func (r ReadyOnLog) waiter() waiter { return &logWait{text: r.Text} }

type logWait struct {
	text string
	had  int // lines with text before the start
}

func (l *logWait) before(ctx context.Context, c *Container) error {
	if c.boots == 0 && c.launches == 1 {
		return nil // a new container has no log yet
	}
	n, err := c.engine().CountLog(ctx, c.id, l.text)
	l.had = n
	return Wrap("read the log of "+c.name, Infrastructure, err)
}

func (l *logWait) wait(ctx context.Context, c *Container) error {
	return c.engine().WaitLog(ctx, c.id, l.text, l.had+1)
}

func (l *logWait) seen(ctx context.Context, c *Container) string {
	all, err := c.engine().CountLog(ctx, c.id, "")
	if err != nil {
		return "its log could not be read"
	}
	n, _ := c.engine().CountLog(ctx, c.id, l.text)
	return fmt.Sprintf("its log has %s, %d of them with %q, %d from before this start", plural(all, "line"), n, l.text, l.had)
}

// ReadyOnProbe is ready once Argv exits 0 inside the container.
type ReadyOnProbe struct{ Argv []string }

func (r ReadyOnProbe) String() string { return fmt.Sprintf("%s to succeed", quoteCommand(r.Argv)) }
func (r ReadyOnProbe) waiter() waiter {
	return &probeWait{run: func(ctx context.Context, c *Container) (ExecResult, error) {
		return c.engine().Exec(ctx, c.id, r.Argv)
	}}
}

// ReadyOnPort is ready once a TCP socket listens on Port inside the
// container, as its own network namespace shows it; the agent checks, so
// images without a shell work too.
type ReadyOnPort struct{ Port int }

func (r ReadyOnPort) String() string { return fmt.Sprintf("TCP port %d to listen", r.Port) }
func (r ReadyOnPort) waiter() waiter {
	return &probeWait{run: func(ctx context.Context, c *Container) (ExecResult, error) {
		if err := c.ensureAgent(ctx); err != nil {
			return ExecResult{}, err
		}
		return c.engine().Exec(ctx, c.id, []string{AgentPath, "listening", strconv.Itoa(r.Port)})
	}}
}

// probeWait runs a probe until it exits 0, the container stops or ctx ends,
// and keeps the last result for messages.
type probeWait struct {
	run func(context.Context, *Container) (ExecResult, error)

	mu    sync.Mutex // seen reads what wait writes
	last  ExecResult
	tries int
	err   error
}

func (p *probeWait) before(context.Context, *Container) error { return nil }

func (p *probeWait) wait(ctx context.Context, c *Container) error {
	return poll(ctx, func() (bool, error) {
		res, err := p.run(ctx, c)
		if ctx.Err() == nil { // a probe cut short says nothing of the container
			p.mu.Lock()
			p.last, p.err, p.tries = res, err, p.tries+1
			p.mu.Unlock()
		}
		switch {
		case err == nil && res.ExitCode == 0:
			return true, nil
		case KindOf(err) == Invalid:
			return true, Wrap("readiness probe", Invalid, err)
		}
		if st, serr := c.status(ctx); serr != nil || st.State != "running" {
			return true, errors.Join(err, serr)
		}
		return false, nil
	})
}

// poll calls try every probeInterval until it is done or ctx ends.
func poll(ctx context.Context, try func() (done bool, err error)) error {
	tick := time.NewTicker(probeInterval)
	defer tick.Stop()
	for {
		if done, err := try(); done {
			return err
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-tick.C:
		}
	}
}

func (p *probeWait) seen(context.Context, *Container) string {
	p.mu.Lock()
	defer p.mu.Unlock()
	switch {
	case p.tries == 0:
		return "not probed yet"
	case p.err != nil:
		return fmt.Sprintf("%s; the last could not run: %v", plural(p.tries, "probe"), p.err)
	}
	out := strings.TrimSpace(string(p.last.Stdout) + string(p.last.Stderr))
	if out == "" {
		out = "no output"
	} else {
		out = "output " + strconvQuote(out)
	}
	return fmt.Sprintf("%s; the last exited %d, %s", plural(p.tries, "probe"), p.last.ExitCode, out)
}

// ReadyWhenHealthy is ready once the engine reports the image's own
// HEALTHCHECK healthy.
type ReadyWhenHealthy struct{}

func (ReadyWhenHealthy) String() string { return "its HEALTHCHECK to report healthy" }
func (ReadyWhenHealthy) waiter() waiter { return &healthWait{} }

type healthWait struct {
	mu   sync.Mutex // seen reads what wait writes
	last Status
}

func (h *healthWait) before(context.Context, *Container) error { return nil }

func (h *healthWait) wait(ctx context.Context, c *Container) error {
	return poll(ctx, func() (bool, error) {
		st, err := c.status(ctx)
		h.mu.Lock()
		h.last = st
		h.mu.Unlock()
		// A container that died is done too: the caller says so.
		return err != nil || st.State != "running" || st.Health == "healthy", err
	})
}

func (h *healthWait) seen(context.Context, *Container) string {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.last.Health == "" {
		return "no health reported yet"
	}
	last := h.last.HealthLog
	if last == "" {
		last = "no probe has finished yet"
	}
	return fmt.Sprintf("health %s; the last probe: %s", h.last.Health, last)
}

// plural renders a count of things: "1 line", "3 lines".
func plural(n int, thing string) string {
	if n == 1 {
		return "1 " + thing
	}
	return fmt.Sprintf("%d %ss", n, thing)
}

// strconvQuote quotes s, cut to a readable length.
func strconvQuote(s string) string {
	if len(s) > 200 {
		s = s[:200] + "..."
	}
	return strconv.Quote(s)
}
