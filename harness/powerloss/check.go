package powerloss

import (
	"errors"
	"fmt"
	"os"

	"github.com/persistcheck/persistcheck/harness"
)

// Prerequisites a machine can lack; Check and Mount wrap them in errors of
// kind harness.Infrastructure.
var (
	// ErrNotRoot: without fusermount, only root can mount FUSE.
	ErrNotRoot = errors.New("not root: mounting FUSE without fusermount needs root")
	// ErrNoFUSE: the FUSE device is missing or cannot be opened.
	ErrNoFUSE = errors.New("no usable /dev/fuse")
)

const fuseDevice = "/dev/fuse"

// Check reports whether this process can serve a power-loss volume: it
// runs as root and can open /dev/fuse. It takes no time worth counting and
// names the first prerequisite missing.
func Check() error {
	const op = "check power-loss volume prerequisites"
	if uid := os.Geteuid(); uid != 0 {
		return harness.Wrap(op, harness.Infrastructure, fmt.Errorf("%w (effective uid %d)", ErrNotRoot, uid))
	}
	f, err := os.OpenFile(fuseDevice, os.O_RDWR, 0)
	if err != nil {
		return harness.Wrap(op, harness.Infrastructure, fmt.Errorf("%w: %w", ErrNoFUSE, err))
	}
	return f.Close()
}
