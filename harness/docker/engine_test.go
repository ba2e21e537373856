package docker

import (
	"context"
	"fmt"
	"io/fs"
	"os"
	"slices"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"github.com/google/uuid"
	"github.com/moby/moby/client"

	"github.com/persistcheck/persistcheck/fixtures"
	"github.com/persistcheck/persistcheck/harness"
)

// These tests run on the local engine: real containers, real volumes.

var engine *Engine

func TestMain(m *testing.M) {
	ctx := context.Background()
	var err error
	engine, err = New(ctx, nil)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	code := m.Run()
	engine.Close()
	os.Exit(code)
}

// testLabels returns labels unique to the test and removes, when it ends,
// everything that carries them.
func testLabels(t *testing.T) map[string]string {
	labels := map[string]string{harness.LabelRun: "test-" + uuid.NewString(), harness.LabelOwner: harness.Owner()}
	t.Cleanup(func() {
		if _, err := engine.RemoveLabelled(context.Background(), labels); err != nil {
			t.Errorf("clean up: %v", err)
		}
	})
	return labels
}

func ctxFor(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	t.Cleanup(cancel)
	return ctx
}

// launch creates and starts a container from spec, labelled for the test.
func launch(t *testing.T, spec harness.EngineSpec) string {
	t.Helper()
	ctx := ctxFor(t)
	if spec.Labels == nil {
		spec.Labels = testLabels(t)
	}
	if spec.Name == "" {
		spec.Name = "pc-test-" + uuid.NewString()[:8]
	}
	spec.Init = true
	// As the harness does: the image's own volumes get labelled anonymous
	// volumes, so that none escapes cleanup.
	img, err := engine.inspect(ctx, spec.Image)
	if err != nil {
		t.Fatal(err)
	}
	for _, v := range img.Volumes {
		if !slices.ContainsFunc(spec.Mounts, func(m harness.EngineMount) bool { return m.Target == v }) {
			spec.Mounts = append(spec.Mounts, harness.EngineMount{Kind: harness.AnonymousVolume, Target: v, Labels: spec.Labels})
		}
	}
	id, err := engine.Create(ctx, spec)
	if err != nil {
		t.Fatal(err)
	}
	if err := engine.Start(ctx, id); err != nil {
		t.Fatal(err)
	}
	return id
}

func builtin(t *testing.T) harness.Image {
	t.Helper()
	img, err := engine.Image(ctxFor(t), harness.BuiltinImage)
	if err != nil {
		t.Fatal(err)
	}
	return img
}

func TestBuiltinImageHasTheAgentAndItsVolume(t *testing.T) {
	img := builtin(t)
	if !img.HasAgent || len(img.Volumes) != 1 || img.Volumes[0] != "/anon" {
		t.Errorf("image %+v: want the agent and the volume /anon", img)
	}
	if img.Ref != builtinTag() {
		t.Errorf("ref %q, want %q", img.Ref, builtinTag())
	}
	again, err := engine.Image(ctxFor(t), harness.BuiltinImage+":latest")
	if err != nil || again.Ref != img.Ref {
		t.Errorf("%s:latest = %+v, %v; want the same image", harness.BuiltinImage, again, err)
	}
}

func TestMissingImageIsInfrastructureAndNothingIsPulled(t *testing.T) {
	_, err := engine.Image(ctxFor(t), "persistcheck/no-such-image:never")
	if harness.KindOf(err) != harness.Infrastructure || !strings.Contains(err.Error(), "never pulls") {
		t.Errorf("err = %v (%v), want an infrastructure error saying nothing is pulled", err, harness.KindOf(err))
	}
}

