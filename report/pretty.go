package report

import (
	"fmt"
	"io"
	"strings"
	"sync"
	"time"

	"github.com/cucumber/godog/formatters"
)

// Pretty returns a godog formatter that prints every scenario under its own
// feature's heading, each step with the Go code that implements it, a
// failure with its evidence where it happens, and the totals at the end.
// Background steps show under the first scenario of a feature, and again
// in a scenario where they did not pass.
func Pretty(src Source) formatters.FormatterFunc {
	return func(_ string, out io.Writer) formatters.Formatter {
		p := &pretty{recorder: newRecorder(src, out)}
		p.onPickle, p.onStep, p.onDone = p.pickle, p.step, p.done
		return p
	}
}

type pretty struct {
	*recorder
	mu          sync.Mutex // one scenario's lines at a time
	lastFeature string
	showBack    map[string]bool // scenarios that show their background
	width       int             // of the scenario's longest line, for the comments
}

func (p *pretty) pickle(sc *scenario) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.showBack == nil {
		p.showBack = map[string]bool{}
	}
	if sc.uri != p.lastFeature {
		p.lastFeature = sc.uri
		p.showBack[sc.id] = true
		fmt.Fprintf(p.out, "\n%s: %s  %s\n", sc.feature.keyword, sc.feature.name, grey("# "+sc.uri))
	}
	head := fmt.Sprintf("  %s: %s", sc.keyword, sc.name)
	p.width = len([]rune(head))
	for _, st := range sc.steps {
		p.width = max(p.width, len([]rune("    "+st.String()))+len(" (undefined)"))
	}
	fmt.Fprintf(p.out, "\n%s  %s\n", pad(head, p.width), grey(fmt.Sprintf("# %s:%d", sc.uri, sc.line)))
}

// pad fills s with blanks to width runes.
func pad(s string, width int) string {
	return s + strings.Repeat(" ", max(0, width-len([]rune(s))))
}

func (p *pretty) step(sc *scenario, st *step) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if st.background && st.status == passed && !p.showBack[sc.id] {
		return
	}
	paint := map[string]func(string) string{passed: green, failed: red, skipped: cyan}[st.status]
	if paint == nil {
		paint = yellow
	}
	line := "    " + st.String()
	if st.status != passed {
		line += " (" + st.status + ")"
	}
	if st.where == "" {
		fmt.Fprintf(p.out, "%s\n", paint(line))
	} else {
		fmt.Fprintf(p.out, "%s  %s\n", paint(pad(line, p.width)), grey("# "+st.where))
	}
	if st.arg != nil {
		fmt.Fprint(p.out, paint(argument(st, "      ")))
	}
	if st.status == failed && st.err != nil {
		fmt.Fprintf(p.out, "%s\n", red(indentLines(st.err.Error(), "      ")))
	}
}

func (p *pretty) done(sc *scenario) {
	if state, _, why := sc.outcome(); state == skipped && sc.rec.Interrupted != "" {
		p.mu.Lock()
		fmt.Fprintf(p.out, "    %s\n", cyan("skipped: "+why))
		p.mu.Unlock()
	}
}

func (p *pretty) Summary() {
	scs := p.finished()
	var failures []string
	for _, sc := range scs {
		if state, kind, msg := sc.outcome(); state == failed {
			failures = append(failures, fmt.Sprintf("  %s %s\n    %s: %s", red(sc.keyword+": "+sc.name), grey(fmt.Sprintf("# %s:%d", sc.uri, sc.line)), kind, firstLine(msg)))
		}
	}
	if len(failures) > 0 {
		fmt.Fprintf(p.out, "\n--- Failed scenarios:\n\n%s\n", strings.Join(failures, "\n"))
	}
	fmt.Fprintf(p.out, "\n%s", summary(scs, time.Since(p.started), engineOf(p.src)))
}

// argument renders a step's table or doc string, indented.
func argument(st *step, indent string) string {
	var b strings.Builder
	if t := st.arg.DataTable; t != nil {
		widths := map[int]int{}
		for _, row := range t.Rows {
			for i, c := range row.Cells {
				widths[i] = max(widths[i], len([]rune(c.Value)))
			}
		}
		for _, row := range t.Rows {
			b.WriteString(indent + "|")
			for i, c := range row.Cells {
				fmt.Fprintf(&b, " %-*s |", widths[i], c.Value)
			}
			b.WriteString("\n")
		}
	}
	if d := st.arg.DocString; d != nil {
		fmt.Fprintf(&b, "%s\"\"\"\n%s\n%s\"\"\"\n", indent, indentLines(d.Content, indent), indent)
	}
	return b.String()
}

func indentLines(s, indent string) string {
	return indent + strings.ReplaceAll(strings.TrimRight(s, "\n"), "\n", "\n"+indent)
}

func firstLine(s string) string {
	line, _, _ := strings.Cut(s, "\n")
	return line
}
