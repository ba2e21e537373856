package powerloss

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"

	"github.com/persistcheck/persistcheck/harness"
)

// Options choose the durability model.
type Options struct {
	// Strict makes only an fsync of a folder commit names in it, the POSIX
	// minimum, instead of any fsync committing every pending name, as
	// ext4 does in practice.
	Strict bool
}

// Volume is a power-loss file system mounted at a path and kept under a
// folder of the real disk.
type Volume struct {
	mu     sync.Mutex // one Cut or Close at a time
	fs     *fsys
	dir    string
	path   string
	m      *mount // nil between the two halves of a cut, and once closed
	closed bool
}

// Mount serves a power-loss file system at mountpoint, keeping its
// durable state under dir; both folders are made if missing. A dir that a
// volume used before shows what was durable then, as a disk does after a
// reboot. Mount needs root and /dev/fuse (see Check); a missing
// prerequisite or a failed mount is an error of kind
// harness.Infrastructure, a dir that another volume serves one of kind
// harness.Invalid.
func Mount(dir, mountpoint string, opts Options) (*Volume, error) {
	op := fmt.Sprintf("mount power-loss volume at %s", mountpoint)
	if dir == "" || mountpoint == "" {
		return nil, harness.Wrap(op, harness.Invalid, errors.New("a folder and a mount point are both needed"))
	}
	if err := Check(); err != nil {
		return nil, err
	}
	dir, derr := filepath.Abs(dir)
	mountpoint, merr := filepath.Abs(mountpoint)
	if err := errors.Join(derr, merr); err != nil {
		return nil, harness.Wrap(op, harness.Invalid, err)
	}
	if err := os.MkdirAll(mountpoint, 0o755); err != nil {
		return nil, harness.Wrap(op, harness.Infrastructure, err)
	}
	st, recs, next, err := openStore(dir)
	switch {
	case errors.Is(err, errInUse):
		return nil, harness.Wrap(op, harness.Invalid, fmt.Errorf("%s: %w", dir, err))
	case err != nil:
		return nil, harness.Wrap(op, harness.Infrastructure, fmt.Errorf("open %s: %w", dir, err))
	}
	s, err := newFsys(st, recs, next, opts.Strict)
	if err != nil {
		return nil, harness.Wrap(op, harness.Infrastructure, errors.Join(err, st.close()))
	}
	m, err := serve(s, mountpoint)
	if err != nil {
		return nil, harness.Wrap(op, harness.Infrastructure, errors.Join(err, st.close()))
	}
	return &Volume{fs: s, dir: dir, path: mountpoint, m: m}, nil
}

// Dir returns the folder that holds the durable state.
func (v *Volume) Dir() string { return v.dir }

// Path returns the mount point.
func (v *Volume) Path() string { return v.path }

// Cut throws away everything not yet durable, as a power cut would, and
// leaves the volume as a rebooted disk would show it: the mount is ended
// and made anew at the same path, so no kernel cache remembers the state
// before. With tear, the last unsynced write is torn instead of dropped
// whole: the first half of it, rounded up, is kept (see the package
// documentation). The report says what was lost. Processes should be gone
// first: one that still uses the volume finds its files gone (ENOTCONN).
// Errors are of kind harness.Infrastructure; they include any error of
// the host's disk that an application was answered EIO for since the
// last Cut, as that EIO says nothing about the application.
func (v *Volume) Cut(tear bool) (CutReport, error) {
	v.mu.Lock()
	defer v.mu.Unlock()
	op := fmt.Sprintf("cut power to %s", v.path)
	if v.closed {
		return CutReport{}, harness.Wrap(op, harness.Invalid, errors.New("volume closed"))
	}
	if v.m != nil {
		if err := v.m.stop(); err != nil {
			return CutReport{}, harness.Wrap(op, harness.Infrastructure, err)
		}
		v.m = nil
	}
	v.fs.mu.Lock()
	failed := v.fs.takeFailed()
	rep, err := v.fs.cut(tear)
	v.fs.mu.Unlock()
	if failed != nil {
		err = errors.Join(fmt.Errorf("the host's disk failed while serving: %w", failed), err)
	}
	m, serr := serve(v.fs, v.path)
	if serr != nil {
		serr = fmt.Errorf("mount again: %w", serr)
	} else {
		v.m = m
	}
	return rep, harness.Wrap(op, harness.Infrastructure, errors.Join(err, serr))
}

// Close unmounts the volume and stops serving it, as a clean shutdown
// does: everything pending becomes durable first, as unmounting a disk
// writes back what it holds. Closing again does nothing. Errors are of
// kind harness.Infrastructure.
func (v *Volume) Close() error {
	v.mu.Lock()
	defer v.mu.Unlock()
	if v.closed {
		return nil
	}
	op := fmt.Sprintf("close power-loss volume at %s", v.path)
	if v.m != nil {
		if err := v.m.stop(); err != nil {
			return harness.Wrap(op, harness.Infrastructure, err)
		}
		v.m = nil
	}
	v.closed = true
	v.fs.mu.Lock()
	err := v.fs.shutdown()
	if failed := v.fs.takeFailed(); failed != nil {
		err = errors.Join(fmt.Errorf("the host's disk failed while serving: %w", failed), err)
	}
	v.fs.mu.Unlock()
	return harness.Wrap(op, harness.Infrastructure, errors.Join(err, v.fs.store.close()))
}