func TestTheAgentHonoursAGracefulStop(t *testing.T) {
	id := launch(t, harness.EngineSpec{Image: builtin(t).Ref})
	// Once ready, the agent handles SIGTERM (before, the signal's default
	// action ends it with code 143, which proves nothing).
	if err := engine.WaitLog(ctxFor(t), id, "persistcheck-agent: ready", 1); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	if err := engine.Stop(ctxFor(t), id, 10*time.Second); err != nil {
		t.Fatal(err)
	}
	// Not a timing assertion on speed, a check of behaviour: a stop that
	// needed the SIGKILL took the whole grace period and exits 137.
	st, err := engine.Inspect(ctxFor(t), id)
	if err != nil || st.State != "exited" || st.ExitCode != 0 {
		t.Errorf("after a stop: %+v, %v; want exited with code 0 (SIGTERM honoured, took %v)", st, err, time.Since(start))
	}
}

// Docker labels a mount's anonymous volume; Podman does not, and the engine
// records it instead when a removal leaves it dangling. Either way,
// Labelled finds it and RemoveLabelled removes it.
func TestAnonymousVolumesDangleAfterRemoveAndGoWithVolumes(t *testing.T) {
	labels := testLabels(t)
	volumes := func() []string {
		found, err := engine.Labelled(ctxFor(t), labels)
		if err != nil {
			t.Fatal(err)
		}
		return slices.DeleteFunc(found, func(s string) bool { return !strings.HasPrefix(s, "volume ") })
	}
	for _, withVolumes := range []bool{false, true} {
		id := launch(t, harness.EngineSpec{
			Image:  builtin(t).Ref,
			Labels: labels,
			Mounts: []harness.EngineMount{{Kind: harness.AnonymousVolume, Target: "/cache", Labels: labels}},
		})
		if err := engine.Remove(ctxFor(t), id, withVolumes); err != nil {
			t.Fatal(err)
		}
		// Two: /cache, and the image's VOLUME /anon.
		left := volumes()
		if want := map[bool]int{false: 2, true: 0}[withVolumes]; len(left) != want {
			t.Errorf("remove (volumes %v): %d volumes of the container remain (%v), want %d", withVolumes, len(left), left, want)
		}
		for _, v := range left {
			if _, err := engine.cli.VolumeInspect(ctxFor(t), strings.TrimPrefix(v, "volume "), client.VolumeInspectOptions{}); err != nil {
				t.Errorf("%s is said to dangle: %v", v, err)
			}
		}
		if _, err := engine.RemoveLabelled(ctxFor(t), labels); err != nil {
			t.Fatal(err)
		}
		if left := volumes(); len(left) > 0 {
			t.Errorf("after RemoveLabelled: %v remain", left)
		}
	}
}

func TestSettingsReachTheEngine(t *testing.T) {
	id := launch(t, harness.EngineSpec{
		Image:            builtin(t).Ref,
		Env:              []string{"MODE=strict"},
		MemoryLimit:      64 << 20,
		RestartOnFailure: true,
	})
	res, err := engine.cli.ContainerInspect(ctxFor(t), id, client.ContainerInspectOptions{})
	if err != nil {
		t.Fatal(err)
	}
	hc := res.Container.HostConfig
	if hc.Init == nil || !*hc.Init || hc.Memory != 64<<20 || hc.MemorySwap != 64<<20 || hc.RestartPolicy.Name != "on-failure" {
		t.Errorf("host config: init %v, memory %d, swap %d, restart %q", hc.Init, hc.Memory, hc.MemorySwap, hc.RestartPolicy.Name)
	}
	out, err := engine.Exec(ctxFor(t), id, []string{harness.AgentPath, "getenv", "MODE"})
	if err != nil || strings.TrimSpace(string(out.Stdout)) != "strict" {
		t.Errorf("getenv MODE: %+v, %v", out, err)
	}
}

