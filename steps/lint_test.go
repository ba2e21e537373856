package steps

import (
	"strconv"
	"strings"
	"testing"
)

func lintText(t *testing.T, lines ...string) []Problem {
	t.Helper()
	var sts []ScenarioStep
	for i, l := range lines {
		st := ScenarioStep{Text: l, Line: i + 1}
		if strings.HasPrefix(l, "|") { // a table for the step before
			row := strings.Split(strings.Trim(l, "| "), "|")
			for j := range row {
				row[j] = strings.TrimSpace(row[j])
			}
			sts[len(sts)-1].Table = append(sts[len(sts)-1].Table, row)
			continue
		}
		sts = append(sts, st)
	}
	return Lint(sts, LintOptions{Lookup: func(name string) (string, bool) {
		v, ok := map[string]string{"IMAGE": "persistcheck/app"}[name]
		return v, ok
	}})
}

func TestLintFindsMistakesWithTheirLines(t *testing.T) {
	tests := []struct {
		name  string
		steps []string
		want  []string // one problem each, in order; "line N: text"
	}{
		{"a clean scenario", []string{
			`a volume "data"`, `a container "app" from image "${IMAGE}"`, `"app" mounts volume "data" at "/data"`,
			`the container "app" is started`, `I write a sentinel "s" to "/data/s" in "app"`, `the sentinel "s" is intact in "app"`,
		}, nil},
		{"a container never declared, near a declared one", []string{
			`a container "app" from image "x"`, `the container "ap" is started`,
		}, []string{`line 2: container "ap" is not declared before this step; did you mean "app"?`}},
		{"a container never declared", []string{
			`the container "db" is started`,
		}, []string{`line 1: container "db" is not declared before this step; declare it first: Given a container "db" from image "IMAGE"`}},
		{"a volume mounted but not declared", []string{
			`a volume "data"`, `a container "app" from image "x"`, `"app" mounts volume "dta" at "/data"`, `"app" mounts host folder "shared" at "/s"`,
		}, []string{`line 3: volume "dta" is not declared before this step; did you mean "data"?`, `line 4: host folder "shared" is not declared`}},
		{"a container declared twice", []string{
			`a container "app" from image "x"`, `a container "app" from image "y"`,
		}, []string{`line 2: container "app" is declared twice`}},
		{"a sentinel checked but never written", []string{
			`a container "app" from image "x"`, `I write a sentinel "s1" to "/data/s1" in "app"`, `the sentinel "s2" is gone from "app"`,
		}, []string{`line 3: sentinel "s2" is checked, but no step before this one writes it; did you mean "s1"?`}},
		{"sentinels and states in tables", []string{
			`a container "app" from image "x"`,
			`I write sentinels in "app":`, `| sentinel | path |`, `| layer | /var/s |`,
			`in "app" the sentinels are:`, `| sentinel | state |`, `| layer | lost |`, `| volume | intact |`,
		}, []string{`line 5: sentinel "volume" is checked, but no step before this one writes it`, `line 5: unknown sentinel state "lost"`}},
		{"an unescaped quote", []string{
			`a container "app" from image "x"`, `I run "sh -c "echo hi"" in "app"`,
		}, []string{`line 2: step "I run \"sh -c \"echo hi\"\" in \"app\"" has a double quote inside a quoted argument: write it as \" (the step then reads: I run "sh -c \"echo hi\"" in "app")`}},
		{"an unset variable", []string{
			`a container "app" from image "${NOT_SET_HERE}"`,
		}, []string{`line 1: variable NOT_SET_HERE is not set`}},
		{"an undefined step, suggested in the scenario's own words", []string{
			`a container "db" from image "x"`, `I recreat the container "db"`,
		}, []string{`line 2: undefined step "I recreat the container \"db\""; did you mean: When I recreate the container "db"`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := lintText(t, tt.steps...)
			if len(got) != len(tt.want) {
				t.Fatalf("got %d problems %v, want %d: %q", len(got), got, len(tt.want), tt.want)
			}
			for i, p := range got {
				text := "line " + strconv.Itoa(p.Line) + ": " + p.Message
				if !strings.HasPrefix(text, tt.want[i]) {
					t.Errorf("problem %d:\n got %s\nwant %s", i, text, tt.want[i])
				}
			}
		})
	}
}
