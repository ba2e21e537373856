// Command bench measures persistcheck against the raw engine, as `make
// bench` runs it: the canonical cycle through the whole persistcheck
// process, against the same cycle written on the Engine API, by turns, for
// the built-in image and for an image without the agent; the speed-up of
// running cycles side by side, against the engine's own; and 200 scenarios
// at concurrency 4, for flatness, peak memory and leftovers.
package main

import (
	"context"
	"encoding/xml"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing/fstest"
	"time"

	"github.com/persistcheck/persistcheck/fixtures"
	"github.com/persistcheck/persistcheck/harness"
	"github.com/persistcheck/persistcheck/harness/docker"
)

const noAgent = "persistcheck/bench-noagent:latest"

func main() {
	rounds := flag.Int("rounds", 10, "cycles of each kind, by turns")
	scale := flag.Int("scale", 200, "scenarios of the flatness run")
	flag.Parse()
	if err := run(*rounds, *scale); err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
}

func run(rounds, scale int) error {
	ctx := context.Background()
	dir, err := os.MkdirTemp("", "persistcheck-bench-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	bin := filepath.Join(dir, "persistcheck")
	if out, err := exec.Command("go", "build", "-o", bin, "./cmd/persistcheck").CombinedOutput(); err != nil {
		return fmt.Errorf("build persistcheck: %v\n%s", err, out)
	}
	e, err := docker.New(ctx, nil)
	if err != nil {
		return err
	}
	defer e.Close()
	if _, err := e.Image(ctx, harness.BuiltinImage); err != nil {
		return err
	}
	agent, err := fixtures.BuildAgent(ctx, runtime.GOARCH)
	if err != nil {
		return err
	}
	if _, err := e.Build(ctx, fstest.MapFS{
		"server":     {Data: agent, Mode: 0o755},
		"Dockerfile": {Data: []byte("FROM scratch\nCOPY server /usr/bin/server\nCMD [\"/usr/bin/server\", \"serve\"]\n")},
	}, noAgent); err != nil {
		return err
	}

	cycle := func(image, ready string, examples int) string {
		f := fmt.Sprintf(`Feature: the canonical cycle
  Scenario Outline: cycle <n>
    Given a volume "data"
    And a container "app" from image "%s"
    And "app" mounts volume "data" at "/data"
%s    When the container "app" is started
    And I write sentinels in "app":
      | sentinel | path    |
      | volume   | /data/v |
      | layer    | /var/l  |
    And I kill the container "app"
    And I remove the container "app"
    And I launch the container "app" again
    Then in "app" the sentinels are:
      | sentinel | state  |
      | volume   | intact |
      | layer    | gone   |

    Examples:
      | n |
`, image, ready)
		for i := 1; i <= examples; i++ {
			f += fmt.Sprintf("      | %d |\n", i)
		}
		p := filepath.Join(dir, fmt.Sprintf("%s-%d.feature", strings.NewReplacer("/", "-", ":", "-").Replace(image), examples))
		os.WriteFile(p, []byte(f), 0o644)
		return p
	}
	readyLine := "    And \"app\" is ready when its log shows \"persistcheck-agent: ready\"\n"
	kinds := []struct {
		name, image, ready, feature string
		copyAgent                   bool
		rawReady                    string
	}{
		{"built-in image", harness.BuiltinImage, "", "", false, ""},
		{"image without the agent", noAgent, readyLine, "", true, "persistcheck-agent: ready"},
	}
	for i := range kinds {
		kinds[i].feature = cycle(kinds[i].image, kinds[i].ready, 1)
	}
	cli := func(feature string, conc int, junit string) (time.Duration, int64, error) {
		args := []string{"run", "--format", "progress", "--concurrency", strconv.Itoa(conc), feature}
		if junit != "" {
			args[2] = "progress,junit:" + junit
		}
		cmd := exec.Command(bin, args...)
		out, err := os.CreateTemp(dir, "out")
		if err != nil {
			return 0, 0, err
		}
		defer out.Close()
		cmd.Stdout, cmd.Stderr = out, out
		start := time.Now()
		err = cmd.Run()
		took := time.Since(start)
		var rss int64
		if u, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage); ok {
			rss = u.Maxrss // KiB
		}
		if err != nil {
			data, _ := os.ReadFile(out.Name())
			return took, rss, fmt.Errorf("%s: %v\n%s", feature, err, data)
		}
		return took, rss, nil
	}
	raw := func(image string, copyAgent bool, ready string) (time.Duration, error) {
		start := time.Now()
		err := e.RawCycle(ctx, image, copyAgent, ready)
		return time.Since(start), err
	}

	fmt.Printf("The canonical cycle, %d times each, by turns: the whole persistcheck process against the raw Engine API\n", rounds)
	for _, k := range kinds {
		var c, r []time.Duration
		for range rounds {
			tc, _, err := cli(k.feature, 1, "")
			if err != nil {
				return err
			}
			tr, err := raw(k.image, k.copyAgent, k.rawReady)
			if err != nil {
				return err
			}
			c, r = append(c, tc), append(r, tr)
		}
		fmt.Printf("  %-24s persistcheck %s, raw %s per cycle (medians): %.2fx\n", k.name, median(c), median(r), ratio(median(c), median(r)))
	}

	const side = 8
	fmt.Printf("\n%d cycles of the built-in image, one after another and 4 at a time\n", side)
	eight := cycle(harness.BuiltinImage, "", side)
	c1, _, err := cli(eight, 1, "")
	if err != nil {
		return err
	}
	c4, _, err := cli(eight, 4, "")
	if err != nil {
		return err
	}
	r1, r4 := rawMany(side, 1, func() error { _, err := raw(harness.BuiltinImage, false, ""); return err }), rawMany(side, 4, func() error { _, err := raw(harness.BuiltinImage, false, ""); return err })
	if r1.err != nil || r4.err != nil {
		return fmt.Errorf("raw: %v %v", r1.err, r4.err)
	}
	fmt.Printf("  persistcheck: %s at 1, %s at 4: a speed-up of %.2fx\n", c1.Round(time.Millisecond), c4.Round(time.Millisecond), ratio(c1, c4))
	fmt.Printf("  raw engine:   %s at 1, %s at 4: a speed-up of %.2fx\n", r1.took.Round(time.Millisecond), r4.took.Round(time.Millisecond), ratio(r1.took, r4.took))

	fmt.Printf("\n%d cycles as one Scenario Outline, at concurrency 4\n", scale)
	junit := filepath.Join(dir, "scale.xml")
	took, rss, err := cli(cycle(harness.BuiltinImage, "", scale), 4, junit)
	if err != nil {
		return err
	}
	times, err := caseTimes(junit)
	if err != nil {
		return err
	}
	q := min(50, len(times)/4)
	first, last := mean(times[:q]), mean(times[len(times)-q:])
	fmt.Printf("  %s in all; mean time per scenario: the first %d %s, the last %d %s (%.2fx)\n", took.Round(time.Millisecond), q, first.Round(time.Millisecond), q, last.Round(time.Millisecond), ratio(last, first))
	fmt.Printf("  peak RSS of the process: %.1f MiB\n", float64(rss)/1024)
	if left, err := e.Labelled(ctx, map[string]string{harness.LabelRun: ""}); err == nil {
		fmt.Printf("  left behind on the engine: %d objects labelled by a run\n", len(left))
	}
	return nil
}

