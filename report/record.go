// Package report renders what a persistcheck run did: for a terminal
// (pretty, progress) and for CI (JUnit), as godog formatters. Every report
// counts a scenario that an interruption stopped as skipped, never as passed
// or failed, and tells failures by kind: a finding about the system under
// test, or an error of the infrastructure or of the input.
package report

import (
	"fmt"
	"io"
	"strings"
	"sync"
	"time"

	"github.com/cucumber/godog/formatters"
	messages "github.com/cucumber/messages/go/v34"

	"github.com/persistcheck/persistcheck/harness"
	"github.com/persistcheck/persistcheck/steps"
)

// Source tells what a run knows of a scenario beyond godog's events: the
// kind of its failure, its times, whether an interruption stopped it.
// *steps.Library is one.
type Source interface {
	Scenario(pickleID string) steps.Record
}

// Engined is a Source that knows the engine its run talks to, which the
// reports name.
type Engined interface {
	Engine() harness.Identity
}

// engineOf returns what src says of its engine, or "".
func engineOf(src Source) string {
	if e, ok := src.(Engined); ok {
		return e.Engine().String()
	}
	return ""
}

// Step statuses, as godog names them.
const (
	passed    = "passed"
	failed    = "failed"
	skipped   = "skipped"
	undefined = "undefined"
	pending   = "pending"
	ambiguous = "ambiguous"
)

type step struct {
	keyword    string
	text       string
	line       int
	background bool
	status     string // "" until it ran
	err        error
	arg        *messages.PickleStepArgument
	where      string // the Go code that implements it
}

func (st *step) String() string { return st.keyword + st.text }

type scenario struct {
	id, name, keyword string
	uri               string
	line              int
	feature           *feature
	steps             []*step
	reported          int
	rec               steps.Record
}

// outcome returns how the scenario ended: passed, failed or skipped; for a
// failure its kind and message, for a skip why.
func (sc *scenario) outcome() (state string, kind harness.Kind, message string) {
	for _, st := range sc.steps {
		switch st.status {
		case failed:
			kind = sc.rec.Kind
			if kind == harness.Unknown {
				kind = harness.KindOf(st.err)
			}
			if kind == harness.Unknown {
				kind = harness.Infrastructure
			}
			return failed, kind, fmt.Sprintf("%v", st.err)
		case undefined, pending, ambiguous:
			msg := fmt.Sprintf("step %q is %s", st.text, st.status)
			if st.err != nil {
				msg += ": " + st.err.Error()
			}
			return failed, harness.Invalid, msg
		}
	}
	if sc.rec.Interrupted != "" {
		return skipped, harness.Unknown, "the run was interrupted " + sc.rec.Interrupted
	}
	for _, st := range sc.steps {
		if st.status != passed {
			return skipped, harness.Unknown, "its steps were skipped"
		}
	}
	return passed, harness.Unknown, ""
}

func (sc *scenario) duration() time.Duration {
	if sc.rec.End.Before(sc.rec.Start) {
		return 0
	}
	return sc.rec.End.Sub(sc.rec.Start)
}

type feature struct {
	uri, keyword, name string
	steps              map[string]astStep // by AST node id
	background         map[string]bool    // ids of background steps
	scenarios          map[string]astStep // by AST node id: keyword and line
}

type astStep struct {
	keyword string
	line    int
}

func newFeature(doc *messages.GherkinDocument, uri string) *feature {
	f := &feature{uri: uri, steps: map[string]astStep{}, background: map[string]bool{}, scenarios: map[string]astStep{}}
	if doc == nil || doc.Feature == nil {
		return f
	}
	f.keyword, f.name = doc.Feature.Keyword, doc.Feature.Name
	var children func([]*messages.FeatureChild)
	children = func(cs []*messages.FeatureChild) {
		for _, c := range cs {
			if b := c.Background; b != nil {
				for _, st := range b.Steps {
					f.steps[st.Id] = astStep{st.Keyword, int(st.Location.Line)}
					f.background[st.Id] = true
				}
			}
			if s := c.Scenario; s != nil {
				f.scenarios[s.Id] = astStep{s.Keyword, int(s.Location.Line)}
				for _, st := range s.Steps {
					f.steps[st.Id] = astStep{st.Keyword, int(st.Location.Line)}
				}
			}
			if r := c.Rule; r != nil {
				var rcs []*messages.FeatureChild
				for _, rc := range r.Children {
					rcs = append(rcs, &messages.FeatureChild{Background: rc.Background, Scenario: rc.Scenario})
				}
				children(rcs)
			}
		}
	}
	children(doc.Feature.Children)
	return f
}

