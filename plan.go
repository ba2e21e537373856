package persistcheck

import (
	"context"
	"fmt"
	"io/fs"
	"path"
	"path/filepath"
	"regexp"
	"sort"
	"strings"

	"github.com/cucumber/godog"

	"github.com/persistcheck/persistcheck/compose"
	"github.com/persistcheck/persistcheck/harness"
	"github.com/persistcheck/persistcheck/steps"
)

// Shard selects every N-th scenario, starting at the I-th (1-based), so that
// N parallel jobs run each scenario once. The zero Shard selects all.
type Shard struct{ I, N int }

var shardRE = regexp.MustCompile(`^(\d+)/(\d+)$`)

// ParseShard parses I/N, e.g. 2/4; "" is every scenario.
func ParseShard(s string) (Shard, error) {
	if s == "" {
		return Shard{1, 1}, nil
	}
	m := shardRE.FindStringSubmatch(s)
	if m == nil {
		return Shard{}, fmt.Errorf("--shard %q: write I/N, e.g. 2/4 for the second of four shards", s)
	}
	var sh Shard
	fmt.Sscan(m[1], &sh.I)
	fmt.Sscan(m[2], &sh.N)
	if sh.N < 1 || sh.I < 1 || sh.I > sh.N {
		return Shard{}, fmt.Errorf("--shard %q: I must be from 1 to N", s)
	}
	return sh, nil
}

// Problem is a mistake in a feature, found before anything runs.
type Problem struct {
	URI      string // the feature file
	Line     int    // of the step, or the scenario
	Scenario string
	Step     string // the step's text, keyword included; "" for the file
	Message  string
}

func (p Problem) String() string {
	if p.Line == 0 {
		return fmt.Sprintf("%s: %s", p.URI, p.Message)
	}
	return fmt.Sprintf("%s:%d: %s", p.URI, p.Line, p.Message)
}

// plan is what a run will do, checked before any container starts.
type plan struct {
	paths     []string // for godog: the given ones, or file:line per scenario of a shard
	scenarios int
	problems  []Problem
}

// makePlan parses the features at paths in fsys (nil: the operating
// system's) as godog will, keeps the scenarios that tags and sh select, and
// lints every one of them. A feature that does not parse is an error.
func makePlan(fsys fs.FS, paths []string, tags string, sh Shard, lookup func(string) (string, bool)) (plan, error) {
	if sh.N == 0 {
		sh = Shard{1, 1}
	}
	suite := godog.TestSuite{Options: &godog.Options{FS: fsys, Paths: paths, Tags: tags}}
	features, err := suite.RetrieveFeatures()
	if err != nil {
		return plan{}, err
	}
	type scenario struct {
		uri  string
		line int64
	}
	seen := map[scenario]bool{}
	var all []scenario
	p := plan{paths: paths}
	reported := map[string]bool{} // a background's problem once, not per scenario
	for _, f := range features {
		uri := stripLine(f.Uri)
		for _, pickle := range f.Pickles {
			sc := scenario{uri, f.FindScenario(pickle.AstNodeIds[0]).Location.Line}
			if !seen[sc] {
				seen[sc] = true
				all = append(all, sc)
			}
			var sts []steps.ScenarioStep
			text := map[int]string{}
			for _, st := range pickle.Steps {
				ls := steps.ScenarioStep{Text: st.Text}
				if s := f.FindStep(st.AstNodeIds[0]); s != nil {
					ls.Line = int(s.Location.Line)
					text[ls.Line] = strings.TrimSpace(s.Keyword) + " " + st.Text
				}
				if st.Argument != nil && st.Argument.DataTable != nil {
					for _, row := range st.Argument.DataTable.Rows {
						var cells []string
						for _, c := range row.Cells {
							cells = append(cells, c.Value)
						}
						ls.Table = append(ls.Table, cells)
					}
				}
				sts = append(sts, ls)
			}
			services := func(rel string) (containers, volumes, folders []string, err error) {
				src := harness.Source{FS: fsys, Dir: path.Dir(uri)}
				if fsys == nil {
					src.Dir = filepath.Dir(uri)
				}
				st, err := compose.Load(context.Background(), src, rel, lookup)
				if err != nil {
					return nil, nil, nil, err
				}
				for _, s := range st.Services {
					containers = append(containers, s.Name)
				}
				return containers, st.Volumes, st.Folders, nil
			}
			for _, lp := range steps.Lint(sts, steps.LintOptions{Lookup: lookup, Services: services}) {
				key := fmt.Sprintf("%s:%d: %s", uri, lp.Line, lp.Message)
				if reported[key] {
					continue
				}
				reported[key] = true
				p.problems = append(p.problems, Problem{URI: uri, Line: lp.Line, Scenario: pickle.Name, Step: text[lp.Line], Message: lp.Message})
			}
		}
	}
	sort.Slice(all, func(a, b int) bool {
		if all[a].uri != all[b].uri {
			return all[a].uri < all[b].uri
		}
		return all[a].line < all[b].line
	})
	if sh.N == 1 {
		p.scenarios = len(all)
		return p, nil
	}
	p.paths = nil
	for i, sc := range all {
		if i%sh.N == sh.I-1 {
			p.paths = append(p.paths, fmt.Sprintf("%s:%d", sc.uri, sc.line))
			p.scenarios++
		}
	}
	return p, nil
}

var lineSuffix = regexp.MustCompile(`:\d+$`)

// stripLine removes a :LINE suffix that godog keeps in a feature's URI.
func stripLine(uri string) string { return lineSuffix.ReplaceAllString(uri, "") }
