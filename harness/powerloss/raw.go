package powerloss

import (
	"syscall"
	"time"

	"github.com/hanwen/go-fuse/v2/fuse"
)

// raw serves fsys over FUSE: each request takes the lock, asks the model
// and answers. Inode numbers are the FUSE node IDs; they are never reused,
// so the kernel can never confuse two inodes.
type raw struct {
	fuse.RawFileSystem
	s *fsys
}

var _ fuse.RawFileSystem = (*raw)(nil)

// cacheTimeout is how long the kernel may trust what it was told of a
// name or attributes. Every change goes through the kernel, which keeps
// its caches right by itself; a cut remounts, which empties them.
const cacheTimeout = time.Second

func newRaw(s *fsys) *raw { return &raw{RawFileSystem: fuse.NewDefaultRawFileSystem(), s: s} }

func (r *raw) String() string { return fsType }

func status(errno syscall.Errno) fuse.Status { return fuse.Status(errno) }

func (r *raw) fillAttr(n *node, a *fuse.Attr) {
	a.Ino = n.ino
	a.Mode = n.Mode
	a.Owner = fuse.Owner{Uid: n.UID, Gid: n.GID}
	a.Rdev = n.Rdev
	a.Nlink = n.nlink
	if n.isDir() {
		a.Nlink = 1 // as btrfs: tools then do not count subfolders from it
	}
	switch {
	case n.data != nil:
		a.Size = uint64(n.data.size)
	case n.isDir():
		a.Size = 4096
	default:
		a.Size = uint64(len(n.target))
	}
	a.Blocks = (a.Size + 511) / 512
	a.Blksize = 4096
	a.Atime, a.Atimensec = split(n.Atime)
	a.Mtime, a.Mtimensec = split(n.Mtime)
	a.Ctime, a.Ctimensec = split(n.Ctime)
}

func split(ns int64) (uint64, uint32) { return uint64(ns / 1e9), uint32(ns % 1e9) }

// entry answers a request that hands the kernel a reference to n.
func (r *raw) entry(n *node, out *fuse.EntryOut) {
	n.lookups++
	out.NodeId = n.ino
	out.SetEntryTimeout(cacheTimeout)
	out.SetAttrTimeout(cacheTimeout)
	r.fillAttr(n, &out.Attr)
}

func (r *raw) Lookup(_ <-chan struct{}, h *fuse.InHeader, name string, out *fuse.EntryOut) fuse.Status {
	r.s.mu.Lock()
	defer r.s.mu.Unlock()
	n, errno := r.s.lookup(h.NodeId, name)
	if errno != 0 {
		return status(errno)
	}
	r.entry(n, out)
	return fuse.OK
}

func (r *raw) Forget(ino, nlookup uint64) {
	r.s.mu.Lock()
	defer r.s.mu.Unlock()
	if n := r.s.live[ino]; n != nil {
		n.lookups -= min(n.lookups, nlookup)
		r.s.release(n)
	}
}

func (r *raw) GetAttr(_ <-chan struct{}, in *fuse.GetAttrIn, out *fuse.AttrOut) fuse.Status {
	r.s.mu.Lock()
	defer r.s.mu.Unlock()
	n, errno := r.s.node(in.NodeId)
	if errno != 0 {
		return status(errno)
	}
	out.SetTimeout(cacheTimeout)
	r.fillAttr(n, &out.Attr)
	return fuse.OK
}

func (r *raw) SetAttr(_ <-chan struct{}, in *fuse.SetAttrIn, out *fuse.AttrOut) fuse.Status {
	r.s.mu.Lock()
	defer r.s.mu.Unlock()
	var c setattr
	v := in.Valid
	if v&fuse.FATTR_MODE != 0 {
		c.mode = &in.Mode
	}
	if v&fuse.FATTR_UID != 0 {
		c.uid = &in.Uid
	}
	if v&fuse.FATTR_GID != 0 {
		c.gid = &in.Gid
	}
	if v&fuse.FATTR_SIZE != 0 {
		size := int64(in.Size)
		c.size = &size
	}
	now := r.s.stamp()
	atime, mtime, ctime := int64(in.Atime)*1e9+int64(in.Atimensec), int64(in.Mtime)*1e9+int64(in.Mtimensec), int64(in.Ctime)*1e9+int64(in.Ctimensec)
	switch {
	case v&fuse.FATTR_ATIME_NOW != 0:
		c.atime = &now
	case v&fuse.FATTR_ATIME != 0:
		c.atime = &atime
	}
	switch {
	case v&fuse.FATTR_MTIME_NOW != 0:
		c.mtime = &now
	case v&fuse.FATTR_MTIME != 0:
		c.mtime = &mtime
	}
	if v&fuse.FATTR_CTIME != 0 {
		c.ctime = &ctime
	}
	n, errno := r.s.setattr(in.NodeId, c)
	if errno != 0 {
		return status(errno)
	}
	if v&fuse.FATTR_KILL_SUIDGID != 0 && c.mode == nil {
		n.Mode &^= syscall.S_ISUID | syscall.S_ISGID
	}
	out.SetTimeout(cacheTimeout)
	r.fillAttr(n, &out.Attr)
	return fuse.OK
}

