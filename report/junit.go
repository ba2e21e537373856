package report

import (
	"encoding/xml"
	"fmt"
	"io"
	"sort"
	"time"

	"github.com/cucumber/godog/formatters"

	"github.com/persistcheck/persistcheck/harness"
)

// JUnit returns a godog formatter that writes a JUnit XML report, in the
// form CI publishers read: a testsuite per feature and a testcase per
// scenario. A finding is a <failure>; an infrastructure or input problem an
// <error>; a scenario an interruption stopped is <skipped>. The body of a
// failure lists the scenario's steps with their status and file:line, then
// the error with its evidence. Times are the scenarios' own; a suite's is
// the sum of its cases', so never smaller.
func JUnit(src Source) formatters.FormatterFunc {
	return func(suite string, out io.Writer) formatters.Formatter {
		return &junit{recorder: newRecorder(src, out), suite: suite}
	}
}

type junit struct {
	*recorder
	suite string
}

func (j *junit) Summary() {
	scs := j.finished()
	sort.SliceStable(scs, func(a, b int) bool {
		if scs[a].uri != scs[b].uri {
			return scs[a].uri < scs[b].uri
		}
		return scs[a].line < scs[b].line
	})
	doc := junitSuites{Name: j.suite}
	var props *junitProperties // the engine, the same for every suite
	if e, ok := j.src.(Engined); ok {
		id := e.Engine()
		props = &junitProperties{[]junitProperty{{"persistcheck.engine", id.String()}, {"persistcheck.engine.kind", id.Kind}}}
	}
	var order []*junitSuite
	byURI := map[string]*junitSuite{}
	names := map[string]int{} // uri + name -> scenarios so named
	for _, sc := range scs {
		names[sc.uri+"\x00"+sc.name]++
	}
	for _, sc := range scs {
		s := byURI[sc.uri]
		if s == nil {
			s = &junitSuite{Name: suiteName(sc.feature), File: sc.uri}
			s.Properties = props
			byURI[sc.uri] = s
			order = append(order, s)
		}
		c := junitCase{Name: sc.name, Classname: s.Name, File: sc.uri, Line: sc.line, Time: seconds(sc.duration().Round(time.Millisecond))}
		if names[sc.uri+"\x00"+sc.name] > 1 {
			c.Name = fmt.Sprintf("%s [line %d]", sc.name, sc.line)
		}
		state, kind, msg := sc.outcome()
		switch {
		case state == failed && kind == harness.Finding:
			c.Failure = &junitProblem{Message: firstLine(msg), Type: kind.String(), Body: body(sc)}
			s.failures++
		case state == failed:
			c.Error = &junitProblem{Message: kind.String() + ": " + firstLine(msg), Type: kind.String(), Body: body(sc)}
			s.errors++
		case state == skipped:
			c.Skipped = &junitSkip{Message: msg}
			s.skipped++
		}
		s.tests++
		s.time += sc.duration().Round(time.Millisecond) // as the case shows it, so that the sum adds up
		if s.start.IsZero() || !sc.rec.Start.IsZero() && sc.rec.Start.Before(s.start) {
			s.start = sc.rec.Start
		}
		s.Cases = append(s.Cases, c)
	}
	for _, s := range order {
		doc.Suites = append(doc.Suites, *s)
	}
	writeJUnit(j.out, doc)
}

func suiteName(f *feature) string {
	if f.name != "" {
		return f.name
	}
	return f.uri
}

func body(sc *scenario) string {
	return fmt.Sprintf("%s: %s (%s:%d)\n%s", sc.keyword, sc.name, sc.uri, sc.line, stepsText(sc, "  ", false))
}

