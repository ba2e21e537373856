package report

import (
	"encoding/json"
	"fmt"
	"html/template"
	"io"
	"strings"

	"github.com/persistcheck/persistcheck/harness"
)

// MatrixFormats are the forms a matrix is written in.
var MatrixFormats = []string{"md", "json", "html"}

// WriteMatrix writes m in format: md (a Markdown table for a pull-request
// comment), json (stable, for tools) or html (one self-contained page).
func WriteMatrix(w io.Writer, m harness.MatrixResult, format string) error {
	switch format {
	case "json":
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		if m.Cells == nil {
			m.Cells = []harness.MatrixCell{}
		}
		if m.Warnings == nil {
			m.Warnings = []string{}
		}
		return enc.Encode(m)
	case "html":
		return matrixPage.Execute(w, matrixView(m))
	case "md":
		return writeMarkdown(w, m)
	}
	return fmt.Errorf("unknown matrix format %q: use md, json or html", format)
}

// matrixTable is a matrix laid out: a row per path and storage, a column
// per event.
type matrixTable struct {
	Image      string
	Events     []string
	Rows       []matrixRow
	Deviations []harness.MatrixCell
	Warnings   []string
	Took       string
	On         string // " on ENGINE", where it is known
}

type matrixRow struct {
	Path, Storage string
	Cells         []harness.MatrixCell
}

func matrixView(m harness.MatrixResult) matrixTable {
	t := matrixTable{Image: m.Image, Events: harness.MatrixEventNames(), Deviations: m.Deviations(), Warnings: m.Warnings, Took: m.Took.Round(100_000_000).String()}
	if m.Engine.Name != "" {
		t.On = " on " + m.Engine.String()
	}
	index := map[string]int{}
	for _, c := range m.Cells {
		key := c.Path + "\x00" + c.Storage
		i, ok := index[key]
		if !ok {
			i = len(t.Rows)
			index[key] = i
			t.Rows = append(t.Rows, matrixRow{Path: c.Path, Storage: c.Storage, Cells: make([]harness.MatrixCell, len(t.Events))})
		}
		for j, e := range t.Events {
			if e == c.Event {
				t.Rows[i].Cells[j] = c
			}
		}
	}
	return t
}

func writeMarkdown(w io.Writer, m harness.MatrixResult) error {
	t := matrixView(m)
	var b strings.Builder
	fmt.Fprintf(&b, "### What `%s` keeps and loses\n\n", t.Image)
	fmt.Fprintf(&b, "| path | storage | %s |\n|---|---|%s\n", strings.Join(t.Events, " | "), strings.Repeat("---|", len(t.Events)))
	for _, r := range t.Rows {
		cells := make([]string, len(r.Cells))
		for i, c := range r.Cells {
			cells[i] = c.Observed
			if c.Deviates {
				cells[i] = fmt.Sprintf("**%s** ⚠ (Docker: %s)", c.Observed, c.Expected)
			}
		}
		fmt.Fprintf(&b, "| `%s` | %s | %s |\n", r.Path, r.Storage, strings.Join(cells, " | "))
	}
	if len(t.Deviations) == 0 {
		b.WriteString("\nEvery cell is what Docker promises.\n")
	} else {
		fmt.Fprintf(&b, "\n**%d cells deviate from what Docker promises:**\n\n", len(t.Deviations))
		for _, c := range t.Deviations {
			fmt.Fprintf(&b, "- `%s` on %s, %s: %s, expected %s: %s\n", c.Path, c.Storage, c.Event, c.Observed, c.Expected, c.Why)
		}
	}
	if len(t.Warnings) > 0 {
		b.WriteString("\n**Warnings about the image:**\n\n")
		for _, w := range t.Warnings {
			fmt.Fprintf(&b, "- %s\n", w)
		}
	}
	fmt.Fprintf(&b, "\nMeasured by persistcheck in %s%s.\n", t.Took, t.On)
	_, err := io.WriteString(w, b.String())
	return err
}

var matrixPage = template.Must(template.New("matrix").Parse(`<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<title>What {{.Image}} keeps and loses</title>
<style>
body { font: 15px/1.45 system-ui, sans-serif; margin: 2em; color: #1b1f24; }
h1 { font-size: 1.4em; } h1 code { background: #eef1f4; padding: 0 .3em; border-radius: 4px; }
table { border-collapse: collapse; margin: 1em 0; }
th, td { border: 1px solid #d0d7de; padding: .45em .7em; text-align: center; }
th { background: #f6f8fa; font-weight: 600; }
td.path { font-family: ui-monospace, monospace; text-align: left; }
td.storage { text-align: left; }
td.kept { background: #dafbe1; color: #116329; }
td.gone { background: #eaeef2; color: #57606a; }
td.deviates { background: #ffd8d3; color: #a40e26; font-weight: 700; }
td.corrupted { background: #fff1c2; color: #7d4e00; font-weight: 700; }
td small { display: block; font-weight: 400; }
.legend span { display: inline-block; padding: .1em .6em; margin-right: .5em; border-radius: 4px; }
li { margin: .3em 0; } .ok { color: #116329; }
</style></head><body>
<h1>What <code>{{.Image}}</code> keeps and loses</h1>
<p class="legend"><span class="kept" style="background:#dafbe1">kept</span><span style="background:#eaeef2">gone, as Docker drops it</span><span style="background:#ffd8d3">deviates from Docker</span><span style="background:#fff1c2">corrupted</span></p>
<table>
<tr><th>path</th><th>storage</th>{{range .Events}}<th>{{.}}</th>{{end}}</tr>
{{range .Rows}}<tr><td class="path">{{.Path}}</td><td class="storage">{{.Storage}}</td>{{range .Cells}}<td class="{{.Observed}}{{if .Deviates}} deviates{{end}}" title="{{.Why}}">{{.Observed}}{{if .Deviates}}<small>Docker: {{.Expected}}</small>{{end}}</td>{{end}}</tr>
{{end}}</table>
{{if .Deviations}}<h2>{{len .Deviations}} cells deviate from what Docker promises</h2><ul>
{{range .Deviations}}<li><code>{{.Path}}</code> on {{.Storage}}, {{.Event}}: <b>{{.Observed}}</b>, expected {{.Expected}}: {{.Why}}</li>
{{end}}</ul>{{else}}<p class="ok">Every cell is what Docker promises.</p>{{end}}
{{if .Warnings}}<h2>Warnings about the image</h2><ul>
{{range .Warnings}}<li>{{.}}</li>
{{end}}</ul>{{end}}
<p><small>Measured by persistcheck in {{.Took}}{{.On}}.</small></p>
</body></html>
`))
