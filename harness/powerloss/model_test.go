package powerloss

import (
	"os"
	"syscall"
	"testing"
)

// The tests here drive the model directly, without FUSE and without root:
// sequences the kernel would be awkward to produce on demand.

// model is an fsys over a temporary store, with helpers that fail the
// test on an error.
type model struct {
	t testing.TB
	*fsys
}

func newModel(t testing.TB, strict bool) model {
	t.Helper()
	st, recs, next, err := openStore(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.close() })
	s, err := newFsys(st, recs, next, strict)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := s.takeFailed(); err != nil {
			t.Errorf("disk: %v", err)
		}
	})
	return model{t, s}
}

func (m model) ok(errno syscall.Errno) {
	m.t.Helper()
	if errno != 0 {
		m.t.Fatal(errno)
	}
}

// ino returns the inode at a path of names, 0 if there is none.
func (m model) ino(names ...string) uint64 {
	ino := uint64(rootIno)
	for _, name := range names {
		n, errno := m.lookup(ino, name)
		if errno != 0 {
			return 0
		}
		ino = n.ino
	}
	return ino
}

func (m model) mkdir(parent uint64, name string) uint64 {
	m.t.Helper()
	n, errno := m.create(parent, name, attrs{Mode: syscall.S_IFDIR | 0o755}, "")
	m.ok(errno)
	return n.ino
}

func (m model) file(parent uint64, name, data string) uint64 {
	m.t.Helper()
	n, errno := m.create(parent, name, attrs{Mode: syscall.S_IFREG | 0o644}, "")
	m.ok(errno)
	m.ok(m.write(n.ino, []byte(data), 0))
	return n.ino
}

func (m model) cut() CutReport {
	m.t.Helper()
	rep, err := m.fsys.cut(false)
	if err != nil {
		m.t.Fatal(err)
	}
	return rep
}

// TestStrictRenameChain: a file renamed from a to b then to c keeps its
// durable name in a until c is committed, whatever b does.
func TestStrictRenameChain(t *testing.T) {
	m := newModel(t, true)
	a, b, c := m.mkdir(rootIno, "a"), m.mkdir(rootIno, "b"), m.mkdir(rootIno, "c")
	m.ok(m.fsync(rootIno))
	f := m.file(a, "x", "data")
	m.ok(m.fsync(f))
	m.ok(m.fsync(a))
	m.ok(m.rename(a, "x", b, "y", 0))
	m.ok(m.rename(b, "y", c, "z", 0))
	m.ok(m.fsync(b))
	m.ok(m.fsync(a))
	if rep := m.cut(); m.ino("a", "x") != f || m.ino("c", "z") != 0 {
		t.Fatalf("before c is committed: a/x=%d c/z=%d, want the file at a/x (%v)", m.ino("a", "x"), m.ino("c", "z"), rep)
	}
	m.ok(m.rename(a, "x", b, "y", 0))
	m.ok(m.rename(b, "y", c, "z", 0))
	m.ok(m.fsync(c))
	m.cut()
	if m.ino("a", "x") != 0 || m.ino("c", "z") != f {
		t.Errorf("after c is committed: a/x=%d c/z=%d, want the file at c/z only", m.ino("a", "x"), m.ino("c", "z"))
	}
}

// TestStrictExchange: RENAME_EXCHANGE across folders is committed whole
// by an fsync of either folder.
func TestStrictExchange(t *testing.T) {
	m := newModel(t, true)
	a, b := m.mkdir(rootIno, "a"), m.mkdir(rootIno, "b")
	m.ok(m.fsync(rootIno))
	fx, fy := m.file(a, "x", "1"), m.file(b, "y", "2")
	m.ok(m.fsync(a))
	m.ok(m.fsync(b))
	m.ok(m.rename(a, "x", b, "y", renameExchange))
	if m.ino("a", "x") != fy || m.ino("b", "y") != fx {
		t.Fatal("the exchange did not swap the live names")
	}
	m.ok(m.fsync(b))
	m.cut()
	if m.ino("a", "x") != fy || m.ino("b", "y") != fx {
		t.Errorf("after committing b: a/x=%d b/y=%d, want %d and %d", m.ino("a", "x"), m.ino("b", "y"), fy, fx)
	}
}

// TestUnlinkedFileBytesGo: the durable bytes of a file whose removal is
// committed are deleted from the disk, not left behind.
func TestUnlinkedFileBytesGo(t *testing.T) {
	m := newModel(t, false)
	f := m.file(rootIno, "big", "bytes")
	m.ok(m.fsync(f))
	path := m.store.dataPath(f)
	if _, err := os.Stat(path); err != nil {
		t.Fatalf("no durable bytes after fsync: %v", err)
	}
	m.ok(m.unlink(rootIno, "big"))
	m.ok(m.fsync(rootIno))
	if _, err := os.Stat(path); !os.IsNotExist(err) {
		t.Errorf("the durable bytes of a removed file are still there: %v", err)
	}
	if len(m.durable) != 1 {
		t.Errorf("%d durable records left, want the root's only", len(m.durable))
	}
}

// TestRenameErrors: the errors of rename(2) that the kernel leaves to the
// file system.
func TestRenameErrors(t *testing.T) {
	m := newModel(t, false)
	d := m.mkdir(rootIno, "d")
	m.file(d, "inside", "")
	m.mkdir(rootIno, "empty")
	m.file(rootIno, "f", "")
	tests := []struct {
		from, to string
		flags    uint32
		want     syscall.Errno
	}{
		{"f", "d", 0, syscall.EISDIR},
		{"empty", "f", 0, syscall.ENOTDIR},
		{"empty", "d", 0, syscall.ENOTEMPTY},
		{"f", "empty", renameNoReplace, syscall.EEXIST},
		{"f", "missing", renameExchange, syscall.ENOENT},
		{"missing", "g", 0, syscall.ENOENT},
		{"f", "g", renameNoReplace | renameExchange, syscall.EINVAL},
	}
	for _, tt := range tests {
		if got := m.rename(rootIno, tt.from, rootIno, tt.to, tt.flags); got != tt.want {
			t.Errorf("rename %s %s (flags %d): %v, want %v", tt.from, tt.to, tt.flags, got, tt.want)
		}
	}
}
