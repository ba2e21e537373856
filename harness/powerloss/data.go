package powerloss

import "syscall"

// file returns the regular file ino.
func (s *fsys) file(ino uint64) (*node, syscall.Errno) {
	n, errno := s.node(ino)
	switch {
	case errno != 0:
		return nil, errno
	case n.isDir():
		return nil, syscall.EISDIR
	case n.data == nil:
		return nil, syscall.EINVAL
	}
	return n, 0
}

func (s *fsys) read(ino uint64, dst []byte, off int64) (int, syscall.Errno) {
	n, errno := s.file(ino)
	if errno != 0 {
		return 0, errno
	}
	got, err := n.data.read(dst, off)
	if err != nil {
		s.errs(err)
		return 0, syscall.EIO
	}
	return got, 0
}

// write lays p at off in the live file; it becomes durable with the
// file's next fsync.
func (s *fsys) write(ino uint64, p []byte, off int64) syscall.Errno {
	n, errno := s.file(ino)
	if errno != 0 {
		return errno
	}
	if off < 0 {
		return syscall.EINVAL
	}
	n.data.write(p, off)
	s.touch(n)
	l := &s.last
	if l.present && l.ino == ino && l.off+l.n == off {
		l.n += int64(len(p))
	} else {
		*l = run{ino: ino, off: off, n: int64(len(p)), present: true}
	}
	return 0
}

// truncate sets the live size of a file; like a write, it becomes durable
// with the file's next fsync.
func (s *fsys) truncate(ino uint64, size int64) syscall.Errno {
	n, errno := s.file(ino)
	if errno != 0 {
		return errno
	}
	if size < 0 {
		return syscall.EINVAL
	}
	n.data.truncate(size)
	s.touch(n)
	if l := &s.last; l.present && l.ino == ino {
		l.n = max(0, min(l.n, size-l.off))
	}
	return 0
}

// Modes of fallocate(2) that are served.
const (
	fallocKeepSize  = 0x01
	fallocPunchHole = 0x02
	fallocZeroRange = 0x10
)

// fallocate serves the modes of fallocate(2) whose effect a reader can
// see: allocating (growing the size unless asked to keep it), punching a
// hole and zeroing a range. Both of the latter read back as zeros, which
// is all the model needs; the change is pending like a write.
func (s *fsys) fallocate(ino uint64, off, length int64, mode uint32) syscall.Errno {
	n, errno := s.file(ino)
	if errno != 0 {
		return errno
	}
	if off < 0 || length <= 0 {
		return syscall.EINVAL
	}
	end := off + length
	switch mode &^ fallocKeepSize {
	case 0:
		if mode&fallocKeepSize == 0 && end > n.data.size {
			n.data.truncate(end)
			s.touch(n)
		}
		return 0
	case fallocPunchHole:
		if mode&fallocKeepSize == 0 {
			return syscall.EOPNOTSUPP
		}
		end = min(end, n.data.size)
	case fallocZeroRange:
		if mode&fallocKeepSize != 0 {
			end = min(end, n.data.size)
		}
	default:
		return syscall.EOPNOTSUPP
	}
	if end > off {
		n.data.write(make([]byte, end-off), off)
		s.touch(n)
	}
	return 0
}

// setattr is what chmod, chown, truncate and utimes change. Every change
// but the size is metadata: it becomes durable with the next commit.
type setattr struct {
	mode, uid, gid      *uint32
	size                *int64
	atime, mtime, ctime *int64
}

func (s *fsys) setattr(ino uint64, c setattr) (*node, syscall.Errno) {
	n, errno := s.node(ino)
	if errno != 0 {
		return nil, errno
	}
	if c.size != nil {
		if errno := s.truncate(ino, *c.size); errno != 0 {
			return nil, errno
		}
	}
	if c.mode != nil {
		n.Mode = n.Mode&syscall.S_IFMT | *c.mode&^syscall.S_IFMT
	}
	if c.uid != nil {
		n.UID = *c.uid
	}
	if c.gid != nil {
		n.GID = *c.gid
	}
	if c.atime != nil {
		n.Atime = *c.atime
	}
	if c.mtime != nil {
		n.Mtime = *c.mtime
	}
	n.Ctime = s.stamp()
	if c.ctime != nil {
		n.Ctime = *c.ctime
	}
	s.changed(n)
	return n, 0
}
