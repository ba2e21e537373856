package persistcheck

import (
	"slices"
	"strings"
	"testing"
	"testing/fstest"
)

var planFS = fstest.MapFS{
	"a.feature": {Data: []byte(`Feature: a
  Scenario: one
    Given a volume "data"
  @slow
  Scenario: two
    Given a volume "data"
  Scenario Outline: three
    Given a volume "<name>"
    Examples:
      | name |
      | x    |
      | y    |
`)},
	"b.feature": {Data: []byte(`Feature: b
  Scenario: four
    Given a volume "data"
  Scenario: five
    Given a volum "data"
`)},
}

func TestShardsSplitScenariosWithoutOverlap(t *testing.T) {
	var union []string
	for i := 1; i <= 2; i++ {
		p, err := makePlan(planFS, []string{"."}, "", Shard{i, 2}, noEnv)
		if err != nil {
			t.Fatal(err)
		}
		for _, path := range p.paths {
			if slices.Contains(union, path) {
				t.Errorf("shard %d/2 repeats %s", i, path)
			}
			union = append(union, path)
		}
	}
	slices.Sort(union)
	want := []string{"a.feature:2", "a.feature:5", "a.feature:7", "b.feature:2", "b.feature:4"}
	if !slices.Equal(union, want) {
		t.Errorf("shards cover %v, want every scenario once: %v", union, want)
	}
}

func TestPlanFindsUndefinedStepsAndHonoursTags(t *testing.T) {
	p, err := makePlan(planFS, []string{"."}, "~@slow", Shard{1, 1}, noEnv)
	if err != nil {
		t.Fatal(err)
	}
	if p.scenarios != 4 {
		t.Errorf("%d scenarios selected, want 4 (the outline counts once, @slow is out)", p.scenarios)
	}
	if len(p.problems) != 1 || !strings.Contains(p.problems[0].String(), "b.feature:5") || !strings.Contains(p.problems[0].String(), `did you mean: Given a volume "data"`) {
		t.Errorf("problems %q, want the one undefined step with where it is and a hint", p.problems)
	}
}

func TestParseShard(t *testing.T) {
	for in, ok := range map[string]bool{"": true, "1/1": true, "2/4": true, "4/4": true, "0/4": false, "5/4": false, "1/0": false, "x/y": false, "1": false} {
		if _, err := ParseShard(in); (err == nil) != ok {
			t.Errorf("parseShard(%q) error %v, want ok=%v", in, err, ok)
		}
	}
}

func noEnv(string) (string, bool) { return "", false }
