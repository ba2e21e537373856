package steps

import (
	"fmt"
	"regexp"
	"strings"
	"sync"

	"github.com/persistcheck/persistcheck/harness"
)

// ScenarioStep is a step as Lint sees it.
type ScenarioStep struct {
	Text  string     // as godog matches it, without the keyword
	Table [][]string // the cells of its table, header first; nil for none
	Line  int        // in its feature file
}

// Problem is a mistake in a scenario, found before anything runs.
type Problem struct {
	Line    int // of the step, in its feature file
	Message string
}

// Lint checks the steps of one scenario, background first, in the order
// they will run, and returns every mistake it finds: a step that is not in
// the vocabulary (with the closest phrase, in the scenario's own words), a
// quoted argument with an unescaped double quote, an unset variable, a
// container, volume or host folder used but not declared before (with the
// closest declared name), one declared twice, a sentinel checked that no
// step before writes, and a state other than intact, gone or corrupted.
func Lint(sts []ScenarioStep, opts LintOptions) []Problem {
	l := linter{
		lookup:   opts.Lookup,
		services: opts.Services,
		declared: map[string][]string{},
	}
	for _, st := range sts {
		l.step(st)
	}
	return l.problems
}

// LintOptions are what Lint needs from outside the steps.
type LintOptions struct {
	Lookup func(string) (string, bool) // resolves ${VAR}
	// Services reads a Compose file, relative to the feature file, and
	// returns the containers, volumes and host folders it declares. nil:
	// such a step declares nothing the linter knows of.
	Services func(rel string) (containers, volumes, folders []string, err error)
}

type linter struct {
	lookup   func(string) (string, bool)
	services func(string) ([]string, []string, []string, error)
	declared map[string][]string // by role: container, volume, folder, sentinel
	problems []Problem
}

// nouns name each role in messages, and say how to declare one.
var nouns = map[string]struct{ noun, declare string }{
	"container": {"container", `Given a container %q from image "IMAGE"`},
	"volume":    {"volume", `Given a volume %q`},
	"folder":    {"host folder", `Given a host folder %q`},
	"sentinel":  {"sentinel", `When I write a sentinel %q to "/PATH" in "CONTAINER"`},
}

func (l *linter) problem(st ScenarioStep, format string, args ...any) {
	l.problems = append(l.problems, Problem{st.Line, fmt.Sprintf(format, args...)})
}

