package docker

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"strings"

	"github.com/moby/moby/client"

	"github.com/persistcheck/persistcheck/harness"
)

// Size-limited volumes are ext4 file systems in files on the engine's host,
// attached as loop devices, which the engine's local driver mounts: writes
// past the size fail with ENOSPC, as on a full disk. The volume's labels
// name its loop device and file, so that whoever removes the volume
// detaches and deletes them.
const (
	labelLoop     = "persistcheck.loop"
	labelLoopFile = "persistcheck.loop-file"
)

// sizedDir is where the file systems of size-limited volumes live: a
// folder per engine kind, so that a sweep of one engine, which releases
// the loop devices whose volumes it does not have, leaves the other's.
func (e *Engine) sizedDir() string {
	return filepath.Join(os.TempDir(), "persistcheck-volumes", e.identity.Kind)
}

// createSized creates a volume of size bytes on a loop device.
func (e *Engine) createSized(ctx context.Context, name string, size int64, labels map[string]string) (err error) {
	if os.Geteuid() != 0 {
		return harness.Errorf(harness.Infrastructure, "volume %s is limited in size, which needs a loop device, and persistcheck runs as uid %d, not root: run it as root on the engine's host", name, os.Geteuid())
	}
	if !e.local() {
		return harness.Errorf(harness.Infrastructure, "volume %s is limited in size, which needs a loop device on the engine's host, and the engine is elsewhere (%s)", name, e.cli.DaemonHost())
	}
	if err := os.MkdirAll(e.sizedDir(), 0o700); err != nil {
		return fail("create the folder of size-limited volumes", err)
	}
	file := filepath.Join(e.sizedDir(), name+".ext4")
	defer func() {
		if err != nil {
			os.Remove(file)
		}
	}()
	f, err := os.Create(file)
	if err == nil {
		err = errors.Join(f.Truncate(size), f.Close())
	}
	if err != nil {
		return fail("create the file system of volume "+name, err)
	}
	// No blocks reserved for root: the container's user, whoever it is, gets
	// the whole size.
	if out, err := exec.CommandContext(ctx, "mkfs.ext4", "-q", "-F", "-m", "0", file).CombinedOutput(); err != nil {
		return fail("make the file system of volume "+name, fmt.Errorf("mkfs.ext4: %v: %s", err, out))
	}
	out, err := exec.CommandContext(ctx, "losetup", "--find", "--show", file).CombinedOutput()
	if err != nil {
		return fail("attach the file system of volume "+name, fmt.Errorf("losetup: %v: %s", err, out))
	}
	dev := strings.TrimSpace(string(out))
	defer func() {
		if err != nil {
			exec.Command("losetup", "-d", dev).Run()
		}
	}()
	// An empty volume is seeded from the image and takes the ownership of
	// the folder it is mounted over, as any volume does; lost+found would
	// make it not empty.
	if err := removeLostFound(dev); err != nil {
		return fail("prepare volume "+name, err)
	}
	l := maps.Clone(labels)
	l[labelLoop], l[labelLoopFile] = dev, file
	_, err = e.cli.VolumeCreate(ctx, client.VolumeCreateOptions{
		Name: name, Driver: "local", Labels: l,
		DriverOpts: map[string]string{"type": "ext4", "device": dev},
	})
	return fail("create volume "+name, err)
}

// removeLostFound mounts the file system on dev for a moment to remove its
// lost+found folder.
func removeLostFound(dev string) error {
	dir, err := os.MkdirTemp("", "persistcheck-mnt-")
	if err != nil {
		return err
	}
	defer os.Remove(dir)
	if out, err := exec.Command("mount", dev, dir).CombinedOutput(); err != nil {
		return fmt.Errorf("mount %s: %v: %s", dev, err, out)
	}
	rmErr := os.Remove(filepath.Join(dir, "lost+found"))
	if out, err := exec.Command("umount", dir).CombinedOutput(); err != nil {
		return fmt.Errorf("umount %s: %v: %s", dir, err, out)
	}
	return rmErr
}

// releaseLoop detaches the loop device of a removed volume, by its labels,
// and deletes its file.
func releaseLoop(labels map[string]string) error {
	dev, file := labels[labelLoop], labels[labelLoopFile]
	if dev == "" {
		return nil
	}
	var errs []error
	if out, err := exec.Command("losetup", "-d", dev).CombinedOutput(); err != nil && !strings.Contains(string(out), "No such device") {
		errs = append(errs, fmt.Errorf("detach %s: %v: %s", dev, err, strings.TrimSpace(string(out))))
	}
	if err := os.Remove(file); err != nil && !errors.Is(err, os.ErrNotExist) {
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}

// sweepLoops detaches the loop devices of size-limited volumes that no
// longer exist, and deletes their files: what a run that died between
// removing a volume and detaching its device left.
func (e *Engine) sweepLoops(ctx context.Context) ([]string, error) {
	out, err := exec.CommandContext(ctx, "losetup", "--json", "--list").Output()
	if err != nil || len(out) == 0 {
		return nil, nil // no loop devices, or no losetup: nothing of ours
	}
	var list struct {
		Loops []struct {
			Name string `json:"name"`
			File string `json:"back-file"`
		} `json:"loopdevices"`
	}
	if err := json.Unmarshal(out, &list); err != nil {
		return nil, fmt.Errorf("losetup --json: %w", err)
	}
	var removed []string
	var errs []error
	for _, l := range list.Loops {
		file := strings.TrimSuffix(l.File, " (deleted)")
		if filepath.Dir(file) != e.sizedDir() {
			continue
		}
		name := strings.TrimSuffix(filepath.Base(file), ".ext4")
		if _, err := e.cli.VolumeInspect(ctx, name, client.VolumeInspectOptions{}); err == nil {
			continue // its volume still exists: its remover releases it
		}
		if err := releaseLoop(map[string]string{labelLoop: l.Name, labelLoopFile: file}); err != nil {
			errs = append(errs, err)
			continue
		}
		removed = append(removed, "loop device "+l.Name+" of volume "+name)
	}
	return removed, errors.Join(errs...)
}