// writeJUnit fills in the totals of doc and writes it.
func writeJUnit(w io.Writer, doc junitSuites) {
	var total time.Duration
	for i := range doc.Suites {
		s := &doc.Suites[i]
		s.Tests, s.Failures, s.Errors, s.Skipped, s.Time = s.tests, s.failures, s.errors, s.skipped, seconds(s.time)
		if !s.start.IsZero() {
			s.Timestamp = s.start.UTC().Format("2006-01-02T15:04:05")
		}
		doc.Tests += s.tests
		doc.Failures += s.failures
		doc.Errors += s.errors
		doc.Skipped += s.skipped
		total += s.time
	}
	doc.Time = seconds(total)
	io.WriteString(w, xml.Header)
	enc := xml.NewEncoder(w)
	enc.Indent("", "  ")
	enc.Encode(doc)
	io.WriteString(w, "\n")
}

func seconds(d time.Duration) string { return fmt.Sprintf("%.3f", d.Seconds()) }

type junitSuites struct {
	XMLName xml.Name `xml:"testsuites"`
	Name    string   `xml:"name,attr"`
	junitTotals
	Suites []junitSuite `xml:"testsuite"`
}

// junitTotals are the counts and the time of the whole report, or of a
// suite.
type junitTotals struct {
	Tests    int    `xml:"tests,attr"`
	Failures int    `xml:"failures,attr"`
	Errors   int    `xml:"errors,attr"`
	Skipped  int    `xml:"skipped,attr"`
	Time     string `xml:"time,attr"`
}

type junitSuite struct {
	Name string `xml:"name,attr"`
	junitTotals
	Timestamp  string           `xml:"timestamp,attr,omitempty"`
	File       string           `xml:"file,attr,omitempty"`
	Properties *junitProperties `xml:"properties,omitempty"`
	Cases      []junitCase      `xml:"testcase"`

	tests, failures, errors, skipped int
	time                             time.Duration
	start                            time.Time
}

// junitProperties name the engine the suite ran on, where it is known.
type junitProperties struct {
	Property []junitProperty `xml:"property"`
}

type junitProperty struct {
	Name  string `xml:"name,attr"`
	Value string `xml:"value,attr"`
}

type junitCase struct {
	Name      string        `xml:"name,attr"`
	Classname string        `xml:"classname,attr"`
	File      string        `xml:"file,attr,omitempty"`
	Line      int           `xml:"line,attr,omitempty"`
	Time      string        `xml:"time,attr"`
	Failure   *junitProblem `xml:"failure,omitempty"`
	Error     *junitProblem `xml:"error,omitempty"`
	Skipped   *junitSkip    `xml:"skipped,omitempty"`
}

type junitProblem struct {
	Message string `xml:"message,attr"`
	Type    string `xml:"type,attr"`
	Body    string `xml:",chardata"`
}

type junitSkip struct {
	Message string `xml:"message,attr,omitempty"`
}

// Problem is a mistake in a feature that stopped a run before it started.
type Problem struct {
	URI, Scenario, Step, Message string
	Line                         int
}

// WriteProblemsJUnit writes a JUnit report of problems that stopped a run
// before it started: a testsuite per feature file, an <error> per problem.
func WriteProblemsJUnit(w io.Writer, title string, problems []Problem) error {
	doc := junitSuites{Name: title}
	var order []*junitSuite
	byURI := map[string]*junitSuite{}
	for _, p := range problems {
		s := byURI[p.URI]
		if s == nil {
			s = &junitSuite{Name: p.URI, File: p.URI}
			byURI[p.URI] = s
			order = append(order, s)
		}
		name := p.Scenario
		if name == "" {
			name = p.URI
		}
		s.Cases = append(s.Cases, junitCase{
			Name: fmt.Sprintf("%s [line %d]", name, p.Line), Classname: p.URI, File: p.URI, Line: p.Line, Time: seconds(0),
			Error: &junitProblem{Message: "invalid input: " + p.Message, Type: "invalid input",
				Body: fmt.Sprintf("%s:%d: %s\n  %s\nNothing was run: fix the features first.", p.URI, p.Line, p.Message, p.Step)},
		})
		s.tests++
		s.errors++
	}
	for _, s := range order {
		doc.Suites = append(doc.Suites, *s)
	}
	writeJUnit(w, doc)
	return nil
}
