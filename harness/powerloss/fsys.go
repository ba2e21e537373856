package powerloss

import (
	"errors"
	"sync"
	"syscall"
	"time"
)

// node is an inode as the live file system shows it.
type node struct {
	ino uint64
	attrs
	parent  uint64            // folders: the folder that names them
	target  string            // symbolic links
	entries map[string]uint64 // folders
	data    *content          // regular files
	nlink   uint32            // names in live folders
	lookups uint64            // references the kernel holds
	opens   int               // open handles
}

func (n *node) isDir() bool { return n.Mode&syscall.S_IFMT == syscall.S_IFDIR }

// loc is a name in a folder.
type loc struct {
	dir  uint64
	name string
}

// move is where a renamed inode's durable name was before a rename whose
// destination folder has not been committed yet.
type move struct {
	from loc
	ino  uint64
	swap bool // half of an exchange, whose other half is the move into from
}

// run is the last unsynced write, as a tear would cut it: writes that
// follow each other in one file make one run, as a large write the kernel
// splits does.
type run struct {
	ino     uint64
	off, n  int64
	present bool
}

// fsys is the power-loss file system: the live state the mount shows and
// the durable state a power cut would leave, both by inode. Its methods
// expect mu held: the FUSE layer, Cut and Close take it.
type fsys struct {
	mu      sync.Mutex
	strict  bool
	store   *store
	live    map[uint64]*node
	durable map[uint64]*record
	dlinks  map[uint64]int    // durable names of each inode
	meta    map[uint64]bool   // live nodes whose attributes or entries are not committed
	moves   map[loc]move      // renames across folders, by destination, until committed
	next    uint64            // next inode number; numbers are never reused
	last    run               // the last unsynced write
	failed  []error           // errors of the host's disk the kernel was answered EIO for
	dirs    map[uint64][]dent // open folder listings, by handle
	nextFh  uint64
}

// dent is one entry of a folder listing.
type dent struct {
	name string
	ino  uint64
	mode uint32
}

func newFsys(st *store, recs map[uint64]*record, next uint64, strict bool) (*fsys, error) {
	s := &fsys{
		strict:  strict,
		store:   st,
		durable: recs,
		next:    next,
		dirs:    map[uint64][]dent{},
	}
	if err := s.reboot(); err != nil {
		return nil, err
	}
	return s, nil
}

func (s *fsys) stamp() int64 { return time.Now().UnixNano() }

// errs keeps an error of the host's disk for Cut or Close to report: the
// application only saw EIO, which must not pass for a finding about it.
func (s *fsys) errs(err error) {
	if err != nil && len(s.failed) < 10 {
		s.failed = append(s.failed, err)
	}
}

// takeFailed returns the disk errors kept since the last call.
func (s *fsys) takeFailed() error {
	err := errors.Join(s.failed...)
	s.failed = nil
	return err
}

func (s *fsys) node(ino uint64) (*node, syscall.Errno) {
	n := s.live[ino]
	if n == nil {
		return nil, syscall.ENOENT
	}
	return n, 0
}

func (s *fsys) dir(ino uint64) (*node, syscall.Errno) {
	n, errno := s.node(ino)
	if errno == 0 && !n.isDir() {
		return nil, syscall.ENOTDIR
	}
	return n, errno
}

func (s *fsys) lookup(parent uint64, name string) (*node, syscall.Errno) {
	p, errno := s.dir(parent)
	if errno != 0 {
		return nil, errno
	}
	ino, ok := p.entries[name]
	if !ok {
		return nil, syscall.ENOENT
	}
	return s.node(ino)
}

// changed marks n's attributes or entries as not yet committed.
func (s *fsys) changed(n *node) { s.meta[n.ino] = true }

// touch records a change of n's content: entries of a folder, bytes of a
// file.
func (s *fsys) touch(n *node) {
	n.Mtime = s.stamp()
	n.Ctime = n.Mtime
	s.changed(n)
}

// create makes a new inode named name in parent. The caller's attributes
// a are adjusted as a folder with the set-group-ID bit asks.
func (s *fsys) create(parent uint64, name string, a attrs, target string) (*node, syscall.Errno) {
	p, errno := s.dir(parent)
	if errno != 0 {
		return nil, errno
	}
	if _, ok := p.entries[name]; ok {
		return nil, syscall.EEXIST
	}
	if p.Mode&syscall.S_ISGID != 0 {
		a.GID = p.GID
		if a.Mode&syscall.S_IFMT == syscall.S_IFDIR {
			a.Mode |= syscall.S_ISGID
		}
	}
	a.Atime, a.Mtime, a.Ctime = s.stamp(), s.stamp(), s.stamp()
	n := &node{ino: s.next, attrs: a}
	s.next++
	switch a.Mode & syscall.S_IFMT {
	case syscall.S_IFDIR:
		n.entries, n.parent = map[string]uint64{}, p.ino
	case syscall.S_IFREG:
		n.data = newContent(s.store.dataPath(n.ino), 0)
	case syscall.S_IFLNK:
		n.target = target
	}
	s.live[n.ino] = n
	s.changed(n)
	s.addName(p, name, n)
	return n, 0
}

func (s *fsys) addName(p *node, name string, n *node) {
	p.entries[name] = n.ino
	n.nlink++
	s.touch(p)
}

// removeName takes name out of folder p; the inode it named goes when
// nothing refers to it any more.
func (s *fsys) removeName(p *node, name string) {
	n := s.live[p.entries[name]]
	delete(p.entries, name)
	delete(s.moves, loc{p.ino, name})
	s.touch(p)
	n.nlink--
	if n.isDir() {
		n.nlink = 0
	}
	n.Ctime = s.stamp()
	s.changed(n)
	s.release(n)
}

// release forgets n once it has no name, no open handle and the kernel
// holds no reference. Its durable record goes with it if no durable name
// is left either.
func (s *fsys) release(n *node) {
	if n.nlink > 0 || n.lookups > 0 || n.opens > 0 || n.ino == rootIno {
		return
	}
	delete(s.live, n.ino)
	delete(s.meta, n.ino)
	if n.data != nil {
		n.data.drop()
		if err := n.data.close(); err != nil {
			s.errs(err)
		}
	}
	if s.last.ino == n.ino {
		s.last = run{}
	}
	if s.durable[n.ino] != nil && s.dlinks[n.ino] == 0 {
		t := s.begin()
		s.collect(n.ino, t)
		s.errs(s.end(t))
	}
}

func (s *fsys) unlink(parent uint64, name string) syscall.Errno {
	n, errno := s.lookup(parent, name)
	if errno != 0 {
		return errno
	}
	if n.isDir() {
		return syscall.EISDIR
	}
	s.removeName(s.live[parent], name)
	return 0
}

func (s *fsys) rmdir(parent uint64, name string) syscall.Errno {
	n, errno := s.lookup(parent, name)
	if errno != 0 {
		return errno
	}
	if !n.isDir() {
		return syscall.ENOTDIR
	}
	if len(n.entries) > 0 {
		return syscall.ENOTEMPTY
	}
	s.removeName(s.live[parent], name)
	return 0
}

func (s *fsys) link(ino, parent uint64, name string) (*node, syscall.Errno) {
	n, errno := s.node(ino)
	if errno != 0 {
		return nil, errno
	}
	if n.isDir() {
		return nil, syscall.EPERM
	}
	p, errno := s.dir(parent)
	if errno != 0 {
		return nil, errno
	}
	if _, ok := p.entries[name]; ok {
		return nil, syscall.EEXIST
	}
	s.addName(p, name, n)
	n.Ctime = s.stamp()
	return n, 0
}
