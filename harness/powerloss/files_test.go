package powerloss

import (
	"bytes"
	"crypto/sha256"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"strings"
	"syscall"
	"testing"

	"golang.org/x/sys/unix"
)

// TestMmap writes through a shared writable mapping, as SQLite does with
// its -shm file: msync makes the bytes durable, a mapping left dirty
// loses them.
func TestMmap(t *testing.T) {
	for _, msync := range []bool{true, false} {
		name := map[bool]string{true: "msync keeps the bytes", false: "no msync loses them"}[msync]
		t.Run(name, func(t *testing.T) {
			v := mountT(t, Options{})
			x := fsx{t, v.Path()}
			const size = 4 * 4096
			x.write("shm", string(make([]byte, size)), true)
			f, err := os.OpenFile(x.p("shm"), os.O_RDWR, 0)
			x.must(err)
			defer f.Close()
			mem, err := unix.Mmap(int(f.Fd()), 0, size, unix.PROT_READ|unix.PROT_WRITE, unix.MAP_SHARED)
			x.must(err)
			copy(mem[4096+10:], "mapped")
			if msync {
				x.must(unix.Msync(mem, unix.MS_SYNC))
			}
			x.must(unix.Munmap(mem))
			x.must(f.Close())
			if got := x.read("shm")[4096+10 : 4096+16]; got != "mapped" {
				t.Fatalf("a read through the mount finds %q before the cut, want the mapped bytes", got)
			}
			cut(t, v, false)
			got := x.read("shm")
			want := make([]byte, size)
			if msync {
				copy(want[4096+10:], "mapped")
			}
			if got != string(want) {
				t.Errorf("after the cut the file holds %q at the mapped bytes, want %q", got[4096+10:4096+16], want[4096+10:4096+16])
			}
		})
	}
}

// TestLargeFile writes a 24 MiB file, larger than a PostgreSQL WAL
// segment, in pieces, syncs it, overwrites part of it without syncing,
// and checks every byte after a cut.
func TestLargeFile(t *testing.T) {
	v := mountT(t, Options{})
	x := fsx{t, v.Path()}
	rng := rand.New(rand.NewPCG(1, 2))
	data := make([]byte, 24<<20)
	for i := range data {
		data[i] = byte(rng.Uint32())
	}
	f, err := os.Create(x.p("wal"))
	x.must(err)
	defer f.Close()
	for off := 0; off < len(data); off += 1 << 20 {
		_, err := f.WriteAt(data[off:off+1<<20], int64(off))
		x.must(err)
	}
	x.must(f.Sync())
	_, err = f.WriteAt(bytes.Repeat([]byte{'x'}, 3<<20), 5<<20)
	x.must(err)
	x.must(f.Close())
	rep := cut(t, v, false)
	got, err := os.ReadFile(x.p("wal"))
	x.must(err)
	if sha256.Sum256(got) != sha256.Sum256(data) {
		t.Errorf("after the cut the file differs from what was synced (%d bytes, want %d)", len(got), len(data))
	}
	if rep.Bytes != 3<<20 {
		t.Errorf("the cut reports %d bytes dropped, want %d", rep.Bytes, 3<<20)
	}
}

// TestLinks: hard links share an inode, symbolic links keep their target,
// both across a cut once committed.
func TestLinks(t *testing.T) {
	v := mountT(t, Options{})
	x := fsx{t, v.Path()}
	x.write("a", "shared", false)
	x.must(os.Link(x.p("a"), x.p("b")))
	x.must(os.Symlink("a", x.p("s")))
	x.fsync("a")
	x.must(os.Link(x.p("a"), x.p("c"))) // not committed
	cut(t, v, false)
	var sa, sb syscall.Stat_t
	x.must(syscall.Stat(x.p("a"), &sa))
	x.must(syscall.Stat(x.p("b"), &sb))
	if sa.Ino != sb.Ino || sa.Nlink != 2 {
		t.Errorf("a and b: inodes %d and %d, %d links; want one inode with 2 links", sa.Ino, sb.Ino, sa.Nlink)
	}
	if target, err := os.Readlink(x.p("s")); err != nil || target != "a" {
		t.Errorf("s points to %q (%v), want a", target, err)
	}
	if got := x.read("s"); got != "shared" {
		t.Errorf("reading through s gives %q", got)
	}
	if got := x.read("c"); got != none {
		t.Errorf("c holds %q, want the uncommitted link gone", got)
	}
}

