package steps

import (
	"context"

	"github.com/persistcheck/persistcheck/harness"
)

// durability writes in the background while faults hit, with a history of
// what was acknowledged kept by the harness, and checks storage against it.
func (w *world) durability() []definition {
	const g = "Durability"
	return []definition{
		{g, `%q starts appending records to %q`, `When "app" starts appending records to "/data/log"`, "container -",
			func(ctx context.Context, name, file string) error { return w.sc.StartAppending(ctx, name, file, true) }},
		{g, `%q starts appending records to %q without fsync`, `When "app" starts appending records to "/data/log" without fsync`, "container -",
			func(ctx context.Context, name, file string) error { return w.sc.StartAppending(ctx, name, file, false) }},
		{g, `%q has acknowledged at least (\d+) records`, `And "app" has acknowledged at least 200 records`, "container -",
			func(ctx context.Context, name string, n int) error { return w.sc.WaitAcknowledged(ctx, name, n) }},
		{g, `every acknowledged record in %q is intact in %q`, `Then every acknowledged record in "/data/log" is intact in "app"`, "- container",
			func(ctx context.Context, file, name string) error {
				return w.sc.ExpectRecords(ctx, name, file, harness.Every)
			}},
		{g, `at most (\d+) acknowledged records in %q are lost in %q`, `Then at most 5 acknowledged records in "/data/log" are lost in "app"`, "- - container",
			func(ctx context.Context, n int, file, name string) error {
				return w.sc.ExpectRecords(ctx, name, file, n)
			}},
		{g, `a volume %q limited to %q`, `Given a volume "small" limited to "16m"`, "volume+ -",
			func(_ context.Context, name, size string) error { return w.sc.DeclareSizedVolume(name, size) }},
		{g, `a power-loss volume %q`, `Given a power-loss volume "data"`, "volume+",
			func(_ context.Context, name string) error { return w.sc.DeclarePowerLossVolume(name, false) }},
		{g, `a strict power-loss volume %q`, `Given a strict power-loss volume "data"`, "volume+",
			func(_ context.Context, name string) error { return w.sc.DeclarePowerLossVolume(name, true) }},
		{g, `I cut the power to %q`, `When I cut the power to "app"`, "container",
			func(ctx context.Context, name string) error { return w.sc.Inject(ctx, name, harness.CutPower(false)) }},
		{g, `I cut the power to %q tearing the last write`, `When I cut the power to "app" tearing the last write`, "container",
			func(ctx context.Context, name string) error { return w.sc.Inject(ctx, name, harness.CutPower(true)) }},
		{g, `%q fills %q`, `When "app" fills "/data"`, "container -",
			func(ctx context.Context, name, dir string) error { return w.sc.Fill(ctx, name, dir) }},
		{g, `%q runs out of memory`, `When "app" runs out of memory`, "container",
			func(ctx context.Context, name string) error { return w.sc.Inject(ctx, name, harness.OutOfMemory()) }},
		{g, `I kill and start the container %q (\d+) times`, `When I kill and start the container "app" 5 times`, "container -",
			func(ctx context.Context, name string, n int) error {
				return w.sc.Inject(ctx, name, harness.Repeat(n, harness.KillAndStart(w.sc.Grace())))
			}},
		{g, `I run %q in %q for n from (\d+) to (\d+)`, `When I run "redis-cli SET k{n} v{n}" in "cache" for n from 1 to 500`, "- container - -",
			func(ctx context.Context, line, name string, first, last int) error {
				return w.sc.RunCommands(ctx, name, line, first, last)
			}},
		{g, `%q starts running %q for n from 1 upward`, `When "db" starts running "psql -c 'INSERT INTO t VALUES ({n})'" for n from 1 upward`, "container -",
			func(ctx context.Context, name, line string) error { return w.sc.StartCommands(ctx, name, line) }},
		{g, `every acknowledged n is listed by %q in %q`, `Then every acknowledged n is listed by "psql -Atc 'SELECT n FROM t'" in "db"`, "- container",
			func(ctx context.Context, line, name string) error {
				return w.sc.ExpectListed(ctx, name, line, harness.Every)
			}},
		{g, `at most (\d+) acknowledged n are missing from %q in %q`, `Then at most 5 acknowledged n are missing from "psql -Atc 'SELECT n FROM t'" in "db"`, "- - container",
			func(ctx context.Context, n int, line, name string) error {
				return w.sc.ExpectListed(ctx, name, line, n)
			}},
	}
}
