package report

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"

	"github.com/persistcheck/persistcheck/harness"
)

func TestWriteMatrix(t *testing.T) {
	m := harness.MatrixResult{Image: "app:1", Cells: []harness.MatrixCell{
		{Path: "/data", Storage: "named-volume", Event: "restart", Expected: "kept", Observed: "kept"},
		{Path: "/data", Storage: "named-volume", Event: "recreate", Expected: "kept", Observed: "gone", Deviates: true, Why: "it was wiped <at start>"},
	}, Warnings: []string{"/data is an image VOLUME"}}
	var md, js, page bytes.Buffer
	for f, b := range map[string]*bytes.Buffer{"md": &md, "json": &js, "html": &page} {
		if err := WriteMatrix(b, m, f); err != nil {
			t.Fatal(err)
		}
	}
	if !strings.Contains(md.String(), "| `/data` | named-volume | kept |") || !strings.Contains(md.String(), "**gone** ⚠ (Docker: kept)") ||
		!strings.Contains(md.String(), "1 cells deviate") || !strings.Contains(md.String(), "- /data is an image VOLUME") {
		t.Errorf("markdown:\n%s", md.String())
	}
	var back struct {
		Image string
		Cells []map[string]any
	}
	if err := json.Unmarshal(js.Bytes(), &back); err != nil || back.Image != "app:1" || len(back.Cells) != 2 || back.Cells[1]["deviates"] != true {
		t.Errorf("json: %v\n%s", err, js.String())
	}
	html := page.String()
	if !strings.Contains(html, "it was wiped &lt;at start&gt;") || strings.Contains(html, "http://") || strings.Contains(html, "https://") {
		t.Errorf("the page must escape its text and load nothing from a network:\n%s", html)
	}
	if err := WriteMatrix(&md, m, "pdf"); err == nil {
		t.Error("an unknown format was written")
	}
}
