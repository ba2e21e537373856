package docker

import (
	"errors"
	"os"
	"path/filepath"

	"github.com/persistcheck/persistcheck/harness"
	"github.com/persistcheck/persistcheck/harness/powerloss"
)

var _ harness.PowerLossHost = (*Engine)(nil)

// CheckPowerLoss says what this machine lacks to serve power-loss volumes:
// root, /dev/fuse, or an engine on this host, which bind-mounts them.
func (e *Engine) CheckPowerLoss() error {
	if !e.local() {
		return harness.Errorf(harness.Infrastructure, "a power-loss volume is served on this host and bind-mounted into containers, and the engine is elsewhere (%s)", e.cli.DaemonHost())
	}
	return powerloss.Check()
}

// PowerLossVolume serves a power-loss volume whose state is kept under
// dir/state and which containers bind-mount from dir/mnt.
func (e *Engine) PowerLossVolume(dir string, strict bool) (harness.PowerLossVolume, error) {
	v, err := powerloss.Mount(filepath.Join(dir, "state"), filepath.Join(dir, "mnt"), powerloss.Options{Strict: strict})
	if err != nil {
		return nil, err
	}
	// Containers run as any user: let them all write, as a fresh volume
	// does, and make it durable, as formatting a disk would.
	if err := errors.Join(os.Chmod(v.Path(), 0o777), syncDir(v.Path())); err != nil {
		return nil, errors.Join(harness.Wrap("prepare the power-loss volume", harness.Infrastructure, err), v.Close())
	}
	return plVolume{v}, nil
}

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}

type plVolume struct{ *powerloss.Volume }

func (v plVolume) Cut(tear bool) (string, error) {
	r, err := v.Volume.Cut(tear)
	return r.String(), err
}