type many struct {
	took time.Duration
	err  error
}

func rawMany(n, workers int, cycle func() error) many {
	start := time.Now()
	jobs := make(chan int)
	var mu sync.Mutex
	var first error
	var wg sync.WaitGroup
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range jobs {
				if err := cycle(); err != nil {
					mu.Lock()
					first = err
					mu.Unlock()
				}
			}
		}()
	}
	for i := range n {
		jobs <- i
	}
	close(jobs)
	wg.Wait()
	return many{time.Since(start), first}
}

// caseTimes reads the times of a JUnit report's cases, in the order of the
// scenarios.
func caseTimes(file string) ([]time.Duration, error) {
	data, err := os.ReadFile(file)
	if err != nil {
		return nil, err
	}
	var r struct {
		Cases []struct {
			Line int     `xml:"line,attr"`
			Time float64 `xml:"time,attr"`
		} `xml:"testsuite>testcase"`
	}
	if err := xml.Unmarshal(data, &r); err != nil {
		return nil, err
	}
	sort.Slice(r.Cases, func(a, b int) bool { return r.Cases[a].Line < r.Cases[b].Line })
	var out []time.Duration
	for _, c := range r.Cases {
		out = append(out, time.Duration(c.Time*float64(time.Second)))
	}
	return out, nil
}

func median(ds []time.Duration) time.Duration {
	s := append([]time.Duration(nil), ds...)
	sort.Slice(s, func(a, b int) bool { return s[a] < s[b] })
	return s[len(s)/2].Round(time.Millisecond)
}

func mean(ds []time.Duration) time.Duration {
	var sum time.Duration
	for _, d := range ds {
		sum += d
	}
	return sum / time.Duration(len(ds))
}

func ratio(a, b time.Duration) float64 { return float64(a) / float64(b) }
