package powerloss

import (
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strconv"
	"syscall"
)

// cut throws away everything not durable, tearing the last unsynced write
// first if asked, and reboots the live state from the durable one.
func (s *fsys) cut(tear bool) (CutReport, error) {
	var rep CutReport
	before, names := s.paths()
	for _, ino := range slices.Sorted(maps.Keys(s.live)) {
		n := s.live[ino]
		if n.data == nil || !n.data.dirty() || names[ino] == "" {
			continue
		}
		f := FileLoss{Path: names[ino], Bytes: n.data.pending.bytes(), Size: n.data.size, Durable: n.data.durable}
		rep.Files = append(rep.Files, f)
	}
	var errs []error
	if l := s.last; tear && l.present && l.n > 0 && s.durable[l.ino] != nil && s.live[l.ino] != nil {
		keep := (l.n + 1) / 2
		if err := s.live[l.ino].data.tear(l.off, keep); err != nil {
			errs = append(errs, fmt.Errorf("tear: %w", err))
		} else {
			s.durable[l.ino].Size = s.live[l.ino].data.durable
			rep.Tear = &Tear{Path: names[l.ino], Offset: l.off, Kept: keep, N: l.n}
		}
	}
	if err := s.reboot(); err != nil {
		errs = append(errs, err)
	}
	for i := range rep.Files {
		f := &rep.Files[i]
		if t := rep.Tear; t != nil && t.Path == f.Path {
			f.Bytes = max(0, f.Bytes-t.Kept)
		}
		if ino := before[f.Path]; s.live[ino] != nil {
			f.Durable = s.live[ino].data.durable
		} else {
			f.Durable = 0
		}
		rep.Bytes += f.Bytes
	}
	after, _ := s.paths()
	rep.Lost = topmost(differ(before, after))
	rep.Back = topmost(differ(after, before))
	return rep, errors.Join(errs...)
}

// paths names every live inode reachable from the root: all paths, and
// the first path of each inode in a walk by sorted names.
func (s *fsys) paths() (map[string]uint64, map[uint64]string) {
	all, first := map[string]uint64{}, map[uint64]string{}
	type item struct {
		ino  uint64
		path string
	}
	queue := []item{{rootIno, ""}}
	for len(queue) > 0 {
		it := queue[0]
		queue = queue[1:]
		ents := s.live[it.ino].entries
		for _, name := range slices.Sorted(maps.Keys(ents)) {
			ino, p := ents[name], path.Join(it.path, name)
			all[p] = ino
			if _, seen := first[ino]; seen {
				continue
			}
			first[ino] = p
			if c := s.live[ino]; c != nil && c.isDir() {
				queue = append(queue, item{ino, p})
			}
		}
	}
	return all, first
}

// differ returns the paths of a that b does not have, or names another
// inode at.
func differ(a, b map[string]uint64) map[string]bool {
	d := map[string]bool{}
	for p, ino := range a {
		if b[p] != ino {
			d[p] = true
		}
	}
	return d
}

// topmost returns the paths of set, sorted, leaving out those whose
// folder is in it too.
func topmost(set map[string]bool) []string {
	var out []string
	for p := range set {
		if !set[path.Dir(p)] {
			out = append(out, p)
		}
	}
	slices.Sort(out)
	return out
}

// reboot makes the live state what a rebooted disk would show: the
// durable state reachable from the root. What is not reachable is
// deleted, as fsck would, and so are names that point nowhere and any
// second name of a folder.
func (s *fsys) reboot() error {
	var errs []error
	for _, n := range s.live {
		if n.data != nil {
			errs = append(errs, n.data.close())
		}
	}
	s.live, s.dlinks = map[uint64]*node{}, map[uint64]int{}
	s.meta, s.moves, s.last = map[uint64]bool{}, map[loc]move{}, run{}
	clear(s.dirs)
	root := s.durable[rootIno]
	if root == nil || root.Entries == nil {
		return errors.New("the durable state has no root folder")
	}
	s.live[rootIno] = s.revive(root, rootIno)
	for queue := []uint64{rootIno}; len(queue) > 0; queue = queue[1:] {
		d, r := s.live[queue[0]], s.durable[queue[0]]
		for _, name := range slices.Sorted(maps.Keys(r.Entries)) {
			ino := r.Entries[name]
			c, n := s.durable[ino], s.live[ino]
			if c == nil || n != nil && n.isDir() {
				delete(r.Entries, name)
				continue
			}
			if n == nil {
				n = s.revive(c, d.ino)
				s.live[ino] = n
				if n.isDir() {
					queue = append(queue, ino)
				}
			}
			d.entries[name] = ino
			n.nlink++
			s.dlinks[ino]++
			s.next = max(s.next, ino+1)
		}
	}
	for ino := range s.durable {
		if s.live[ino] == nil {
			delete(s.durable, ino)
		}
	}
	errs = append(errs, s.fitData())
	errs = append(errs, s.store.compact(s.durable, s.next))
	return errors.Join(errs...)
}

// revive makes the live node of a durable record.
func (s *fsys) revive(r *record, parent uint64) *node {
	n := &node{ino: r.Ino, attrs: r.attrs, target: r.Target}
	switch {
	case r.Entries != nil:
		n.entries, n.parent = map[string]uint64{}, parent
	case r.Mode&syscall.S_IFMT == syscall.S_IFREG:
		n.data = newContent(s.store.dataPath(r.Ino), r.Size)
	}
	return n
}

// fitData makes the data folder hold exactly the durable bytes: each
// file its record's size (a process that died while committing may have
// left more or less), and no file without a record.
func (s *fsys) fitData() error {
	dir := filepath.Join(s.store.dir, "data")
	ents, err := os.ReadDir(dir)
	if err != nil {
		return err
	}
	var errs []error
	for _, e := range ents {
		ino, err := strconv.ParseUint(e.Name(), 10, 64)
		if r := s.durable[ino]; err != nil || r == nil || r.Entries != nil {
			errs = append(errs, os.Remove(filepath.Join(dir, e.Name())))
		}
	}
	for ino, n := range s.live {
		if n.data == nil {
			continue
		}
		p := s.store.dataPath(ino)
		st, err := os.Stat(p)
		switch {
		case errors.Is(err, fs.ErrNotExist) && n.data.durable == 0:
		case err == nil && st.Size() == n.data.durable:
		default:
			f, err := os.OpenFile(p, os.O_WRONLY|os.O_CREATE, 0o600)
			if err == nil {
				err = errors.Join(f.Truncate(n.data.durable), f.Close())
			}
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}