func (l *linter) step(st ScenarioStep) {
	var matched []compiledPhrase
	for _, p := range compiled() {
		if p.re.MatchString(st.Text) {
			matched = append(matched, p)
		}
	}
	switch len(matched) {
	case 0:
		l.problem(st, "%s", undefined(st.Text))
		return
	case 1:
	default:
		names := make([]string, len(matched))
		for i, p := range matched {
			names[i] = p.Example
		}
		l.problem(st, "step %q matches %d phrases: %s", st.Text, len(matched), strings.Join(names, "; "))
		return
	}
	p := matched[0]
	roles := strings.Fields(p.roles)
	args := p.re.FindStringSubmatch(st.Text)[1:]
	for i, role := range roles {
		if strings.HasPrefix(role, "|") {
			l.column(st, strings.TrimPrefix(role, "|"))
			continue
		}
		if i >= len(args) {
			break
		}
		value, err := harness.Expand(strings.NewReplacer(`\"`, `"`, `\\`, `\`).Replace(args[i]), l.lookup)
		if err != nil {
			l.problem(st, "%v", err)
			continue
		}
		l.use(st, role, value)
	}
}

// use checks one name of a role: declared (or written) before if used,
// not declared twice if declared.
func (l *linter) use(st ScenarioStep, role, name string) {
	if role == "compose+" {
		if l.services == nil {
			return
		}
		containers, volumes, folders, err := l.services(name)
		if err != nil {
			l.problem(st, "%v", err)
			return
		}
		for _, c := range containers {
			l.use(st, "container+", c)
		}
		for _, v := range volumes {
			l.use(st, "volume+", v)
		}
		for _, f := range folders {
			l.use(st, "folder+", f)
		}
		return
	}
	declares := strings.HasSuffix(role, "+")
	role = strings.TrimSuffix(role, "+")
	n, ok := nouns[role]
	if !ok {
		return
	}
	have := l.declared[role]
	switch {
	case declares && role == "container" && contains(have, name):
		l.problem(st, "container %q is declared twice in this scenario", name)
	case declares:
		if !contains(have, name) {
			l.declared[role] = append(have, name)
		}
	case !contains(have, name):
		msg := fmt.Sprintf("%s %q is not declared before this step", n.noun, name)
		if role == "sentinel" {
			msg = fmt.Sprintf("sentinel %q is checked, but no step before this one writes it", name)
		}
		if near := closest(name, have); near != "" {
			msg += fmt.Sprintf("; did you mean %q?", near)
		} else {
			how := "declare it first: "
			if role == "sentinel" {
				how = "write it first: "
			}
			msg += "; " + how + fmt.Sprintf(n.declare, name)
		}
		l.problem(st, "%s", msg)
	}
}

// column checks a table column of a role: sentinels written or checked,
// or states.
func (l *linter) column(st ScenarioStep, role string) {
	if len(st.Table) == 0 {
		return // the step says what table it needs when it runs
	}
	name := strings.TrimSuffix(strings.TrimSuffix(role, "+"), "s")
	col := -1
	for i, h := range st.Table[0] {
		if strings.EqualFold(strings.TrimSpace(h), name) {
			col = i
		}
	}
	if col < 0 {
		return
	}
	for _, row := range st.Table[1:] {
		if col >= len(row) {
			continue
		}
		cell, err := harness.Expand(strings.TrimSpace(row[col]), l.lookup)
		switch {
		case err != nil:
			l.problem(st, "%v", err)
		case name == "state":
			if _, err := harness.ParseState(cell); err != nil {
				l.problem(st, "%v", err)
			}
		default:
			l.use(st, role, cell)
		}
	}
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// closest returns the name among names nearest to name, if one is near
// enough to be a slip of the keyboard.
func closest(name string, names []string) string {
	best, bestDist := "", len([]rune(name))/3+2
	for _, n := range names {
		if d := distance([]rune(name), []rune(n)); d < bestDist {
			best, bestDist = n, d
		}
	}
	return best
}

// quoted matches a quoted argument, escaped quotes included.
var quoted = regexp.MustCompile(`"(?:[^"\\]|\\.)*"`)

// undefined says what is wrong with a step that matches no phrase: a
// double quote inside an argument that should have been escaped, or else
// the closest phrase, written with the step's own arguments.
func undefined(text string) string {
	if fixed, ok := escapeQuotes(text); ok {
		return fmt.Sprintf("step %q has a double quote inside a quoted argument: write it as \\\" (the step then reads: %s)", text, fixed)
	}
	msg := fmt.Sprintf("undefined step %q", text)
	norm := func(s string) []rune { return []rune(quoted.ReplaceAllString(s, `"…"`)) }
	have := norm(text)
	best, bestDist := "", len(have)/3+1
	for _, ph := range Vocabulary() {
		example := strings.SplitN(ph.Example, "\n", 2)[0]
		_, phrase, _ := strings.Cut(example, " ") // without the keyword
		if d := distance(have, norm(phrase)); d < bestDist {
			best, bestDist = example, d
		}
	}
	if best == "" {
		return msg + "; run 'persistcheck steps' for the vocabulary"
	}
	// In the user's own words: their arguments in place of the example's.
	mine, theirs := quoted.FindAllString(text, -1), quoted.FindAllString(best, -1)
	if len(mine) == len(theirs) {
		i := 0
		best = quoted.ReplaceAllStringFunc(best, func(string) string { i++; return mine[i-1] })
	}
	return msg + "; did you mean: " + best
}

// relaxed are the vocabulary's patterns with quoted arguments that may hold
// anything, double quotes included.
var relaxed = sync.OnceValue(func() []*regexp.Regexp {
	var out []*regexp.Regexp
	for _, p := range Vocabulary() {
		out = append(out, regexp.MustCompile(strings.ReplaceAll(p.Pattern, q, `"(.*)"`)))
	}
	return out
})

// escapeQuotes returns text with the double quotes inside its arguments
// escaped, when that makes it a step of the vocabulary.
func escapeQuotes(text string) (string, bool) {
	for _, re := range relaxed() {
		m := re.FindStringSubmatchIndex(text)
		if m == nil {
			continue
		}
		var b strings.Builder
		last := 0
		for i := 2; i+1 < len(m); i += 2 {
			b.WriteString(text[last:m[i]])
			b.WriteString(strings.ReplaceAll(strings.ReplaceAll(text[m[i]:m[i+1]], `\"`, `"`), `"`, `\"`))
			last = m[i+1]
		}
		b.WriteString(text[last:])
		if fixed := b.String(); fixed != text && len(Match(fixed)) == 1 {
			return fixed, true
		}
	}
	return "", false
}

// distance is the Levenshtein distance between a and b.
func distance(a, b []rune) int {
	prev := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur := make([]int, len(b)+1)
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev = cur
	}
	return prev[len(b)]
}