// recorder turns godog's events into scenarios with their steps, and calls
// its hooks as steps and scenarios complete. godog reports one scenario's
// events together, so a scenario is complete once each of its steps has
// been reported.
type recorder struct {
	src      Source
	out      io.Writer
	onPickle func(*scenario)
	onStep   func(*scenario, *step)
	onDone   func(*scenario)

	mu       sync.Mutex
	started  time.Time
	features map[string]*feature
	open     map[string]*scenario
	done     []*scenario
}

func newRecorder(src Source, out io.Writer) *recorder {
	return &recorder{src: src, out: out, started: time.Now(), features: map[string]*feature{}, open: map[string]*scenario{}}
}

func (r *recorder) TestRunStarted() {
	r.mu.Lock()
	r.started = time.Now()
	r.mu.Unlock()
}

func (r *recorder) Feature(doc *messages.GherkinDocument, uri string, _ []byte) {
	r.mu.Lock()
	r.features[uri] = newFeature(doc, uri)
	r.mu.Unlock()
}

func (r *recorder) Pickle(p *messages.Pickle) {
	r.mu.Lock()
	f := r.features[p.Uri]
	if f == nil {
		f = newFeature(nil, p.Uri)
		r.features[p.Uri] = f
	}
	sc := &scenario{id: p.Id, name: p.Name, uri: p.Uri, feature: f, keyword: "Scenario"}
	if len(p.AstNodeIds) > 0 {
		a := f.scenarios[p.AstNodeIds[0]]
		sc.keyword, sc.line = a.keyword, a.line
	}
	if p.Location != nil {
		sc.line = int(p.Location.Line) // the example row of an outline
	}
	for _, ps := range p.Steps {
		st := &step{text: ps.Text, arg: ps.Argument}
		if len(ps.AstNodeIds) > 0 {
			a := f.steps[ps.AstNodeIds[0]]
			st.keyword, st.line, st.background = a.keyword, a.line, f.background[ps.AstNodeIds[0]]
		}
		sc.steps = append(sc.steps, st)
	}
	r.open[p.Id] = sc
	r.mu.Unlock()
	if r.onPickle != nil {
		r.onPickle(sc)
	}
	if len(sc.steps) == 0 {
		r.complete(sc)
	}
}

func (r *recorder) Defined(*messages.Pickle, *messages.PickleStep, *formatters.StepDefinition) {}

func (r *recorder) Passed(p *messages.Pickle, s *messages.PickleStep, d *formatters.StepDefinition) {
	r.result(p, s, d, passed, nil)
}
func (r *recorder) Failed(p *messages.Pickle, s *messages.PickleStep, d *formatters.StepDefinition, err error) {
	r.result(p, s, d, failed, err)
}
func (r *recorder) Skipped(p *messages.Pickle, s *messages.PickleStep, d *formatters.StepDefinition) {
	r.result(p, s, d, skipped, nil)
}
func (r *recorder) Undefined(p *messages.Pickle, s *messages.PickleStep, d *formatters.StepDefinition) {
	r.result(p, s, d, undefined, nil)
}
func (r *recorder) Pending(p *messages.Pickle, s *messages.PickleStep, d *formatters.StepDefinition) {
	r.result(p, s, d, pending, nil)
}
func (r *recorder) Ambiguous(p *messages.Pickle, s *messages.PickleStep, d *formatters.StepDefinition, err error) {
	r.result(p, s, d, ambiguous, err)
}

func (r *recorder) result(p *messages.Pickle, ps *messages.PickleStep, d *formatters.StepDefinition, status string, err error) {
	r.mu.Lock()
	sc := r.open[p.Id]
	r.mu.Unlock()
	if sc == nil {
		return
	}
	var st *step
	for i, s := range p.Steps {
		if s.Id == ps.Id && i < len(sc.steps) {
			st = sc.steps[i]
		}
	}
	if st == nil || st.status != "" {
		return
	}
	st.status, st.err = status, err
	if d != nil && d.Expr != nil {
		st.where = steps.Where(d.Expr.String())
	}
	sc.reported++
	if r.onStep != nil {
		r.onStep(sc, st)
	}
	if sc.reported == len(sc.steps) {
		r.complete(sc)
	}
}

