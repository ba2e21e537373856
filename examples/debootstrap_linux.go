package examples

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"time"
)

// make writes a tarball of the recipe's root file system to tarball. It
// runs debootstrap, which it installs with apt-get when it is missing, and
// so needs root and Debian's mirror.
func (r rootfs) make(ctx context.Context, tarball string) error {
	if os.Geteuid() != 0 {
		return errors.New("debootstrap needs root, and this process is not root: run it as root once, or `docker load` a " + Base + " saved elsewhere")
	}
	debootstrap, err := installDebootstrap(ctx)
	if err != nil {
		return err
	}
	work, err := os.MkdirTemp(filepath.Dir(tarball), "rootfs-")
	if err != nil {
		return err
	}
	defer removeTree(work)
	root := filepath.Join(work, "root")

	args := append(append([]string{}, r.Args...), r.Suite, root, r.Mirror)
	if out, err := run(ctx, debootstrap, args...); err != nil {
		log, _ := os.ReadFile(filepath.Join(root, "debootstrap", "debootstrap.log"))
		return fmt.Errorf("debootstrap %s: %w\n%s%s", strings.Join(args, " "), err, tail(out, 10), tail(log, 10))
	}
	if err := r.tidy(root); err != nil {
		return fmt.Errorf("tidy the root file system: %w", err)
	}
	// The engine makes /dev, /proc and /sys of every container: their
	// content here is debootstrap's business only.
	part := filepath.Join(work, "rootfs.tar")
	if out, err := run(ctx, "tar", "--numeric-owner", "--xattrs",
		"--exclude=./dev/*", "--exclude=./proc/*", "--exclude=./sys/*",
		"-C", root, "-cf", part, "."); err != nil {
		return fmt.Errorf("tar the root file system: %w\n%s", err, tail(out, 10))
	}
	return os.Rename(part, tarball)
}

// tidy removes what the recipe removes and writes its files.
func (r rootfs) tidy(root string) error {
	for _, glob := range r.Remove {
		matches, err := filepath.Glob(filepath.Join(root, glob))
		if err != nil {
			return err
		}
		for _, m := range matches {
			if err := os.RemoveAll(m); err != nil {
				return err
			}
		}
	}
	for _, f := range r.Files {
		p := filepath.Join(root, f.Path)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			return err
		}
		os.Remove(p) // a link must not be written through
		if err := os.WriteFile(p, []byte(f.Data), f.Mode); err != nil {
			return err
		}
		if err := os.Chmod(p, f.Mode); err != nil { // past the umask
			return err
		}
	}
	return nil
}

// installDebootstrap returns the path of debootstrap, installing Debian's
// package with apt-get when it is missing.
func installDebootstrap(ctx context.Context) (string, error) {
	find := func() (string, error) {
		if p, err := exec.LookPath("debootstrap"); err == nil {
			return p, nil
		}
		return exec.LookPath("/usr/sbin/debootstrap") // not on a user's PATH
	}
	if p, err := find(); err == nil {
		return p, nil
	}
	if _, err := exec.LookPath("apt-get"); err != nil {
		return "", errors.New("debootstrap is not installed, and there is no apt-get to install it with: install debootstrap")
	}
	// Another apt-get at work (the host's own, or a CI step) holds its
	// locks: wait for it rather than fail.
	wait := "-o=DPkg::Lock::Timeout=300"
	if out, err := run(ctx, "apt-get", wait, "update"); err != nil {
		return "", fmt.Errorf("debootstrap is not installed, and apt-get update failed: %w\n%s", err, tail(out, 10))
	}
	// The keyring checks what debootstrap downloads; Debian has it already,
	// other distributions may not.
	if out, err := run(ctx, "apt-get", wait, "install", "-y", "--no-install-recommends", "debootstrap", "debian-archive-keyring"); err != nil {
		return "", fmt.Errorf("debootstrap is not installed, and apt-get could not install it (is Debian's mirror reachable?): %w\n%s", err, tail(out, 10))
	}
	return find()
}

// run runs a command in a process group of its own, all of which is killed
// when ctx ends, and returns what it printed.
func run(ctx context.Context, name string, args ...string) ([]byte, error) {
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Env = append(os.Environ(), "DEBIAN_FRONTEND=noninteractive", "LC_ALL=C")
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	err := cmd.Run()
	if ctx.Err() != nil {
		err = ctx.Err()
	}
	return out.Bytes(), err
}

// tail returns the last n lines of out, indented.
func tail(out []byte, n int) string {
	lines := strings.Split(strings.TrimRight(string(out), "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	if len(lines) == 1 && lines[0] == "" {
		return ""
	}
	return "    " + strings.Join(lines, "\n    ") + "\n"
}

// removeTree removes dir after unmounting what a debootstrap that was
// killed may have left mounted under it (/proc, /sys), and leaves it in
// place if anything stays mounted: removing files through a mount would
// remove the host's.
func removeTree(dir string) error {
	for _, m := range mountsUnder(dir) {
		syscall.Unmount(m, syscall.MNT_DETACH)
	}
	if left := mountsUnder(dir); len(left) > 0 {
		return fmt.Errorf("left %s in place: %s still mounted under it", dir, strings.Join(left, ", "))
	}
	return os.RemoveAll(dir)
}

// mountsUnder lists the mount points under dir, deepest first.
func mountsUnder(dir string) []string {
	data, err := os.ReadFile("/proc/self/mountinfo")
	if err != nil {
		return nil
	}
	var found []string
	for _, line := range strings.Split(string(data), "\n") {
		fields := strings.Fields(line)
		if len(fields) < 5 {
			continue
		}
		p := unescapeMount(fields[4])
		if strings.HasPrefix(p, dir+"/") {
			found = append([]string{p}, found...)
		}
	}
	return found
}

// unescapeMount undoes mountinfo's octal escapes of space, tab, newline and
// backslash.
func unescapeMount(s string) string {
	r := strings.NewReplacer(`\040`, " ", `\011`, "\t", `\012`, "\n", `\134`, `\`)
	return r.Replace(s)
}

// lock takes an exclusive lock on the file at path, waiting while another
// process holds it, and returns its release.
func lock(ctx context.Context, path string, log io.Writer) (func(), error) {
	f, err := os.OpenFile(path, os.O_CREATE|os.O_RDWR, 0o644)
	if err != nil {
		return nil, err
	}
	waited := false
	for {
		err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB)
		if err == nil {
			return func() { f.Close() }, nil
		}
		if !errors.Is(err, syscall.EWOULDBLOCK) {
			f.Close()
			return nil, fmt.Errorf("lock %s: %w", path, err)
		}
		if !waited {
			fmt.Fprintf(log, "%-28s waiting for another process that is making it...\n", Base)
			waited = true
		}
		if err := sleep(ctx); err != nil {
			f.Close()
			return nil, err
		}
	}
}

// sleep waits a moment, or until ctx ends.
func sleep(ctx context.Context) error {
	t := time.NewTimer(500 * time.Millisecond)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
