package steps

import (
	"context"

	"github.com/persistcheck/persistcheck/harness"
)

// lifecycle injects lifecycle events and faults. Each returns once the event
// is in effect and the engine reports the state it must leave.
func (w *world) lifecycle() []definition {
	const g = "Lifecycle and faults"
	inject := func(f func() harness.Fault) func(context.Context, string) error {
		return func(ctx context.Context, name string) error { return w.sc.Inject(ctx, name, f()) }
	}
	return []definition{
		{g, `the container %q is started`, `When the container "app" is started`, "container",
			inject(harness.Launch)},
		{g, `I kill the container %q`, `When I kill the container "app"`, "container",
			inject(func() harness.Fault { return harness.Kill(harness.SIGKILL, w.sc.Grace()) })},
		{g, `I kill the container %q with %q`, `When I kill the container "app" with "SIGTERM"`, "container -",
			func(ctx context.Context, name, signal string) error {
				sig, err := harness.ParseSignal(signal)
				if err != nil {
					return err
				}
				return w.sc.Inject(ctx, name, harness.Kill(sig, w.sc.Grace()))
			}},
		{g, `I stop the container %q`, `When I stop the container "app"`, "container",
			inject(func() harness.Fault { return harness.Stop(w.sc.Grace()) })},
		{g, `I start the container %q`, `When I start the container "app"`, "container",
			inject(harness.Start)},
		{g, `I restart the container %q`, `When I restart the container "app"`, "container",
			inject(func() harness.Fault { return harness.Restart(w.sc.Grace()) })},
		{g, `I pause the container %q`, `When I pause the container "app"`, "container",
			inject(func() harness.Fault { return harness.Pause() })},
		{g, `I unpause the container %q`, `When I unpause the container "app"`, "container",
			inject(harness.Unpause)},
		{g, `I remove the container %q`, `When I remove the container "app"`, "container",
			inject(func() harness.Fault { return harness.Remove(false) })},
		{g, `I remove the container %q with its volumes`, `When I remove the container "app" with its volumes`, "container",
			inject(func() harness.Fault { return harness.Remove(true) })},
		{g, `I launch the container %q again`, `When I launch the container "app" again`, "container",
			inject(harness.LaunchAgain)},
		{g, `I recreate the container %q`, `When I recreate the container "app"`, "container",
			inject(harness.Recreate)},
		{g, `the main process of %q crashes`, `When the main process of "app" crashes`, "container",
			inject(harness.Crash)},
		{g, `I upgrade the container %q to image %q`, `When I upgrade the container "app" to image "myapp:2.0"`, "container -",
			func(ctx context.Context, name, image string) error {
				return w.sc.Inject(ctx, name, harness.Upgrade(image))
			}},
	}
}