// TestSyncReachesNothing pins down what sync(2) and syncfs(2) do on this
// kernel: FUSE_SYNCFS goes to virtiofs only, so they make nothing durable
// here (see the package documentation).
func TestSyncReachesNothing(t *testing.T) {
	v := mountT(t, Options{})
	x := fsx{t, v.Path()}
	x.write("f", "old", true)
	x.write("f", "new", false)
	syscall.Sync()
	f, err := os.Open(x.p("f"))
	x.must(err)
	x.must(unix.Syncfs(int(f.Fd())))
	f.Close()
	cut(t, v, false)
	if got := x.read("f"); got != "old" {
		t.Errorf("after sync, syncfs and a cut f holds %q; if the kernel now sends FUSE_SYNCFS, the model must serve it", got)
	}
}

// TestFallocate: allocating grows the file, punching a hole zeroes bytes;
// both are pending like writes.
func TestFallocate(t *testing.T) {
	v := mountT(t, Options{})
	x := fsx{t, v.Path()}
	x.write("f", "abcdefgh", true)
	f, err := os.OpenFile(x.p("f"), os.O_RDWR, 0)
	x.must(err)
	defer f.Close()
	x.must(unix.Fallocate(int(f.Fd()), unix.FALLOC_FL_PUNCH_HOLE|unix.FALLOC_FL_KEEP_SIZE, 2, 3))
	x.must(unix.Fallocate(int(f.Fd()), 0, 0, 12))
	got, err := io.ReadAll(f)
	x.must(err)
	if want := "ab\x00\x00\x00fgh\x00\x00\x00\x00"; string(got) != want {
		t.Errorf("after fallocate the file holds %q, want %q", got, want)
	}
	x.must(f.Close())
	cut(t, v, false)
	if got := x.read("f"); got != "abcdefgh" {
		t.Errorf("after the cut f holds %q, want the synced bytes", got)
	}
}

// TestConcurrentWriters: several processes' worth of writers at once, each
// in its own folder, some syncing, some not; the server answers them in
// parallel, and the cut keeps exactly what each synced.
func TestConcurrentWriters(t *testing.T) {
	v := mountT(t, Options{})
	x := fsx{t, v.Path()}
	const writers, records = 6, 40
	done := make(chan error, writers)
	for w := range writers {
		dir := fmt.Sprintf("w%d", w)
		x.mkdir(dir)
		go func() {
			f, err := os.OpenFile(x.p(dir+"/log"), os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o644)
			if err != nil {
				done <- err
				return
			}
			defer f.Close()
			for r := range records {
				if _, err := fmt.Fprintf(f, "%d\n", r); err != nil {
					done <- err
					return
				}
				if w%2 == 0 {
					if err := f.Sync(); err != nil {
						done <- err
						return
					}
				}
			}
			done <- f.Close()
		}()
	}
	for range writers {
		x.must(<-done)
	}
	x.fsync(".")
	cut(t, v, false)
	var all strings.Builder
	for r := range records {
		fmt.Fprintf(&all, "%d\n", r)
	}
	for w := range writers {
		want := all.String()
		if w%2 == 1 {
			want = ""
		}
		if got := x.read(fmt.Sprintf("w%d/log", w)); got != want {
			t.Errorf("writer %d: %d bytes after the cut, want %d", w, len(got), len(want))
		}
	}
}