func TestExecSeparatesStreamsAndReportsMissingExecutables(t *testing.T) {
	id := launch(t, harness.EngineSpec{Image: builtin(t).Ref})
	res, err := engine.Exec(ctxFor(t), id, []string{harness.AgentPath, "getenv", "NOT_SET"})
	if err != nil || res.ExitCode != 1 || len(res.Stdout) != 0 || !strings.Contains(string(res.Stderr), "NOT_SET is not set") {
		t.Errorf("failing command: %+v, %v; want exit 1 with the reason on stderr only", res, err)
	}
	_, err = engine.Exec(ctxFor(t), id, []string{"no-such-program"})
	if harness.KindOf(err) != harness.Invalid || !strings.Contains(err.Error(), "no-such-program") {
		t.Errorf("missing executable: %v, want an invalid-input error naming it", err)
	}
}

func TestReadFileOnAStoppedContainer(t *testing.T) {
	labels := testLabels(t)
	vol := "pc-test-" + uuid.NewString()[:8]
	if err := engine.CreateVolume(ctxFor(t), vol, 0, labels); err != nil {
		t.Fatal(err)
	}
	id := launch(t, harness.EngineSpec{
		Image: builtin(t).Ref, Labels: labels,
		Mounts: []harness.EngineMount{{Kind: harness.NamedVolume, Source: vol, Target: "/data"}},
	})
	for _, argv := range [][]string{
		{harness.AgentPath, "write", "/data/dir/f", "in the volume"},
		{harness.AgentPath, "write", "/var/f", "in the layer"},
	} {
		if res, err := engine.Exec(ctxFor(t), id, argv); err != nil || res.ExitCode != 0 {
			t.Fatalf("%v: %+v, %v", argv, res, err)
		}
	}
	if err := engine.Kill(ctxFor(t), id, harness.SIGKILL); err != nil {
		t.Fatal(err)
	}
	if err := engine.WaitStopped(ctxFor(t), id); err != nil {
		t.Fatal(err)
	}
	for path, want := range map[string]harness.File{
		"/data/dir/f":   {Exists: true, Kind: "file", Data: []byte("in the volume")},
		"/var/f":        {Exists: true, Kind: "file", Data: []byte("in the layer")},
		"/data/dir":     {Exists: true, Kind: "folder"},
		"/data/missing": {},
		"/var/f/below":  {}, // a file where a folder would be
	} {
		got, err := engine.ReadFile(ctxFor(t), id, path)
		if err != nil || got.Exists != want.Exists || got.Kind != want.Kind || string(got.Data) != string(want.Data) {
			t.Errorf("ReadFile(%s) = %+v, %v; want %+v", path, got, err, want)
		}
	}
}

func TestLogWaitsCountAndNoticeAnEarlyExit(t *testing.T) {
	id := launch(t, harness.EngineSpec{Image: builtin(t).Ref})
	ctx := ctxFor(t)
	if err := engine.WaitLog(ctx, id, "persistcheck-agent: ready", 1); err != nil {
		t.Fatal(err)
	}
	if err := engine.Restart(ctx, id, 10*time.Second); err != nil {
		t.Fatal(err)
	}
	if err := engine.WaitLog(ctx, id, "persistcheck-agent: ready", 2); err != nil {
		t.Fatal(err)
	}
	if n, err := engine.CountLog(ctx, id, "persistcheck-agent: ready"); err != nil || n != 2 {
		t.Errorf("CountLog = %d, %v; want 2, one per boot", n, err)
	}
	if err := engine.Stop(ctx, id, 10*time.Second); err != nil {
		t.Fatal(err)
	}
	err := engine.WaitLog(ctx, id, "persistcheck-agent: ready", 3)
	if harness.KindOf(err) != harness.Finding || !strings.Contains(err.Error(), "stopped") {
		t.Errorf("WaitLog on a stopped container = %v, want a finding that it stopped", err)
	}
	tail, err := engine.LogTail(ctx, id, 1)
	if err != nil || !strings.Contains(tail, "stopping on terminated") {
		t.Errorf("LogTail = %q, %v; want the agent's last line", tail, err)
	}
}

