package docker

import (
	"context"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/moby/moby/api/types/container"
	"github.com/moby/moby/api/types/mount"
	"github.com/moby/moby/client"

	"github.com/persistcheck/persistcheck/harness"
)

// The canonical cycle of NOTES.md: create a volume; run a container with
// it; write one file into the volume and one into the container layer;
// SIGKILL; remove; run a new container on the same volume; read both;
// clean up. BenchmarkRawCycle does it straight on the Engine API, as a
// hand-written script would; BenchmarkHarnessCycle through the harness,
// with every check it makes. `make bench` prints the ratio.

func BenchmarkRawCycle(b *testing.B) {
	ctx := context.Background()
	img := builtinB(b)
	cli := engine.cli
	for b.Loop() {
		vol := "pc-bench-" + uuid.NewString()[:8]
		must(b, func() error { _, err := cli.VolumeCreate(ctx, client.VolumeCreateOptions{Name: vol}); return err }())
		run := func() string {
			init := true
			c, err := cli.ContainerCreate(ctx, client.ContainerCreateOptions{
				Config: &container.Config{Image: img},
				HostConfig: &container.HostConfig{Init: &init, Mounts: []mount.Mount{
					{Type: mount.TypeVolume, Source: vol, Target: "/data"},
				}},
			})
			must(b, err)
			_, err = cli.ContainerStart(ctx, c.ID, client.ContainerStartOptions{})
			must(b, err)
			return c.ID
		}
		exec := func(id string, argv ...string) {
			res, err := engine.Exec(ctx, id, argv)
			must(b, err)
			if res.ExitCode != 0 {
				b.Fatalf("%v: %s", argv, res.Stderr)
			}
		}
		first := run()
		exec(first, harness.AgentPath, "write", "/data/v", "volume")
		exec(first, harness.AgentPath, "write", "/var/l", "layer")
		_, err := cli.ContainerKill(ctx, first, client.ContainerKillOptions{Signal: "SIGKILL"})
		must(b, err)
		// With its volumes: the image's VOLUME would otherwise dangle, and the
		// harness removes it too when the scenario ends.
		_, err = cli.ContainerRemove(ctx, first, client.ContainerRemoveOptions{Force: true, RemoveVolumes: true})
		must(b, err)
		second := run()
		exec(second, harness.AgentPath, "read", "/data/v")
		exec(second, harness.AgentPath, "read", "/var/l")
		_, err = cli.ContainerRemove(ctx, second, client.ContainerRemoveOptions{Force: true, RemoveVolumes: true})
		must(b, err)
		_, err = cli.VolumeRemove(ctx, vol, client.VolumeRemoveOptions{Force: true})
		must(b, err)
	}
}

func BenchmarkHarnessCycle(b *testing.B) {
	ctx := context.Background()
	builtinB(b)
	run := harness.NewRun(engine, harness.RunOptions{})
	defer run.Close(ctx, false)
	for b.Loop() {
		s := run.Scenario("bench", harness.Source{Dir: "."})
		must(b, s.DeclareVolume("data"))
		must(b, s.DeclareContainer("app", harness.BuiltinImage))
		must(b, s.Mount("app", harness.Mount{Kind: harness.NamedVolume, Source: "data", Target: "/data"}))
		must(b, s.Inject(ctx, "app", harness.Launch()))
		must(b, s.WriteSentinels(ctx, "app", harness.SentinelAt{Name: "v", Path: "/data/v"}, harness.SentinelAt{Name: "l", Path: "/var/l"}))
		must(b, s.Inject(ctx, "app", harness.Kill(harness.SIGKILL, time.Second)))
		must(b, s.Inject(ctx, "app", harness.Remove(false)))
		must(b, s.Inject(ctx, "app", harness.LaunchAgain()))
		must(b, s.ExpectSentinels(ctx, "app",
			harness.SentinelState{Name: "v", State: harness.Intact}, harness.SentinelState{Name: "l", State: harness.Gone}))
		_, err := s.Close(ctx, false)
		must(b, err)
	}
}

func builtinB(b *testing.B) string {
	img, err := engine.Image(context.Background(), harness.BuiltinImage)
	must(b, err)
	return img.Ref
}

func must(b *testing.B, err error) {
	b.Helper()
	if err != nil {
		b.Fatal(err)
	}
}
