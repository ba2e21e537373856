package steps

import (
	"fmt"
	"io"
	"path/filepath"
	"reflect"
	"regexp"
	"runtime"
	"strings"
	"sync"

	"github.com/cucumber/godog"

	"github.com/persistcheck/persistcheck/harness"
)

// world is one scenario's state: the harness scenario and how to expand
// variables. Step handlers are its methods.
type world struct {
	sc     *harness.Scenario
	lookup func(string) (string, bool)
	rec    *Record   // what the library records of the scenario
	log    io.Writer // what the library has to say beyond step results
}

// q is a quoted argument: anything but a double quote, which may appear
// escaped as \".
const q = `"((?:[^"\\]|\\.)*)"`

// definition is one phrase of the vocabulary.
type definition struct {
	group   string // Setup, Lifecycle and faults, Sentinels, Commands
	pattern string // regular expression, anchored; %q stands for a quoted argument
	example string // the phrase as a scenario writes it
	// roles says what each quoted argument names, in order, for the
	// checks made before a run (see Lint): container, volume, folder or
	// sentinel; with + where the step declares (or writes) it; - for
	// anything else. A table's columns follow as |column, |column+.
	roles   string
	handler any
}

// definitions returns the vocabulary bound to w, in the order of the docs.
func (w *world) definitions() []definition {
	defs := append(w.setup(), w.lifecycle()...)
	defs = append(defs, w.sentinelSteps()...)
	defs = append(defs, w.commands()...)
	defs = append(defs, w.durability()...)
	for i := range defs {
		defs[i].pattern = "^" + strings.ReplaceAll(defs[i].pattern, "%q", q) + "$"
	}
	return defs
}

// Phrase is a step of the vocabulary, for documentation.
type Phrase struct {
	Group   string
	Pattern string // the regular expression godog matches
	Example string
	Where   string // the Go code that implements it, file:line
	roles   string // what its arguments name, for Lint
}

// Vocabulary returns the registered steps, generated from the definitions
// that InitializeScenario registers.
func Vocabulary() []Phrase {
	var out []Phrase
	for _, d := range (&world{}).definitions() {
		out = append(out, Phrase{Group: d.group, Pattern: d.pattern, Example: d.example, Where: where(d.handler), roles: d.roles})
	}
	return out
}

// where returns the file:line of a function, for reports.
func where(fn any) string {
	f := runtime.FuncForPC(reflect.ValueOf(fn).Pointer())
	if f == nil {
		return ""
	}
	file, line := f.FileLine(f.Entry())
	return fmt.Sprintf("%s:%d", filepath.Base(file), line)
}

// Where returns the Go code that implements the step whose pattern godog
// matched, as file:line, or "" for a pattern not of the vocabulary.
func Where(pattern string) string {
	for _, p := range compiled() {
		if p.Pattern == pattern {
			return p.Where
		}
	}
	return ""
}

// Match returns the examples of the phrases that text matches: one for a
// defined step, none for an undefined one.
func Match(text string) []string {
	var out []string
	for _, p := range compiled() {
		if p.re.MatchString(text) {
			out = append(out, p.Example)
		}
	}
	return out
}

// compiled is the vocabulary with its patterns compiled, once: a feature
// check matches every step against every phrase.
var compiled = sync.OnceValue(func() []compiledPhrase {
	var out []compiledPhrase
	for _, p := range Vocabulary() {
		out = append(out, compiledPhrase{p, regexp.MustCompile(p.Pattern)})
	}
	return out
})

type compiledPhrase struct {
	Phrase
	re *regexp.Regexp
}

// arg unescapes a quoted argument and expands its ${VAR}s.
func (w *world) arg(s string) (string, error) {
	s = strings.NewReplacer(`\"`, `"`, `\\`, `\`).Replace(s)
	return harness.Expand(s, w.lookup)
}

// table returns the rows of t as maps from column name to expanded cell,
// checking that the header has exactly the columns named.
func (w *world) table(t *godog.Table, columns ...string) ([]map[string]string, error) {
	if t == nil || len(t.Rows) == 0 {
		return nil, harness.Errorf(harness.Invalid, "the step needs a table with the columns %s", strings.Join(columns, " | "))
	}
	header := t.Rows[0].Cells
	index := map[string]int{}
	for i, c := range header {
		index[strings.ToLower(strings.TrimSpace(c.Value))] = i
	}
	for _, col := range columns {
		if _, ok := index[col]; !ok || len(header) != len(columns) {
			return nil, harness.Errorf(harness.Invalid, "the table's header must be | %s |", strings.Join(columns, " | "))
		}
	}
	var rows []map[string]string
	for _, r := range t.Rows[1:] {
		row := map[string]string{}
		for _, col := range columns {
			v, err := w.arg(strings.TrimSpace(r.Cells[index[col]].Value))
			if err != nil {
				return nil, err
			}
			row[col] = v
		}
		rows = append(rows, row)
	}
	if len(rows) == 0 {
		return nil, harness.Errorf(harness.Invalid, "the table has a header and no rows")
	}
	return rows, nil
}
