package main

import (
	"fmt"
	"io/fs"
	"regexp"
	"sort"
	"strings"

	"github.com/cucumber/godog"

	"github.com/persistcheck/persistcheck/steps"
)

// plan is what a run will do, checked before any container starts.
type plan struct {
	paths     []string // for godog: the given ones, or file:line per scenario of a shard
	scenarios int
	problems  []string // undefined or ambiguous steps, with where they are
}

// shard selects every n-th scenario, starting at the i-th (1-based).
type shard struct{ i, n int }

var shardRE = regexp.MustCompile(`^(\d+)/(\d+)$`)

func parseShard(s string) (shard, error) {
	if s == "" {
		return shard{1, 1}, nil
	}
	m := shardRE.FindStringSubmatch(s)
	if m == nil {
		return shard{}, fmt.Errorf("--shard %q: write I/N, e.g. 2/4 for the second of four shards", s)
	}
	var sh shard
	fmt.Sscan(m[1], &sh.i)
	fmt.Sscan(m[2], &sh.n)
	if sh.n < 1 || sh.i < 1 || sh.i > sh.n {
		return shard{}, fmt.Errorf("--shard %q: I must be from 1 to N", s)
	}
	return sh, nil
}

// makePlan parses the features at paths in fsys (nil: the operating
// system's) as godog will, keeps the scenarios that tags and sh select,
// and checks that every step of them is in the vocabulary. A feature that
// does not parse is an error.
func makePlan(fsys fs.FS, paths []string, tags string, sh shard) (plan, error) {
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
	for _, f := range features {
		uri := stripLine(f.Uri)
		for _, pickle := range f.Pickles {
			sc := scenario{uri, f.FindScenario(pickle.AstNodeIds[0]).Location.Line}
			if !seen[sc] {
				seen[sc] = true
				all = append(all, sc)
			}
			for _, st := range pickle.Steps {
				matches := steps.Match(st.Text)
				if len(matches) == 1 {
					continue
				}
				where := uri
				if s := f.FindStep(st.AstNodeIds[0]); s != nil {
					where = fmt.Sprintf("%s:%d", uri, s.Location.Line)
				}
				if len(matches) == 0 {
					p.problems = append(p.problems, fmt.Sprintf("%s: undefined step %q%s", where, st.Text, suggest(st.Text)))
				} else {
					p.problems = append(p.problems, fmt.Sprintf("%s: step %q matches %d phrases: %s", where, st.Text, len(matches), strings.Join(matches, "; ")))
				}
			}
		}
	}
	p.problems = unique(p.problems)
	sort.Slice(all, func(a, b int) bool {
		if all[a].uri != all[b].uri {
			return all[a].uri < all[b].uri
		}
		return all[a].line < all[b].line
	})
	if sh.n == 1 {
		p.scenarios = len(all)
		return p, nil
	}
	p.paths = nil
	for i, sc := range all {
		if i%sh.n == sh.i-1 {
			p.paths = append(p.paths, fmt.Sprintf("%s:%d", sc.uri, sc.line))
			p.scenarios++
		}
	}
	return p, nil
}

var lineSuffix = regexp.MustCompile(`:\d+$`)

// stripLine removes a :LINE suffix that godog keeps in a feature's URI.
func stripLine(uri string) string { return lineSuffix.ReplaceAllString(uri, "") }

func unique(ss []string) []string {
	var out []string
	seen := map[string]bool{}
	for _, s := range ss {
		if !seen[s] {
			seen[s] = true
			out = append(out, s)
		}
	}
	return out
}

// quoted matches a quoted argument, escaped quotes included.
var quoted = regexp.MustCompile(`"(?:[^"\\]|\\.)*"`)

// suggest returns the vocabulary phrase closest to text, letter by letter
// with every quoted argument alike, as a hint; or where to look when none
// is close.
func suggest(text string) string {
	norm := func(s string) []rune { return []rune(quoted.ReplaceAllString(s, `"…"`)) }
	have := norm(text)
	best, bestDist := "", len(have)/3+1
	for _, ph := range steps.Vocabulary() {
		example := strings.SplitN(ph.Example, "\n", 2)[0]
		_, phrase, _ := strings.Cut(example, " ") // without the keyword
		if d := distance(have, norm(phrase)); d < bestDist {
			best, bestDist = example, d
		}
	}
	if best == "" {
		return "; run 'persistcheck steps' for the vocabulary"
	}
	return fmt.Sprintf("; did you mean: %s", best)
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
