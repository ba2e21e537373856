package steps

import (
	"context"

	"github.com/persistcheck/persistcheck/harness"
)

// commands run programs in containers and check what they did, and read
// files.
func (w *world) commands() []definition {
	const g = "Commands"
	last := func(check func(*harness.CommandResult) error) func(context.Context) error {
		return func(ctx context.Context) error { return w.sc.ExpectLast(ctx, check) }
	}
	return []definition{
		{g, `I run %q in %q`, `When I run "redis-cli SET k1 v1" in "cache"`, "- container",
			func(ctx context.Context, line, name string) error { return w.sc.RunCommand(ctx, name, line) }},
		{g, `the command succeeds`, `Then the command succeeds`, "",
			last((*harness.CommandResult).ExpectSuccess)},
		{g, `the command fails`, `Then the command fails`, "",
			last((*harness.CommandResult).ExpectFailure)},
		{g, `the output is %q`, `Then the output is "v1"`, "-",
			func(ctx context.Context, want string) error {
				return last(func(r *harness.CommandResult) error { return r.ExpectOutput(want) })(ctx)
			}},
		{g, `the output contains %q`, `Then the output contains "PONG"`, "-",
			func(ctx context.Context, part string) error {
				return last(func(r *harness.CommandResult) error { return r.ExpectOutputContains(part) })(ctx)
			}},
		{g, `the file %q in %q contains %q`, `Then the file "/data/app.conf" in "app" contains "mode=strict"`, "- container -",
			func(ctx context.Context, path, name, text string) error {
				return w.sc.FileContains(ctx, name, path, text)
			}},
		{g, `the file %q in %q does not exist`, `Then the file "/tmp/x" in "app" does not exist`, "- container",
			func(ctx context.Context, path, name string) error { return w.sc.FileAbsent(ctx, name, path) }},
	}
}
