package report

import (
	"bytes"
	"encoding/xml"
	"strings"
	"testing"
	"time"

	"github.com/cucumber/godog/formatters"
	messages "github.com/cucumber/messages/go/v34"

	"github.com/persistcheck/persistcheck/harness"
	"github.com/persistcheck/persistcheck/steps"
)

type source map[string]steps.Record

func (s source) Scenario(id string) steps.Record { return s[id] }

func TestJUnitCountsAndBodies(t *testing.T) {
	now := time.Now()
	src := source{
		"p": {Start: now, End: now.Add(2 * time.Second)},
		"f": {Start: now, End: now.Add(3 * time.Second), Kind: harness.Finding},
		"s": {Start: now, End: now, Interrupted: "before it started"},
	}
	var out bytes.Buffer
	j := JUnit(src)("persistcheck", &out).(*junit)
	doc := &messages.GherkinDocument{Feature: &messages.Feature{Keyword: "Feature", Name: "f", Children: []*messages.FeatureChild{
		{Scenario: &messages.Scenario{Id: "s1", Keyword: "Scenario", Name: "one", Location: &messages.Location{Line: 2},
			Steps: []*messages.Step{{Id: "a1", Keyword: "Given ", Location: &messages.Location{Line: 3}}, {Id: "a2", Keyword: "Then ", Location: &messages.Location{Line: 4}}}}},
	}}}
	j.Feature(doc, "f.feature", nil)
	for _, id := range []string{"p", "f", "s"} {
		p := &messages.Pickle{Id: id, Uri: "f.feature", Name: "scenario " + id, AstNodeIds: []string{"s1"},
			Steps: []*messages.PickleStep{{Id: id + "-1", Text: `a volume "data"`, AstNodeIds: []string{"a1"}}, {Id: id + "-2", Text: `the sentinel "s" is intact in "app"`, AstNodeIds: []string{"a2"}}}}
		j.Pickle(p)
		switch id {
		case "p":
			j.Passed(p, p.Steps[0], nil)
			j.Passed(p, p.Steps[1], nil)
		case "f":
			j.Passed(p, p.Steps[0], nil)
			j.Failed(p, p.Steps[1], nil, harness.Errorf(harness.Finding, "sentinel \"s\" in \"app\" is gone, expected intact\n    why: because"))
		case "s":
			j.Skipped(p, p.Steps[0], nil)
			j.Skipped(p, p.Steps[1], nil)
		}
	}
	j.Summary()
	var r struct {
		Tests    int     `xml:"tests,attr"`
		Failures int     `xml:"failures,attr"`
		Errors   int     `xml:"errors,attr"`
		Skipped  int     `xml:"skipped,attr"`
		Time     float64 `xml:"time,attr"`
		Cases    []struct {
			Name    string `xml:"name,attr"`
			Failure *struct {
				Message string `xml:"message,attr"`
				Body    string `xml:",chardata"`
			} `xml:"failure"`
			Skipped *struct {
				Message string `xml:"message,attr"`
			} `xml:"skipped"`
		} `xml:"testsuite>testcase"`
	}
	if err := xml.Unmarshal(out.Bytes(), &r); err != nil {
		t.Fatalf("%v\n%s", err, out.String())
	}
	if r.Tests != 3 || r.Failures != 1 || r.Errors != 0 || r.Skipped != 1 || r.Time != 5 {
		t.Errorf("tests=%d failures=%d errors=%d skipped=%d time=%v, want 3, 1, 0, 1, 5\n%s", r.Tests, r.Failures, r.Errors, r.Skipped, r.Time, out.String())
	}
	for _, c := range r.Cases {
		switch c.Name {
		case "scenario f":
			if c.Failure == nil || c.Failure.Message != `sentinel "s" in "app" is gone, expected intact` ||
				!strings.Contains(c.Failure.Body, `passed    Given a volume "data"  # f.feature:3`) ||
				!strings.Contains(c.Failure.Body, `failed    Then the sentinel "s" is intact in "app"  # f.feature:4`) ||
				!strings.Contains(c.Failure.Body, "why: because") {
				t.Errorf("the failure: %+v", c.Failure)
			}
		case "scenario s":
			if c.Skipped == nil || !strings.Contains(c.Skipped.Message, "interrupted before it started") {
				t.Errorf("the interrupted scenario: %+v", c.Skipped)
			}
		}
	}
}

// engineSource is a source that knows its engine.
type engineSource struct{ source }

func (engineSource) Engine() harness.Identity {
	return harness.Identity{Kind: harness.PodmanKind, Name: "Podman", Version: "4.3.1", Where: "unix:///run/podman/podman.sock"}
}

func TestReportsNameTheEngine(t *testing.T) {
	src := engineSource{source{"p": {Start: time.Now(), End: time.Now()}}}
	doc := &messages.GherkinDocument{Feature: &messages.Feature{Keyword: "Feature", Name: "f", Children: []*messages.FeatureChild{
		{Scenario: &messages.Scenario{Id: "s1", Keyword: "Scenario", Name: "one", Location: &messages.Location{Line: 2},
			Steps: []*messages.Step{{Id: "a1", Keyword: "Given ", Location: &messages.Location{Line: 3}}}}},
	}}}
	p := &messages.Pickle{Id: "p", Uri: "f.feature", Name: "one", AstNodeIds: []string{"s1"},
		Steps: []*messages.PickleStep{{Id: "p-1", Text: `a volume "data"`, AstNodeIds: []string{"a1"}}}}
	const want = "Podman 4.3.1 at unix:///run/podman/podman.sock"
	for name, f := range map[string]func(Source) formatters.FormatterFunc{"pretty": Pretty, "progress": Progress, "junit": JUnit} {
		var out bytes.Buffer
		r := f(src)("persistcheck", &out)
		r.Feature(doc, "f.feature", nil)
		r.Pickle(p)
		r.Passed(p, p.Steps[0], nil)
		r.Summary()
		switch {
		case name == "junit" && !strings.Contains(out.String(), `<property name="persistcheck.engine" value="`+want+`"></property>`):
			t.Errorf("junit does not name the engine:\n%s", out.String())
		case name != "junit" && !strings.Contains(out.String(), "\non "+want+"\n"):
			t.Errorf("%s does not name the engine:\n%s", name, out.String())
		}
	}
}
