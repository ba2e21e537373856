package powerloss

import (
	"maps"
	"slices"
	"syscall"

	"github.com/hanwen/go-fuse/v2/fuse"
)

// Open handles hold nothing: every request names its inode, and the
// kernel keeps the page cache of a file across opens, as nothing but this
// mount changes it.

func (r *raw) Create(_ <-chan struct{}, in *fuse.CreateIn, name string, out *fuse.CreateOut) fuse.Status {
	r.s.mu.Lock()
	defer r.s.mu.Unlock()
	a := attrs{Mode: syscall.S_IFREG | in.Mode&07777, UID: in.Uid, GID: in.Gid}
	n, errno := r.s.create(in.NodeId, name, a, "")
	if errno != 0 {
		return status(errno)
	}
	r.entry(n, &out.EntryOut)
	n.opens++
	out.OpenFlags = fuse.FOPEN_KEEP_CACHE
	return fuse.OK
}

func (r *raw) Open(_ <-chan struct{}, in *fuse.OpenIn, out *fuse.OpenOut) fuse.Status {
	r.s.mu.Lock()
	defer r.s.mu.Unlock()
	n, errno := r.s.file(in.NodeId)
	if errno != 0 {
		return status(errno)
	}
	n.opens++
	out.OpenFlags = fuse.FOPEN_KEEP_CACHE
	return fuse.OK
}

func (r *raw) Release(_ <-chan struct{}, in *fuse.ReleaseIn) {
	r.s.mu.Lock()
	defer r.s.mu.Unlock()
	n := r.s.live[in.NodeId]
	if n == nil {
		return
	}
	n.opens--
	if n.opens == 0 && n.data != nil {
		if err := n.data.close(); err != nil {
			r.s.errs(err)
		}
	}
	r.s.release(n)
}

func (r *raw) Read(_ <-chan struct{}, in *fuse.ReadIn, buf []byte) (fuse.ReadResult, fuse.Status) {
	r.s.mu.Lock()
	defer r.s.mu.Unlock()
	got, errno := r.s.read(in.NodeId, buf[:min(len(buf), int(in.Size))], int64(in.Offset))
	if errno != 0 {
		return nil, status(errno)
	}
	return fuse.ReadResultData(buf[:got]), fuse.OK
}

func (r *raw) Write(_ <-chan struct{}, in *fuse.WriteIn, data []byte) (uint32, fuse.Status) {
	return r.Writev(nil, in, [][]byte{data})
}

func (r *raw) Writev(_ <-chan struct{}, in *fuse.WriteIn, data [][]byte) (uint32, fuse.Status) {
	r.s.mu.Lock()
	defer r.s.mu.Unlock()
	off := int64(in.Offset)
	for _, p := range data {
		if errno := r.s.write(in.NodeId, p, off); errno != 0 {
			return 0, status(errno)
		}
		off += int64(len(p))
	}
	return uint32(off - int64(in.Offset)), fuse.OK
}

// Flush is close(2): it makes nothing durable.
func (r *raw) Flush(_ <-chan struct{}, _ *fuse.FlushIn) fuse.Status { return fuse.OK }

// Fsync serves fsync(2) and fdatasync(2) alike.
func (r *raw) Fsync(_ <-chan struct{}, in *fuse.FsyncIn) fuse.Status {
	r.s.mu.Lock()
	defer r.s.mu.Unlock()
	return status(r.s.fsync(in.NodeId))
}

func (r *raw) Fallocate(_ <-chan struct{}, in *fuse.FallocateIn) fuse.Status {
	r.s.mu.Lock()
	defer r.s.mu.Unlock()
	return status(r.s.fallocate(in.NodeId, int64(in.Offset), int64(in.Length), in.Mode))
}

// OpenDir takes a listing of the folder as it is, for ReadDir to hand out
// by position.
func (r *raw) OpenDir(_ <-chan struct{}, in *fuse.OpenIn, out *fuse.OpenOut) fuse.Status {
	r.s.mu.Lock()
	defer r.s.mu.Unlock()
	d, errno := r.s.dir(in.NodeId)
	if errno != 0 {
		return status(errno)
	}
	list := []dent{{".", d.ino, syscall.S_IFDIR}, {"..", d.parent, syscall.S_IFDIR}}
	for _, name := range slices.Sorted(maps.Keys(d.entries)) {
		n := r.s.live[d.entries[name]]
		list = append(list, dent{name, n.ino, n.Mode})
	}
	r.s.nextFh++
	r.s.dirs[r.s.nextFh] = list
	out.Fh = r.s.nextFh
	return fuse.OK
}

func (r *raw) ReadDir(_ <-chan struct{}, in *fuse.ReadIn, out *fuse.DirEntryList) fuse.Status {
	r.s.mu.Lock()
	defer r.s.mu.Unlock()
	list, ok := r.s.dirs[in.Fh]
	if !ok {
		return fuse.EBADF
	}
	for i := in.Offset; i < uint64(len(list)); i++ {
		e := list[i]
		if !out.AddDirEntry(fuse.DirEntry{Name: e.name, Ino: e.ino, Mode: e.mode, Off: i + 1}) {
			break
		}
	}
	return fuse.OK
}

func (r *raw) ReleaseDir(in *fuse.ReleaseIn) {
	r.s.mu.Lock()
	defer r.s.mu.Unlock()
	delete(r.s.dirs, in.Fh)
}

func (r *raw) FsyncDir(_ <-chan struct{}, in *fuse.FsyncIn) fuse.Status {
	r.s.mu.Lock()
	defer r.s.mu.Unlock()
	return status(r.s.fsync(in.NodeId))
}