func (r *recorder) complete(sc *scenario) {
	if r.src != nil {
		sc.rec = r.src.Scenario(sc.id)
	}
	r.mu.Lock()
	delete(r.open, sc.id)
	r.done = append(r.done, sc)
	r.mu.Unlock()
	if r.onDone != nil {
		r.onDone(sc)
	}
}

// finished returns the scenarios that completed, in the order they did.
func (r *recorder) finished() []*scenario {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]*scenario(nil), r.done...)
}

// counts are a run's totals.
type counts struct {
	scenarios, passed, skipped, failed int
	byKind                             map[harness.Kind]int
	steps                              map[string]int
	stepTotal                          int
	neverStarted, cutShort             int
}

func count(scs []*scenario) counts {
	c := counts{byKind: map[harness.Kind]int{}, steps: map[string]int{}}
	for _, sc := range scs {
		c.scenarios++
		state, kind, _ := sc.outcome()
		switch state {
		case passed:
			c.passed++
		case skipped:
			c.skipped++
		case failed:
			c.failed++
			c.byKind[kind]++
		}
		switch {
		case sc.rec.Interrupted == "before it started":
			c.neverStarted++
		case sc.rec.Interrupted != "":
			c.cutShort++
		}
		for _, st := range sc.steps {
			c.stepTotal++
			c.steps[st.status]++
		}
	}
	return c
}

// summary renders the totals as godog does, with failures by kind and
// skips by cause.
func summary(scs []*scenario, elapsed time.Duration, engine string) string {
	c := count(scs)
	var parts []string
	if c.passed > 0 {
		parts = append(parts, green(fmt.Sprintf("%d passed", c.passed)))
	}
	if c.failed > 0 {
		var kinds []string
		for _, k := range []harness.Kind{harness.Finding, harness.Infrastructure, harness.Invalid} {
			if n := c.byKind[k]; n > 0 && k == harness.Finding {
				kinds = append(kinds, plural(n, "finding"))
			} else if n > 0 {
				kinds = append(kinds, fmt.Sprintf("%d %s", n, k))
			}
		}
		parts = append(parts, red(fmt.Sprintf("%d failed: %s", c.failed, strings.Join(kinds, ", "))))
	}
	if c.skipped > 0 {
		parts = append(parts, cyan(fmt.Sprintf("%d skipped", c.skipped)))
	}
	var b strings.Builder
	fmt.Fprintf(&b, "%s (%s)\n", plural(c.scenarios, "scenario"), strings.Join(parts, ", "))
	var sp []string
	for _, s := range []struct {
		status string
		color  func(string) string
	}{{passed, green}, {failed, red}, {undefined, yellow}, {pending, yellow}, {ambiguous, yellow}, {skipped, cyan}} {
		if n := c.steps[s.status]; n > 0 {
			sp = append(sp, s.color(fmt.Sprintf("%d %s", n, s.status)))
		}
	}
	fmt.Fprintf(&b, "%s (%s)\n", plural(c.stepTotal, "step"), strings.Join(sp, ", "))
	fmt.Fprintf(&b, "%s\n", elapsed.Round(time.Millisecond))
	if engine != "" {
		fmt.Fprintf(&b, "on %s\n", engine)
	}
	if c.neverStarted+c.cutShort > 0 {
		fmt.Fprintf(&b, "%s\n", yellow(fmt.Sprintf("The run was interrupted: %s never started and %s cut short; they count as skipped, neither passed nor failed.",
			plural(c.neverStarted, "scenario"), plural(c.cutShort, "was"))))
	}
	return b.String()
}

func plural(n int, thing string) string {
	switch {
	case thing == "was" && n == 1:
		return "1 was"
	case thing == "was":
		return fmt.Sprintf("%d were", n)
	case n == 1:
		return "1 " + thing
	}
	return fmt.Sprintf("%d %ss", n, thing)
}

// ANSI colours; godog strips them from outputs that are not terminals.
func color(code int) func(string) string {
	return func(s string) string { return fmt.Sprintf("\x1b[%dm%s\x1b[0m", code, s) }
}

var (
	red    = color(31)
	green  = color(32)
	yellow = color(33)
	cyan   = color(36)
	grey   = color(90)
)
