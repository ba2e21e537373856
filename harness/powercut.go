package harness

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// PowerLossHost is what an engine offers when it can serve power-loss
// volumes on its host: file systems that hold what was not made durable in
// memory, and throw it away on a cut.
type PowerLossHost interface {
	// CheckPowerLoss says, at once, what this machine lacks to serve one:
	// an Infrastructure error naming it, or nil.
	CheckPowerLoss() error
	// PowerLossVolume serves one, keeping its state under dir, strict when
	// only a folder's fsync makes names in it durable.
	PowerLossVolume(dir string, strict bool) (PowerLossVolume, error)
}

// PowerLossVolume is a power-loss volume being served.
type PowerLossVolume interface {
	Path() string // what containers bind-mount
	// Cut throws away everything not made durable, tearing the last
	// unsynced write when asked, and says what was lost.
	Cut(tear bool) (string, error)
	// Close unmounts it, as a clean shutdown: what is pending is kept.
	Close() error
}

// DeclarePowerLossVolume declares a volume that, unlike a disk behind a
// kill, forgets what was never made durable when the power is cut to a
// container that mounts it. In the default mode a new name becomes durable
// with the next fsync of anything, as on ext4; strict, only with an fsync of
// its folder. A machine that cannot serve one fails the step at once, as
// infrastructure, saying what it lacks.
func (s *Scenario) DeclarePowerLossVolume(name string, strict bool) error {
	host, ok := s.run.engine.(PowerLossHost)
	if !ok {
		return Errorf(Infrastructure, "volume %q: this engine cannot serve power-loss volumes", name)
	}
	if err := host.CheckPowerLoss(); err != nil {
		return Wrap(fmt.Sprintf("volume %q", name), Infrastructure, err)
	}
	if v := s.volumes[name]; v != nil && (!v.powerLoss || v.strict != strict) {
		return Errorf(Invalid, "volume %q is declared twice, of different kinds", name)
	}
	if err := s.DeclareVolume(name); err != nil {
		return err
	}
	s.volumes[name].powerLoss, s.volumes[name].strict = true, strict
	return nil
}

// servePowerLoss serves the power-loss volume v, in a folder under the
// run's, the first time a container mounts it.
func (s *Scenario) servePowerLoss(name string, v *volume) error {
	if v.served != nil {
		return nil
	}
	root, err := s.run.hostRoot()
	if err != nil {
		return err
	}
	dir := filepath.Join(root, v.engineName)
	served, err := s.run.engine.(PowerLossHost).PowerLossVolume(dir, v.strict)
	if err != nil {
		return Wrap(fmt.Sprintf("serve power-loss volume %q", name), Infrastructure, err)
	}
	v.served, v.dir = served, dir
	return nil
}

// closePowerLoss unmounts the scenario's power-loss volumes and removes
// their state.
func (s *Scenario) closePowerLoss() error {
	var errs []error
	for _, v := range s.volumes {
		if v.served == nil {
			continue
		}
		if err := v.served.Close(); err != nil {
			errs = append(errs, err)
			continue
		}
		errs = append(errs, os.RemoveAll(v.dir))
	}
	return errors.Join(errs...)
}

// CutPower returns the fault of a power cut: the container is killed, as a
// power cut kills everything, and each power-loss volume it mounts throws
// away what was not made durable, as a rebooted disk would show it; with
// tear, part of the last unsynced write survives. The next start sees only
// durable data. A container with no power-loss volume is invalid input: a
// kill is all a cut would do to it.
func CutPower(tear bool) Fault { return cut{tear} }

type cut struct{ tear bool }

var _ Fault = cut{}

func (c cut) String() string {
	if c.tear {
		return "power cut, tearing the last write"
	}
	return "power cut"
}

func (p cut) Inject(ctx context.Context, c *Container) error {
	var cut []*volume
	for _, m := range c.launched.Mounts {
		if v := c.s.volumes[m.Source]; m.Kind == NamedVolume && v != nil && v.served != nil {
			cut = append(cut, v)
		}
	}
	if len(cut) == 0 {
		return Errorf(Invalid, "container %q mounts no power-loss volume, so a power cut would only kill it: declare one, e.g. Given a power-loss volume \"data\"", c.name)
	}
	st, err := c.require(ctx, "cut the power to", "running", "paused", "exited")
	if err != nil {
		return err
	}
	if st.Running() {
		if err := Kill(SIGKILL, 0).Inject(ctx, c); err != nil {
			return err
		}
	}
	var lost []string
	for _, v := range cut {
		what, err := v.served.Cut(p.tear)
		if err != nil {
			return Wrap("cut the power to a volume of "+c.name, Infrastructure, err)
		}
		lost = append(lost, what)
	}
	c.lastCut = strings.Join(lost, "; ")
	c.expect = "exited"
	return nil
}
