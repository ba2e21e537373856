package report

import (
	"fmt"
	"io"
	"strings"
	"sync"
	"time"

	"github.com/cucumber/godog/formatters"
)

// Progress returns a godog formatter that prints a character per step as
// it completes (. passed, F failed, - skipped, U undefined), then every
// failed scenario with its steps and evidence, and the totals.
func Progress(src Source) formatters.FormatterFunc {
	return func(_ string, out io.Writer) formatters.Formatter {
		p := &progress{recorder: newRecorder(src, out)}
		p.onStep = p.step
		return p
	}
}

type progress struct {
	*recorder
	mu    sync.Mutex
	steps int
}

const stepsPerRow = 70

func (p *progress) step(_ *scenario, st *step) {
	p.mu.Lock()
	defer p.mu.Unlock()
	mark := map[string]string{passed: green("."), failed: red("F"), skipped: cyan("-")}[st.status]
	if mark == "" {
		mark = yellow("U")
	}
	fmt.Fprint(p.out, mark)
	p.steps++
	if p.steps%stepsPerRow == 0 {
		fmt.Fprintf(p.out, " %d\n", p.steps)
	}
}

func (p *progress) Summary() {
	p.mu.Lock()
	if p.steps%stepsPerRow != 0 {
		fmt.Fprintf(p.out, "%s %d\n", strings.Repeat(" ", stepsPerRow-p.steps%stepsPerRow), p.steps)
	}
	p.mu.Unlock()
	scs := p.finished()
	var failures []string
	for _, sc := range scs {
		if state, kind, _ := sc.outcome(); state == failed {
			failures = append(failures, fmt.Sprintf("  %s %s  (%s)\n%s", red(sc.keyword+": "+sc.name), grey(fmt.Sprintf("# %s:%d", sc.uri, sc.line)), kind, stepsText(sc, "    ", true)))
		}
	}
	if len(failures) > 0 {
		fmt.Fprintf(p.out, "\n--- Failed scenarios:\n\n%s\n", strings.Join(failures, "\n"))
	}
	fmt.Fprintf(p.out, "\n%s", summary(scs, time.Since(p.started), engineOf(p.src)))
}

// stepsText lists a scenario's steps with their status and where they are
// in the feature, and the error of the failed one, for reports that show a
// scenario after the fact.
func stepsText(sc *scenario, indent string, color bool) string {
	var b strings.Builder
	for _, st := range sc.steps {
		status := st.status
		if status == "" {
			status = "not run"
		}
		line := fmt.Sprintf("%s%-9s %s  # %s:%d", indent, status, st, sc.uri, st.line)
		if color {
			paint := map[string]func(string) string{passed: green, failed: red, skipped: cyan}[st.status]
			if paint == nil {
				paint = yellow
			}
			line = paint(line)
		}
		b.WriteString(line + "\n")
		if st.arg != nil && st.status == failed {
			b.WriteString(argument(st, indent+"          "))
		}
		if st.status == failed && st.err != nil {
			text := indentLines(st.err.Error(), indent+"  ")
			if color {
				text = red(text)
			}
			b.WriteString(text + "\n")
		}
	}
	return b.String()
}