func (r *raw) newEntry(h *fuse.InHeader, name string, mode, rdev uint32, target string, out *fuse.EntryOut) fuse.Status {
	r.s.mu.Lock()
	defer r.s.mu.Unlock()
	a := attrs{Mode: mode, UID: h.Uid, GID: h.Gid, Rdev: rdev}
	n, errno := r.s.create(h.NodeId, name, a, target)
	if errno != 0 {
		return status(errno)
	}
	r.entry(n, out)
	return fuse.OK
}

func (r *raw) Mknod(_ <-chan struct{}, in *fuse.MknodIn, name string, out *fuse.EntryOut) fuse.Status {
	switch in.Mode & syscall.S_IFMT {
	case syscall.S_IFREG, syscall.S_IFIFO, syscall.S_IFSOCK, syscall.S_IFCHR, syscall.S_IFBLK:
	default:
		return fuse.EINVAL
	}
	return r.newEntry(&in.InHeader, name, in.Mode, in.Rdev, "", out)
}

func (r *raw) Mkdir(_ <-chan struct{}, in *fuse.MkdirIn, name string, out *fuse.EntryOut) fuse.Status {
	return r.newEntry(&in.InHeader, name, syscall.S_IFDIR|in.Mode&07777, 0, "", out)
}

func (r *raw) Symlink(_ <-chan struct{}, h *fuse.InHeader, target, name string, out *fuse.EntryOut) fuse.Status {
	return r.newEntry(h, name, syscall.S_IFLNK|0o777, 0, target, out)
}

func (r *raw) Readlink(_ <-chan struct{}, h *fuse.InHeader) ([]byte, fuse.Status) {
	r.s.mu.Lock()
	defer r.s.mu.Unlock()
	n, errno := r.s.node(h.NodeId)
	if errno != 0 {
		return nil, status(errno)
	}
	if n.Mode&syscall.S_IFMT != syscall.S_IFLNK {
		return nil, fuse.EINVAL
	}
	return []byte(n.target), fuse.OK
}

func (r *raw) Unlink(_ <-chan struct{}, h *fuse.InHeader, name string) fuse.Status {
	r.s.mu.Lock()
	defer r.s.mu.Unlock()
	return status(r.s.unlink(h.NodeId, name))
}

func (r *raw) Rmdir(_ <-chan struct{}, h *fuse.InHeader, name string) fuse.Status {
	r.s.mu.Lock()
	defer r.s.mu.Unlock()
	return status(r.s.rmdir(h.NodeId, name))
}

func (r *raw) Rename(_ <-chan struct{}, in *fuse.RenameIn, oldName, newName string) fuse.Status {
	r.s.mu.Lock()
	defer r.s.mu.Unlock()
	return status(r.s.rename(in.NodeId, oldName, in.Newdir, newName, in.Flags))
}

func (r *raw) Link(_ <-chan struct{}, in *fuse.LinkIn, name string, out *fuse.EntryOut) fuse.Status {
	r.s.mu.Lock()
	defer r.s.mu.Unlock()
	n, errno := r.s.link(in.Oldnodeid, in.NodeId, name)
	if errno != 0 {
		return status(errno)
	}
	r.entry(n, out)
	return fuse.OK
}

func (r *raw) StatFs(_ <-chan struct{}, _ *fuse.InHeader, out *fuse.StatfsOut) fuse.Status {
	var st syscall.Statfs_t
	if err := syscall.Statfs(r.s.store.dir, &st); err != nil {
		return fuse.ToStatus(err)
	}
	out.FromStatfsT(&st)
	return fuse.OK
}
