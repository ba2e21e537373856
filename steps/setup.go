package steps

import (
	"context"
	"fmt"

	"github.com/persistcheck/persistcheck/compose"

	"github.com/persistcheck/persistcheck/harness"
)

// services declares the containers and named volumes of a Compose file,
// under the names the file gives them, and says which of its keys are not
// used.
func (w *world) services(ctx context.Context, file string) error {
	st, err := compose.Load(ctx, w.sc.Source(), file, w.lookup)
	if err != nil {
		return err
	}
	for _, v := range st.Volumes {
		if err := w.sc.DeclareVolume(v); err != nil {
			return err
		}
	}
	for _, f := range st.Folders {
		if err := w.sc.DeclareHostFolder(f); err != nil {
			return err
		}
	}
	for _, s := range st.Services {
		if err := w.sc.DeclareSpec(s.Name, s.Spec); err != nil {
			return err
		}
	}
	for _, warning := range st.Warnings {
		fmt.Fprintf(w.log, "persistcheck: %s: %s\n", st.File, warning)
	}
	return nil
}

// setup declares storage and containers. Nothing starts until a lifecycle
// step; a change to a container applies from its next launch.
func (w *world) setup() []definition {
	const g = "Setup"
	mount := func(kind harness.MountKind) func(context.Context, string, string, string) error {
		return func(_ context.Context, name, source, target string) error {
			return w.sc.Mount(name, harness.Mount{Kind: kind, Source: source, Target: target})
		}
	}
	unnamed := func(kind harness.MountKind) func(context.Context, string, string) error {
		return func(ctx context.Context, name, target string) error { return mount(kind)(ctx, name, "", target) }
	}
	return []definition{
		{g, `a volume %q`, `Given a volume "data"`, "volume+",
			func(_ context.Context, name string) error { return w.sc.DeclareVolume(name) }},
		{g, `a host folder %q`, `Given a host folder "shared"`, "folder+",
			func(_ context.Context, name string) error { return w.sc.DeclareHostFolder(name) }},
		{g, `a container %q from image %q`, `Given a container "app" from image "persistcheck/app"`, "container+ -",
			func(_ context.Context, name, image string) error { return w.sc.DeclareContainer(name, image) }},
		{g, `a container %q built from %q`, `Given a container "app" built from "fixtures/myapp"`, "container+ -",
			func(_ context.Context, name, dir string) error { return w.sc.DeclareBuiltContainer(name, dir) }},
		{g, `the services of %q`, `Given the services of "compose.yaml"`, "compose+",
			func(ctx context.Context, file string) error { return w.services(ctx, file) }},
		{g, `an image %q built from %q`, `Given an image "myapp:2.0" built from "fixtures/myapp-v2"`, "- -",
			func(ctx context.Context, image, dir string) error { return w.sc.BuildImage(ctx, image, dir) }},
		{g, `%q runs %q`, `And "app" runs "server --port 8080"`, "container -",
			func(_ context.Context, name, line string) error { return w.sc.SetCommand(name, line) }},
		{g, `%q mounts volume %q at %q`, `And "app" mounts volume "data" at "/data"`, "container volume -",
			mount(harness.NamedVolume)},
		{g, `%q mounts an anonymous volume at %q`, `And "app" mounts an anonymous volume at "/cache"`, "container -",
			unnamed(harness.AnonymousVolume)},
		{g, `%q mounts host folder %q at %q`, `And "app" mounts host folder "shared" at "/shared"`, "container folder -",
			mount(harness.HostFolder)},
		{g, `%q mounts a tmpfs at %q`, `And "app" mounts a tmpfs at "/scratch"`, "container -",
			unnamed(harness.Tmpfs)},
		{g, `%q has environment %q`, `And "app" has environment "MODE=strict"`, "container -",
			func(_ context.Context, name, kv string) error { return w.sc.AddEnv(name, kv) }},
		{g, `%q has a memory limit of %q`, `And "app" has a memory limit of "64m"`, "container -",
			func(_ context.Context, name, limit string) error { return w.sc.SetMemoryLimit(name, limit) }},
		{g, `%q has a network`, `And "app" has a network`, "container",
			func(_ context.Context, name string) error { return w.sc.SetNetwork(name) }},
		{g, `%q restarts on failure`, `And "app" restarts on failure`, "container",
			func(_ context.Context, name string) error { return w.sc.RestartOnFailure(name) }},
		{g, `%q is ready when its log shows %q`, `And "app" is ready when its log shows "ready to accept connections"`, "container -",
			func(_ context.Context, name, text string) error { return w.sc.ReadyOnLog(name, text) }},
		{g, `%q is ready when %q succeeds`, `And "app" is ready when "redis-cli ping" succeeds`, "container -",
			func(_ context.Context, name, line string) error { return w.sc.ReadyOnCommand(name, line) }},
		{g, `%q is ready when port %q listens`, `And "app" is ready when port "5432" listens`, "container -",
			func(_ context.Context, name, port string) error { return w.sc.ReadyOnPort(name, port) }},
		{g, `%q is ready when healthy`, `And "app" is ready when healthy`, "container",
			func(_ context.Context, name string) error { return w.sc.ReadyWhenHealthy(name) }},
		{g, `%q may take %q to become ready`, `And "app" may take "3m" to become ready`, "container -",
			func(_ context.Context, name, d string) error { return w.sc.SetReadyTimeout(name, d) }},
	}
}
