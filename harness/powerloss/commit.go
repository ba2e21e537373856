package powerloss

import (
	"errors"
	"maps"
	"slices"
	"syscall"
)

// tx gathers the records one commit changes, to journal them at once.
type tx struct {
	set  map[uint64]bool
	del  map[uint64]bool
	errs []error
}

func (s *fsys) begin() *tx { return &tx{set: map[uint64]bool{}, del: map[uint64]bool{}} }

// end journals what t changed.
func (s *fsys) end(t *tx) error {
	ch := change{Next: s.next}
	for _, ino := range slices.Sorted(maps.Keys(t.set)) {
		if r := s.durable[ino]; r != nil {
			ch.Set = append(ch.Set, r)
		}
	}
	ch.Del = append(ch.Del, slices.Sorted(maps.Keys(t.del))...)
	if err := s.store.commit(ch); err != nil {
		t.errs = append(t.errs, err)
	}
	if s.store.written > compactAfter {
		if err := s.store.compact(s.durable, s.next); err != nil {
			t.errs = append(t.errs, err)
		}
	}
	if len(t.errs) > 0 {
		return t.errs[0]
	}
	return nil
}

// fsync commits what an fsync of ino makes durable: for a file, its bytes
// and attributes; for a folder in strict mode, its entries and attributes.
// In the default mode any fsync also commits every pending name and
// attribute, as a journal commit does.
func (s *fsys) fsync(ino uint64) syscall.Errno {
	n, errno := s.node(ino)
	if errno != 0 {
		return errno
	}
	t := s.begin()
	switch {
	case n.data != nil:
		if err := s.commitData(n, t); err != nil {
			t.errs = append(t.errs, err)
		}
	case n.isDir() && s.strict:
		s.commitEntries(n, t)
	}
	if !s.strict {
		s.commitAll(t)
	} else if !n.isDir() {
		s.commitAttrs(n, t)
	}
	if err := s.end(t); err != nil {
		s.errs(err)
		return syscall.EIO
	}
	return 0
}

// record returns n's durable record, making one from the live node if it
// has none yet: a new inode whose durable bytes, if it has any, are none.
func (s *fsys) record(n *node, t *tx) *record {
	r := s.durable[n.ino]
	if r != nil {
		return r
	}
	r = &record{Ino: n.ino, attrs: n.attrs, Target: n.target}
	if n.isDir() {
		r.Entries = map[string]uint64{}
	}
	s.durable[n.ino] = r
	t.set[n.ino] = true
	delete(t.del, n.ino)
	return r
}

// commitData makes n's bytes and size durable.
func (s *fsys) commitData(n *node, t *tx) error {
	if err := n.data.sync(); err != nil {
		return err
	}
	r := s.record(n, t)
	r.Size = n.data.durable
	t.set[n.ino] = true
	if s.last.ino == n.ino {
		s.last = run{}
	}
	return nil
}

// commitAttrs makes n's attributes durable, if it has a durable record.
func (s *fsys) commitAttrs(n *node, t *tx) {
	r := s.durable[n.ino]
	if r == nil {
		return
	}
	r.attrs = n.attrs
	t.set[n.ino] = true
	if !n.isDir() {
		delete(s.meta, n.ino)
	}
}

// commitEntries makes the live entries of folder d its durable ones. In
// strict mode, a name renamed out of d to another folder stays until that
// folder is committed, and committing d completes the renames into it by
// taking their old names out of the folders they left.
func (s *fsys) commitEntries(d *node, t *tx) {
	r := s.record(d, t)
	entries := maps.Clone(d.entries)
	kept := false
	for name, ino := range r.Entries {
		if _, ok := entries[name]; !ok && s.strict && s.movedAway(loc{d.ino, name}, ino) {
			entries[name] = ino
			kept = true
		}
	}
	for name, ino := range entries {
		if n := s.live[ino]; n != nil && s.durable[ino] == nil {
			s.record(n, t)
		}
		l := loc{d.ino, name}
		if m, ok := s.moves[l]; ok && m.ino == ino {
			delete(s.moves, l)
			back, ok := s.moves[m.from]
			switch {
			case m.from.dir == d.ino:
			case m.swap && ok && back.swap && back.from == l:
				// An exchange lands whole: the other inode takes the name
				// this one left.
				delete(s.moves, m.from)
				s.name(m.from, back.ino, t)
			default:
				s.unname(m.from, ino, t)
			}
		}
	}
	old := r.Entries
	r.Entries = entries
	r.attrs = d.attrs
	t.set[d.ino] = true
	for _, ino := range entries {
		s.dlinks[ino]++
	}
	for _, ino := range old {
		s.dlinks[ino]--
	}
	for _, ino := range old {
		s.collect(ino, t)
	}
	if !kept {
		delete(s.meta, d.ino)
	}
}

// movedAway reports whether the inode durably named at l was renamed into
// another folder that is not committed yet.
func (s *fsys) movedAway(l loc, ino uint64) bool {
	for to, m := range s.moves {
		if m.from == l && m.ino == ino && to.dir != l.dir {
			return true
		}
	}
	return false
}

// unname takes a durable name away, as committing a rename does at its
// source.
func (s *fsys) unname(l loc, ino uint64, t *tx) {
	r := s.durable[l.dir]
	if r == nil || r.Entries[l.name] != ino {
		return
	}
	delete(r.Entries, l.name)
	t.set[l.dir] = true
	s.dlinks[ino]--
	s.collect(ino, t)
}

// name names ino durably at l, in place of what was there.
func (s *fsys) name(l loc, ino uint64, t *tx) {
	r, n := s.durable[l.dir], s.live[ino]
	if r == nil || n == nil {
		return
	}
	s.record(n, t)
	old, had := r.Entries[l.name]
	r.Entries[l.name] = ino
	t.set[l.dir] = true
	s.dlinks[ino]++
	if had {
		s.dlinks[old]--
		s.collect(old, t)
	}
}

// commitAll makes every pending name and attribute durable, but no file's
// bytes: what a journal commit does in the default mode.
func (s *fsys) commitAll(t *tx) {
	for _, ino := range slices.Sorted(maps.Keys(s.meta)) {
		if n := s.live[ino]; n != nil && n.isDir() {
			s.commitEntries(n, t)
		}
	}
	clear(s.moves)
	for _, ino := range slices.Sorted(maps.Keys(s.meta)) {
		if n := s.live[ino]; n != nil {
			s.commitAttrs(n, t)
		}
	}
}

// collect deletes the durable record of ino, and its bytes, once no
// durable name and no live node refer to it; a folder's entries go with
// it.
func (s *fsys) collect(ino uint64, t *tx) {
	r := s.durable[ino]
	if r == nil || s.dlinks[ino] > 0 || s.live[ino] != nil || ino == rootIno {
		return
	}
	delete(s.durable, ino)
	delete(s.dlinks, ino)
	delete(t.set, ino)
	t.del[ino] = true
	if err := s.store.removeData(ino); err != nil {
		t.errs = append(t.errs, err)
	}
	for _, child := range r.Entries {
		s.dlinks[child]--
		s.collect(child, t)
	}
}

// shutdown makes everything pending durable, as a clean unmount does.
func (s *fsys) shutdown() error {
	t := s.begin()
	for _, ino := range slices.Sorted(maps.Keys(s.live)) {
		if n := s.live[ino]; n.data != nil && n.nlink > 0 {
			if err := s.commitData(n, t); err != nil {
				t.errs = append(t.errs, err)
			}
		}
	}
	s.commitAll(t)
	return errors.Join(s.end(t), s.reboot())
}