// foreign returns images that are not persistcheck's: one without a shell
// (a static server that is not the agent, at another path and unlabelled)
// and one with a shell, packed from this host's dash and coreutils.
func foreign(t *testing.T) map[string]harness.Image {
	t.Helper()
	agent, err := engine.agentBinary(ctxFor(t))
	if err != nil {
		t.Fatal(err)
	}
	noShell := fstest.MapFS{
		"server":     {Data: agent, Mode: 0o755},
		"Dockerfile": {Data: []byte("FROM scratch\nCOPY server /bin/server\nVOLUME /var/lib/server\nCMD [\"/bin/server\", \"serve\"]\n")},
	}
	shell, err := fixtures.HostImage(map[string]string{"/bin/sh": "/bin/sh", "/bin/sleep": "/bin/sleep", "/bin/cat": "/bin/cat"},
		`CMD ["/bin/sleep", "infinity"]`)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]harness.Image{}
	for name, dir := range map[string]fs.FS{"no shell": noShell, "shell": shell} {
		img, err := engine.Build(ctxFor(t), dir, "")
		if err != nil {
			t.Fatalf("build the image with %s: %v", name, err)
		}
		out[name] = img
	}
	return out
}

func TestTheAgentGoesIntoImagesWithoutIt(t *testing.T) {
	for name, img := range foreign(t) {
		t.Run(name, func(t *testing.T) {
			if img.HasAgent {
				t.Fatalf("%+v claims the agent", img)
			}
			id := launch(t, harness.EngineSpec{Image: img.Ref})
			if err := engine.InstallAgent(ctxFor(t), id); err != nil {
				t.Fatal(err)
			}
			res, err := engine.Exec(ctxFor(t), id, []string{harness.AgentPath, "write", "/srv/s", "sentinel"})
			if err != nil || res.ExitCode != 0 {
				t.Fatalf("write with the copied agent: %+v, %v", res, err)
			}
			f, err := engine.ReadFile(ctxFor(t), id, "/srv/s")
			if err != nil || string(f.Data) != "sentinel" {
				t.Errorf("read back %+v, %v", f, err)
			}
		})
	}
}

func TestBuildErrorsSayWhy(t *testing.T) {
	_, err := engine.Build(ctxFor(t), fstest.MapFS{"README": {Data: []byte("no Dockerfile")}}, "")
	if harness.KindOf(err) != harness.Invalid || !strings.Contains(err.Error(), "Dockerfile") {
		t.Errorf("no Dockerfile: %v, want an invalid-input error", err)
	}
	_, err = engine.Build(ctxFor(t), fstest.MapFS{"Dockerfile": {Data: []byte("FROM persistcheck/no-such-base:never\n")}}, "")
	if err == nil || !strings.Contains(err.Error(), "no-such-base") {
		t.Errorf("missing base image: %v, want an error naming it", err)
	}
}

func TestSweepRemovesOnlyTheDead(t *testing.T) {
	ctx := ctxFor(t)
	run := "test-" + uuid.NewString()
	dead := map[string]string{harness.LabelRun: run, harness.LabelOwner: "nowhere:1"}
	alive := map[string]string{harness.LabelRun: run, harness.LabelOwner: harness.Owner()}
	t.Cleanup(func() { engine.RemoveLabelled(context.Background(), map[string]string{harness.LabelRun: run}) })
	for _, labels := range []map[string]string{dead, alive} {
		if err := engine.CreateVolume(ctx, "pc-test-"+uuid.NewString()[:8], 0, labels); err != nil {
			t.Fatal(err)
		}
	}
	// Other runs may be live on this engine: only "nowhere:1" is dead.
	removed, err := engine.Sweep(ctx, func(owner string) bool { return owner != dead[harness.LabelOwner] })
	if err != nil {
		t.Fatal(err)
	}
	left, err := engine.cli.VolumeList(ctx, client.VolumeListOptions{Filters: labelFilter(map[string]string{harness.LabelRun: run})})
	if err != nil {
		t.Fatal(err)
	}
	if len(left.Items) != 1 || left.Items[0].Labels[harness.LabelOwner] != harness.Owner() {
		t.Errorf("after the sweep (removed %v): %d volumes left, want only the live one", removed, len(left.Items))
	}
}

