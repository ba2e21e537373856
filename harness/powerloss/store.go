package powerloss

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"syscall"
	"time"
)

// attrs are what stat shows of an inode, its size aside.
type attrs struct {
	Mode  uint32 `json:"mode"` // file type and permission bits
	UID   uint32 `json:"uid"`
	GID   uint32 `json:"gid"`
	Rdev  uint32 `json:"rdev,omitempty"`
	Atime int64  `json:"atime"` // nanoseconds since the epoch
	Mtime int64  `json:"mtime"`
	Ctime int64  `json:"ctime"`
}

// record is an inode as the durable state holds it. The bytes of a
// regular file lie beside it, in the store's data folder.
type record struct {
	Ino uint64 `json:"ino"`
	attrs
	Size    int64             `json:"size,omitempty"`    // regular files
	Target  string            `json:"target,omitempty"`  // symbolic links
	Entries map[string]uint64 `json:"entries,omitempty"` // folders
}

// rootIno is the inode of the root folder; FUSE knows it as node 1.
const rootIno = 1

// store keeps the durable state under a folder of the real disk: a
// snapshot of every inode record, a journal of the commits since, and one
// file of bytes per regular file. Nothing here is fsynced on the host:
// the durable state has to outlive the persistcheck process, not the host.
//
//	lock            held (flock) while a volume serves the folder
//	snapshot.json   {"gen": G, "next": N, "inodes": [...]}
//	journal.G       one JSON change per line, each a commit
//	data/INO        the durable bytes of regular file INO
type store struct {
	dir     string
	lock    *os.File
	gen     uint64
	journal *os.File
	written int64 // bytes in the journal, to know when to compact
}

// compactAfter is the journal's size past which a commit compacts the
// store, so that a long run of fsyncs does not grow it without end.
const compactAfter = 64 << 20

type snapshot struct {
	Gen    uint64    `json:"gen"`
	Next   uint64    `json:"next"`
	Inodes []*record `json:"inodes"`
}

// change is one commit in the journal: records set (whole), records gone,
// and the next inode number to hand out.
type change struct {
	Set  []*record `json:"set,omitempty"`
	Del  []uint64  `json:"del,omitempty"`
	Next uint64    `json:"next"`
}

// errInUse says another volume already serves the folder.
var errInUse = errors.New("folder in use by another power-loss volume")

// openStore locks dir, creating it if needed, and reads its durable
// state: the records by inode and the next inode number. A new folder
// holds an empty root folder owned by root.
func openStore(dir string) (*store, map[uint64]*record, uint64, error) {
	if err := os.MkdirAll(filepath.Join(dir, "data"), 0o700); err != nil {
		return nil, nil, 0, err
	}
	lock, err := os.OpenFile(filepath.Join(dir, "lock"), os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, nil, 0, err
	}
	if err := syscall.Flock(int(lock.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		lock.Close()
		if errors.Is(err, syscall.EWOULDBLOCK) {
			return nil, nil, 0, errInUse
		}
		return nil, nil, 0, fmt.Errorf("lock: %w", err)
	}
	st := &store{dir: dir, lock: lock}
	recs, next, err := st.read()
	if err != nil {
		lock.Close()
		return nil, nil, 0, err
	}
	return st, recs, next, nil
}

func (st *store) read() (map[uint64]*record, uint64, error) {
	recs := map[uint64]*record{}
	var snap snapshot
	b, err := os.ReadFile(filepath.Join(st.dir, "snapshot.json"))
	switch {
	case errors.Is(err, fs.ErrNotExist):
		now := time.Now().UnixNano()
		a := attrs{Mode: syscall.S_IFDIR | 0o755, Atime: now, Mtime: now, Ctime: now}
		recs[rootIno] = &record{Ino: rootIno, attrs: a, Entries: map[string]uint64{}}
		return recs, rootIno + 1, nil
	case err != nil:
		return nil, 0, err
	}
	if err := json.Unmarshal(b, &snap); err != nil {
		return nil, 0, fmt.Errorf("read snapshot: %w", err)
	}
	st.gen = snap.Gen
	next := snap.Next
	for _, r := range snap.Inodes {
		recs[r.Ino] = r
	}
	f, err := os.Open(st.journalPath(st.gen))
	if errors.Is(err, fs.ErrNotExist) {
		return recs, next, nil
	}
	if err != nil {
		return nil, 0, err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<30)
	for sc.Scan() {
		var ch change
		if err := json.Unmarshal(sc.Bytes(), &ch); err != nil {
			break // a commit the last process did not finish writing
		}
		for _, r := range ch.Set {
			recs[r.Ino] = r
		}
		for _, ino := range ch.Del {
			delete(recs, ino)
		}
		next = max(next, ch.Next)
	}
	return recs, next, sc.Err()
}

func (st *store) journalPath(gen uint64) string {
	return filepath.Join(st.dir, "journal."+strconv.FormatUint(gen, 10))
}

func (st *store) dataPath(ino uint64) string {
	return filepath.Join(st.dir, "data", strconv.FormatUint(ino, 10))
}

// commit appends one change to the journal.
func (st *store) commit(ch change) error {
	if len(ch.Set) == 0 && len(ch.Del) == 0 {
		return nil
	}
	if st.journal == nil {
		f, err := os.OpenFile(st.journalPath(st.gen), os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o600)
		if err != nil {
			return err
		}
		st.journal = f
	}
	b, err := json.Marshal(ch)
	if err != nil {
		return err
	}
	n, err := st.journal.Write(append(b, '\n'))
	st.written += int64(n)
	return err
}

// compact writes every record into a new snapshot and starts an empty
// journal for it. The old journal goes only once the snapshot that
// replaces it is in place.
func (st *store) compact(recs map[uint64]*record, next uint64) error {
	snap := snapshot{Gen: st.gen + 1, Next: next, Inodes: make([]*record, 0, len(recs))}
	for _, r := range recs {
		snap.Inodes = append(snap.Inodes, r)
	}
	b, err := json.Marshal(snap)
	if err != nil {
		return err
	}
	tmp := filepath.Join(st.dir, "snapshot.json.tmp")
	if err := os.WriteFile(tmp, b, 0o600); err != nil {
		return err
	}
	if err := os.Rename(tmp, filepath.Join(st.dir, "snapshot.json")); err != nil {
		return err
	}
	old := st.gen
	st.gen, st.written = snap.Gen, 0
	if st.journal != nil {
		st.journal.Close()
		st.journal = nil
	}
	if err := os.Remove(st.journalPath(old)); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	return nil
}

// removeData deletes the durable bytes of an inode that is gone.
func (st *store) removeData(ino uint64) error {
	err := os.Remove(st.dataPath(ino))
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	return err
}

// close releases the journal and the lock.
func (st *store) close() error {
	var errs []error
	if st.journal != nil {
		errs = append(errs, st.journal.Close())
		st.journal = nil
	}
	if st.lock != nil {
		errs = append(errs, st.lock.Close())
		st.lock = nil
	}
	return errors.Join(errs...)
}
