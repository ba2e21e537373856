package powerloss

import (
	"errors"
	"fmt"
	"io"
	"log"
	"os"
	"path/filepath"
	"strconv"
	"syscall"
	"time"

	"github.com/hanwen/go-fuse/v2/fuse"
	"golang.org/x/sys/unix"
)

// fsType is the FUSE subtype of every power-loss mount: the mount table
// shows "fuse.persistcheck-powerloss", which is how Sweep finds them.
const fsType = "persistcheck-powerloss"

// mount is one FUSE mount serving fsys; a cut ends it and starts another.
type mount struct {
	srv  *fuse.Server
	path string
	conn uint32 // the FUSE connection, as /sys/fs/fuse/connections names it
}

// serve mounts s at path and serves it until stop.
func serve(s *fsys, path string) (*mount, error) {
	opts := &fuse.MountOptions{
		AllowOther:        true,
		Options:           []string{"default_permissions"},
		FsName:            source(),
		Name:              fsType,
		DirectMountStrict: true,
		// go-fuse's default. Each request is read into a buffer this
		// size; a larger one changes nothing a tear sees (a write the
		// kernel splits is one run) and costs a larger buffer whenever
		// the pool has none to give.
		MaxWrite: 128 << 10,
		// The kernel then keeps no page it was not told to drop: nothing
		// but this mount changes a file, and a cut remounts.
		ExplicitDataCacheControl: true,
		DisableXAttrs:            true,
		DisableReadDirPlus:       true,
		Logger:                   log.New(io.Discard, "", 0),
	}
	srv, err := fuse.NewServer(newRaw(s), path, opts)
	if err != nil {
		return nil, err
	}
	go srv.Serve()
	m := &mount{srv: srv, path: path}
	if err := srv.WaitMount(); err != nil {
		return nil, errors.Join(err, m.stop())
	}
	var st syscall.Stat_t
	if err := syscall.Stat(path, &st); err != nil {
		return nil, errors.Join(err, m.stop())
	}
	m.conn = unix.Minor(st.Dev)
	return m, nil
}

// stop unmounts and waits until the server has answered its last
// request. A mount that is busy is detached. If something still holds
// the file system (a bind mount in another mount namespace, say), the
// connection is aborted: whoever holds it sees ENOTCONN, as a machine
// whose disk went away would, and the server is free to go.
func (m *mount) stop() error {
	detached, err := unmountDetach(m.path)
	done := make(chan struct{})
	go func() {
		m.srv.Wait()
		close(done)
	}()
	if !detached {
		// Held only in another mount namespace, the file system outlives
		// the unmount, and nothing says so but the server going on.
		select {
		case <-done:
			return err
		case <-time.After(2 * time.Second):
		}
	}
	if aerr := abort(m.conn); aerr != nil {
		return errors.Join(err, fmt.Errorf("abort FUSE connection %d: %w", m.conn, aerr))
	}
	<-done
	return err
}

// unmount unmounts path, detaching it if it is busy. A path that is not
// a mount point any more is not an error.
func unmount(path string) error {
	_, err := unmountDetach(path)
	return err
}

// unmountDetach is unmount, and says whether the mount was busy and had
// to be detached.
func unmountDetach(path string) (detached bool, err error) {
	err = syscall.Unmount(path, 0)
	if errors.Is(err, syscall.EBUSY) {
		detached, err = true, syscall.Unmount(path, syscall.MNT_DETACH)
	}
	if err != nil && !errors.Is(err, syscall.EINVAL) && !errors.Is(err, syscall.ENOENT) {
		return detached, fmt.Errorf("unmount %s: %w", path, err)
	}
	return detached, nil
}

// fusectl is where the kernel lists FUSE connections.
const fusectl = "/sys/fs/fuse/connections"

// abort ends a FUSE connection through fusectl, mounting fusectl first if
// the machine has not.
func abort(conn uint32) error {
	ctl := filepath.Join(fusectl, strconv.FormatUint(uint64(conn), 10), "abort")
	if _, err := os.Stat(ctl); errors.Is(err, os.ErrNotExist) {
		if err := syscall.Mount("fusectl", fusectl, "fusectl", 0, ""); err != nil && !errors.Is(err, syscall.EBUSY) {
			return fmt.Errorf("mount fusectl: %w", err)
		}
	}
	err := os.WriteFile(ctl, []byte("1"), 0)
	if errors.Is(err, os.ErrNotExist) {
		return nil // the connection ended meanwhile
	}
	return err
}
