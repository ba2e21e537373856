package persistcheck

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"strings"

	"github.com/persistcheck/persistcheck/report"
)

// writeProblems writes, into every report that has a file, the problems
// that stopped a run before it started, so that a CI publisher has
// something to show: JUnit as errors, Cucumber JSON as failed steps, any
// other format as the lines printed on the terminal.
func writeProblems(formats []string, problems []Problem) error {
	var errs []error
	for _, f := range formats {
		name, file, hasFile := strings.Cut(f, ":")
		if !hasFile {
			continue
		}
		out, err := os.Create(file)
		if err != nil {
			errs = append(errs, fmt.Errorf("write the %s report: %w", name, err))
			continue
		}
		switch name {
		case "junit":
			err = report.WriteProblemsJUnit(out, suiteTitle, reportProblems(problems))
		case "cucumber":
			err = writeCucumberProblems(out, problems)
		default:
			for _, p := range problems {
				fmt.Fprintln(out, p)
			}
		}
		errs = append(errs, err, out.Close())
	}
	return errors.Join(errs...)
}

func reportProblems(problems []Problem) []report.Problem {
	out := make([]report.Problem, len(problems))
	for i, p := range problems {
		out[i] = report.Problem{URI: p.URI, Line: p.Line, Scenario: p.Scenario, Step: p.Step, Message: p.Message}
	}
	return out
}

// writeCucumberProblems writes problems as Cucumber JSON: a feature per
// file, a scenario per problem, its step failed with the problem.
func writeCucumberProblems(w *os.File, problems []Problem) error {
	type result struct {
		Status string `json:"status"`
		Error  string `json:"error_message,omitempty"`
	}
	type step struct {
		Keyword string `json:"keyword"`
		Name    string `json:"name"`
		Line    int    `json:"line"`
		Result  result `json:"result"`
	}
	type element struct {
		ID      string `json:"id"`
		Keyword string `json:"keyword"`
		Name    string `json:"name"`
		Line    int    `json:"line"`
		Type    string `json:"type"`
		Steps   []step `json:"steps"`
	}
	type feature struct {
		URI      string    `json:"uri"`
		ID       string    `json:"id"`
		Keyword  string    `json:"keyword"`
		Name     string    `json:"name"`
		Elements []element `json:"elements"`
	}
	var features []*feature
	byURI := map[string]*feature{}
	for _, p := range problems {
		f := byURI[p.URI]
		if f == nil {
			f = &feature{URI: p.URI, ID: slug(p.URI), Keyword: "Feature", Name: p.URI}
			byURI[p.URI] = f
			features = append(features, f)
		}
		keyword, name, _ := strings.Cut(p.Step, " ")
		if p.Step == "" {
			keyword, name = "", "(the feature file)"
		}
		f.Elements = append(f.Elements, element{
			ID: slug(p.URI + ";" + p.Scenario), Keyword: "Scenario", Name: p.Scenario, Line: p.Line, Type: "scenario",
			Steps: []step{{Keyword: keyword + " ", Name: name, Line: p.Line, Result: result{Status: "failed", Error: "invalid input: " + p.Message}}},
		})
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	if features == nil {
		features = []*feature{}
	}
	return enc.Encode(features)
}

func slug(s string) string {
	return strings.ToLower(strings.NewReplacer(" ", "-", "/", "-", ".", "-").Replace(s))
}