func TestRunBesideSeesTheTmpfsOfAPausedContainer(t *testing.T) {
	labels := testLabels(t)
	id := launch(t, harness.EngineSpec{
		Image: builtin(t).Ref, Labels: labels,
		Mounts: []harness.EngineMount{{Kind: harness.Tmpfs, Target: "/scratch"}},
	})
	ctx := ctxFor(t)
	if res, err := engine.Exec(ctx, id, []string{harness.AgentPath, "write", "/scratch/s", "in memory"}); err != nil || res.ExitCode != 0 {
		t.Fatalf("write: %+v, %v", res, err)
	}
	if err := engine.Pause(ctx, id); err != nil {
		t.Fatal(err)
	}
	res, err := engine.RunBeside(ctx, id, []string{harness.AgentPath, "read", "/proc/1/root/scratch/s", "/proc/1/root/scratch/none"}, labels)
	if err != nil || res.ExitCode != 0 {
		t.Fatalf("RunBeside: %+v, %v", res, err)
	}
	out := string(res.Stdout)
	if !strings.Contains(out, `"data":"aW4gbWVtb3J5"`) || !strings.Contains(out, `"path":"/proc/1/root/scratch/none","exists":false`) {
		t.Errorf("beside the paused container the agent answered %s", out)
	}
	if st, err := engine.Inspect(ctx, id); err != nil || st.State != "paused" {
		t.Errorf("after the read: %+v, %v; want it still paused", st, err)
	}
	left, err := engine.Labelled(ctx, labels)
	containers := slices.DeleteFunc(left, func(s string) bool { return !strings.HasPrefix(s, "container ") })
	if err != nil || len(containers) != 1 {
		t.Errorf("labelled after the read: %v, %v; want no container but the paused one", left, err)
	}
}

// Storage that outlives its container is read through a helper that mounts
// it, and the read writes nothing: an empty volume is not seeded with the
// image's files.
func TestReadViaMountsWithoutSeeding(t *testing.T) {
	labels := testLabels(t)
	ctx := ctxFor(t)
	full, empty := "pc-test-"+uuid.NewString()[:8], "pc-test-"+uuid.NewString()[:8]
	for _, v := range []string{full, empty} {
		if err := engine.CreateVolume(ctx, v, 0, labels); err != nil {
			t.Fatal(err)
		}
	}
	id := launch(t, harness.EngineSpec{Image: builtin(t).Ref, Labels: labels,
		Mounts: []harness.EngineMount{{Kind: harness.NamedVolume, Source: full, Target: "/data"}}})
	if res, err := engine.Exec(ctx, id, []string{harness.AgentPath, "write", "/data/s", "kept"}); err != nil || res.ExitCode != 0 {
		t.Fatalf("write: %+v, %v", res, err)
	}
	if err := engine.Remove(ctx, id, true); err != nil {
		t.Fatal(err)
	}
	files, err := engine.ReadVia(ctx, []harness.EngineMount{
		{Kind: harness.NamedVolume, Source: full, Target: "/data"},
		{Kind: harness.NamedVolume, Source: empty, Target: "/seeded"},
	}, []string{"/data/s", "/seeded/version"}, labels)
	if err != nil {
		t.Fatal(err)
	}
	if string(files[0].Data) != "kept" || files[1].Exists {
		t.Errorf("ReadVia = %+v; want the volume's file, and nothing seeded into the empty one", files)
	}
	again, err := engine.ReadVia(ctx, []harness.EngineMount{{Kind: harness.NamedVolume, Source: empty, Target: "/data"}}, []string{"/data/version"}, labels)
	if err != nil || again[0].Exists {
		t.Errorf("the empty volume holds %+v, %v after a read; want nothing", again, err)
	}
	if left, _ := engine.Labelled(ctx, labels); len(left) != 2 {
		t.Errorf("labelled after the reads: %v; want the two volumes, no helper", left)
	}
}
