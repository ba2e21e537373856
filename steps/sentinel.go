package steps

import (
	"context"

	"github.com/cucumber/godog"

	"github.com/persistcheck/persistcheck/harness"
)

// sentinelSteps write sentinels from inside containers and judge them:
// intact, gone or corrupted.
func (w *world) sentinelSteps() []definition {
	const g = "Sentinels"
	expect := func(state harness.State) func(context.Context, string, string) error {
		return func(ctx context.Context, sentinel, name string) error {
			return w.sc.ExpectSentinels(ctx, name, harness.SentinelState{Name: sentinel, State: state})
		}
	}
	return []definition{
		{g, `I write a sentinel %q to %q in %q`, `When I write a sentinel "s1" to "/data/s1" in "app"`, "sentinel+ - container",
			func(ctx context.Context, sentinel, path, name string) error {
				return w.sc.WriteSentinels(ctx, name, harness.SentinelAt{Name: sentinel, Path: path})
			}},
		{g, `the sentinel %q is intact in %q`, `Then the sentinel "s1" is intact in "app"`, "sentinel container",
			expect(harness.Intact)},
		{g, `the sentinel %q is gone from %q`, `Then the sentinel "s1" is gone from "app"`, "sentinel container",
			expect(harness.Gone)},
		{g, `the sentinel %q is corrupted in %q`, `Then the sentinel "s1" is corrupted in "app"`, "sentinel container",
			expect(harness.Corrupted)},
		{g, `I write sentinels in %q:`, "When I write sentinels in \"app\":\n  | sentinel | path       |\n  | layer    | /var/lib/s |\n  | volume   | /data/s    |", "container |sentinel+",
			func(ctx context.Context, name string, t *godog.Table) error {
				rows, err := w.table(t, "sentinel", "path")
				if err != nil {
					return err
				}
				list := make([]harness.SentinelAt, len(rows))
				for i, r := range rows {
					list[i] = harness.SentinelAt{Name: r["sentinel"], Path: r["path"]}
				}
				return w.sc.WriteSentinels(ctx, name, list...)
			}},
		{g, `in %q the sentinels are:`, "Then in \"app\" the sentinels are:\n  | sentinel | state  |\n  | layer    | gone   |\n  | volume   | intact |", "container |sentinel |state",
			func(ctx context.Context, name string, t *godog.Table) error {
				rows, err := w.table(t, "sentinel", "state")
				if err != nil {
					return err
				}
				want := make([]harness.SentinelState, len(rows))
				for i, r := range rows {
					st, err := harness.ParseState(r["state"])
					if err != nil {
						return err
					}
					want[i] = harness.SentinelState{Name: r["sentinel"], State: st}
				}
				return w.sc.ExpectSentinels(ctx, name, want...)
			}},
	}
}
