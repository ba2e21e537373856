package powerloss

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// mountT mounts a volume in a temporary folder, closed when the test ends,
// or skips the test where volumes cannot be served.
func mountT(t testing.TB, opts Options) *Volume {
	t.Helper()
	if err := Check(); err != nil {
		t.Skipf("power-loss volumes cannot be served here: %v", err)
	}
	dir := t.TempDir()
	v, err := Mount(filepath.Join(dir, "state"), filepath.Join(dir, "mnt"), opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := v.Close(); err != nil {
			t.Error(err)
		}
	})
	return v
}

// fsx wraps file operations on a volume so that a test reads as the
// sequence of system calls it makes.
type fsx struct {
	t    testing.TB
	root string
}

func (x fsx) p(name string) string { return filepath.Join(x.root, name) }

// write creates or truncates name, writes data and closes it, with an
// fsync before the close if sync.
func (x fsx) write(name, data string, sync bool) {
	x.t.Helper()
	x.writeFlags(name, data, sync, os.O_WRONLY|os.O_CREATE|os.O_TRUNC)
}

// appendTo appends data to name, with an fsync if sync.
func (x fsx) appendTo(name, data string, sync bool) {
	x.t.Helper()
	x.writeFlags(name, data, sync, os.O_WRONLY|os.O_CREATE|os.O_APPEND)
}

func (x fsx) writeFlags(name, data string, sync bool, flags int) {
	x.t.Helper()
	f, err := os.OpenFile(x.p(name), flags, 0o644)
	if err != nil {
		x.t.Fatal(err)
	}
	defer f.Close()
	if _, err := f.WriteString(data); err != nil {
		x.t.Fatal(err)
	}
	if sync {
		if err := f.Sync(); err != nil {
			x.t.Fatal(err)
		}
	}
	if err := f.Close(); err != nil {
		x.t.Fatal(err)
	}
}

// fsync opens name (a file or a folder) and fsyncs it.
func (x fsx) fsync(name string) {
	x.t.Helper()
	f, err := os.Open(x.p(name))
	if err != nil {
		x.t.Fatal(err)
	}
	defer f.Close()
	if err := f.Sync(); err != nil {
		x.t.Fatal(err)
	}
}

// read returns the content of name, or "<none>" if it does not exist.
func (x fsx) read(name string) string {
	x.t.Helper()
	b, err := os.ReadFile(x.p(name))
	if errors.Is(err, fs.ErrNotExist) {
		return none
	}
	if err != nil {
		x.t.Fatal(err)
	}
	return string(b)
}

const none = "<none>"

func (x fsx) must(err error) {
	x.t.Helper()
	if err != nil {
		x.t.Fatal(err)
	}
}

func (x fsx) mkdir(name string) { x.t.Helper(); x.must(os.Mkdir(x.p(name), 0o755)) }

func (x fsx) rename(from, to string) { x.t.Helper(); x.must(os.Rename(x.p(from), x.p(to))) }

func (x fsx) remove(name string) { x.t.Helper(); x.must(os.Remove(x.p(name))) }

func (x fsx) truncate(name string, size int64) {
	x.t.Helper()
	x.must(os.Truncate(x.p(name), size))
}

// cut cuts power to v and fails the test on an error.
func cut(t testing.TB, v *Volume, tear bool) CutReport {
	t.Helper()
	rep, err := v.Cut(tear)
	if err != nil {
		t.Fatal(err)
	}
	return rep
}

// cutWhileHeld cuts the power to v while something still holds it (an open
// file, a running container), which the cut must not wait for: a cut still
// blocked after a minute fails the test as waiting for what, rather than
// hanging until go test's own deadline.
func cutWhileHeld(t testing.TB, v *Volume, what string) {
	t.Helper()
	done := make(chan error, 1)
	go func() {
		_, err := v.Cut(false)
		done <- err
	}()
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(time.Minute):
		t.Fatalf("the cut has not returned after a minute: it waits for %s", what)
	}
}

// openToOthers lets every user through path and the temporary folders
// above it, as a test's folders are open to their owner only.
func openToOthers(t testing.TB, path string) {
	t.Helper()
	for p := path; p != os.TempDir() && p != "/"; p = filepath.Dir(p) {
		if err := os.Chmod(p, 0o755); err != nil {
			t.Fatal(err)
		}
	}
}
