package powerloss

import "syscall"

// Flags of renameat2(2).
const (
	renameNoReplace = 1 << 0
	renameExchange  = 1 << 1
)

// rename moves the name oldName in oldDir to newName in newDir, as
// renameat2(2) does with flags.
func (s *fsys) rename(oldDir uint64, oldName string, newDir uint64, newName string, flags uint32) syscall.Errno {
	if flags&^(renameNoReplace|renameExchange) != 0 || flags == renameNoReplace|renameExchange {
		return syscall.EINVAL
	}
	src, errno := s.lookup(oldDir, oldName)
	if errno != 0 {
		return errno
	}
	q, errno := s.dir(newDir)
	if errno != 0 {
		return errno
	}
	p := s.live[oldDir]
	dst := s.live[q.entries[newName]]
	switch {
	case flags&renameExchange != 0:
		if dst == nil {
			return syscall.ENOENT
		}
		s.exchange(p, oldName, q, newName)
		return 0
	case dst == nil:
	case flags&renameNoReplace != 0:
		return syscall.EEXIST
	case dst == src:
		return 0
	case src.isDir() && !dst.isDir():
		return syscall.ENOTDIR
	case !src.isDir() && dst.isDir():
		return syscall.EISDIR
	case dst.isDir() && len(dst.entries) > 0:
		return syscall.ENOTEMPTY
	}
	if dst != nil {
		s.removeName(q, newName)
	}
	from := s.moveOut(loc{p.ino, oldName}, src.ino)
	delete(p.entries, oldName)
	q.entries[newName] = src.ino
	s.moveIn(from, loc{q.ino, newName})
	s.moved(src, q)
	s.touch(p)
	s.touch(q)
	return 0
}

// exchange swaps two names, as RENAME_EXCHANGE does.
func (s *fsys) exchange(p *node, a string, q *node, b string) {
	na, nb := s.live[p.entries[a]], s.live[q.entries[b]]
	fromA, fromB := s.moveOut(loc{p.ino, a}, na.ino), s.moveOut(loc{q.ino, b}, nb.ino)
	p.entries[a], q.entries[b] = nb.ino, na.ino
	fromA.swap, fromB.swap = true, true
	s.moveIn(fromA, loc{q.ino, b})
	s.moveIn(fromB, loc{p.ino, a})
	s.moved(na, q)
	s.moved(nb, p)
	s.touch(p)
	s.touch(q)
}

// moveOut returns where the inode named at l has its durable name, as
// far as pending renames tell: at l itself, or where a rename not yet
// committed took it from.
func (s *fsys) moveOut(l loc, ino uint64) move {
	if m, ok := s.moves[l]; ok && m.ino == ino {
		delete(s.moves, l)
		m.swap = false
		return m
	}
	return move{from: l, ino: ino}
}

// moveIn notes that the inode whose durable name is at m.from is now
// named at l. A rename within one folder needs no note: committing that
// folder commits both of its halves.
func (s *fsys) moveIn(m move, l loc) {
	if m.from.dir != l.dir {
		s.moves[l] = m
	}
}

// moved updates what a renamed inode knows of where it lives.
func (s *fsys) moved(n, into *node) {
	if n.isDir() {
		n.parent = into.ino
	}
	n.Ctime = s.stamp()
	s.changed(n)
}
