package docker

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/uuid"
	"github.com/moby/moby/client"

	"github.com/persistcheck/persistcheck/harness"
)

// A size-limited volume is a file system of that size: writes past it fail
// with ENOSPC. Removing it, by label as cleanup does, detaches its loop
// device and deletes its file; a sweep releases a device whose volume is
// gone.
func TestSizedVolume(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("a size-limited volume needs root for its loop device")
	}
	ctx := ctxFor(t)
	labels := testLabels(t)
	vol := "pc-test-" + uuid.NewString()[:8]
	if err := engine.CreateVolume(ctx, vol, 8<<20, labels); err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(engine.sizedDir(), vol+".ext4")
	id := launch(t, harness.EngineSpec{
		Image: builtin(t).Ref, Labels: labels,
		Mounts: []harness.EngineMount{{Kind: harness.NamedVolume, Source: vol, Target: "/small"}},
	})
	res, err := engine.Exec(ctx, id, []string{harness.AgentPath, "fill", "/small"})
	if err != nil || res.ExitCode != 0 {
		t.Fatalf("fill: %v %s %s", err, res.Stdout, res.Stderr)
	}
	if !strings.Contains(string(res.Stdout), `"bytes":`) || strings.Contains(string(res.Stdout), `"bytes":0`) {
		t.Errorf("fill wrote %s, want some MiB before ENOSPC", res.Stdout)
	}
	res, _ = engine.Exec(ctx, id, []string{harness.AgentPath, "write", "/small/more", strings.Repeat("x", 64<<10)})
	if res.ExitCode == 0 || !strings.Contains(string(res.Stderr), "no space left") {
		t.Errorf("a write to the full volume: exit %d %s, want ENOSPC", res.ExitCode, res.Stderr)
	}
	if _, err := engine.RemoveLabelled(ctx, labels); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(file); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("after the volume was removed, its file %s: %v", file, err)
	}
	if out, _ := exec.Command("losetup", "-j", file).Output(); len(out) > 0 {
		t.Errorf("after the volume was removed, its loop device is attached: %s", out)
	}

	// A run that died after removing a volume, before releasing its device.
	vol2 := "pc-test-" + uuid.NewString()[:8]
	if err := engine.CreateVolume(ctx, vol2, 4<<20, labels); err != nil {
		t.Fatal(err)
	}
	if _, err := engine.cli.VolumeRemove(context.Background(), vol2, client.VolumeRemoveOptions{Force: true}); err != nil {
		t.Fatal(err)
	}
	removed, err := engine.sweepLoops(ctx)
	if err != nil || len(removed) != 1 || !strings.Contains(removed[0], vol2) {
		t.Errorf("sweepLoops removed %v, %v; want the device of %s", removed, err, vol2)
	}
}
