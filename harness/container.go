package harness

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"
)

// Container is a declared container and its current instance on the engine,
// if any. Launching it again replaces the instance; the spec stays.
type Container struct {
	name string
	s    *Scenario
	spec ContainerSpec // what the next launch creates

	// The current instance; id is empty when there is none.
	id         string
	engineName string
	launches   int
	launched   ContainerSpec // the spec the instance was created from, the image's volumes included
	agent      bool          // the agent is in the instance
	image      Image         // the image the instance was created from

	events  []event // what the scenario did to it, in order
	current string  // the event under way
	detail  string  // what the engine did in the current event, for its history
	boots   int     // how many times the scenario started its processes
	expect  string  // the state the last event left the instance in
	lastCut string  // what the last power cut threw away
}

func (c *Container) engine() Engine { return c.s.run.engine }

// launch creates a new instance from the spec, starts it and waits until it
// is ready.
func (c *Container) launch(ctx context.Context) error {
	if c.id != "" {
		return Errorf(Invalid, "container %q already exists; remove it first", c.name)
	}
	img, err := c.s.image(ctx, c.spec)
	if err != nil {
		return err
	}
	if _, ok := c.spec.Ready.(ReadyWhenHealthy); ok && !img.Health && c.spec.Health == nil {
		return Errorf(Invalid, "container %q is to be ready when healthy, but its image %s declares no HEALTHCHECK: choose another readiness condition, or add a HEALTHCHECK to the image", c.name, img.Ref)
	}
	spec := c.spec.withImageVolumes(img)
	mounts, err := c.s.engineMounts(ctx, spec)
	if err != nil {
		return err
	}
	name := c.s.engineName(c.name)
	// A creation cut short by a cancelled context may still complete on the
	// engine after the scenario's cleanup has looked: let it finish.
	cctx, cancel := uninterrupted(ctx)
	defer cancel()
	id, err := c.engine().Create(cctx, EngineSpec{
		Name:             name,
		Image:            img.Ref,
		Entrypoint:       spec.Entrypoint,
		Cmd:              spec.Cmd,
		User:             spec.User,
		WorkingDir:       spec.WorkingDir,
		Health:           spec.Health,
		Env:              spec.Env,
		Labels:           c.s.run.labels(c.s.ID),
		Mounts:           mounts,
		MemoryLimit:      spec.MemoryLimit,
		RestartOnFailure: spec.RestartOnFailure,
		Init:             true,
		Network:          spec.Network,
		MountAgent:       !img.HasAgent,
	})
	if err != nil {
		return err // a half-created container carries the labels: Close finds it
	}
	c.id, c.engineName, c.launched, c.agent, c.image = id, name, spec, true, img // mounted if not carried
	c.launches++
	return c.start(ctx)
}

// start starts the existing instance and waits until it is ready.
func (c *Container) start(ctx context.Context) error {
	return c.ready(ctx, func() error {
		err := c.engine().Start(ctx, c.id)
		if err == nil {
			c.boots++
		}
		return err
	})
}

// createTimeout bounds the creation of one object on the engine.
const createTimeout = 30 * time.Second

// uninterrupted returns a context for creating an object on the engine: it
// keeps ctx's values but not its cancellation, so that an interrupted run
// never leaves an object whose creation the engine finished after cleanup
// had looked for it.
func uninterrupted(ctx context.Context) (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.WithoutCancel(ctx), createTimeout)
}

// status asks the engine for the instance's state. A container without an
// instance is Invalid to act on.
func (c *Container) status(ctx context.Context) (Status, error) {
	if c.id == "" {
		if c.launches == 0 {
			return Status{}, Errorf(Invalid, "container %q was never started; start it first: When the container %q is started", c.name, c.name)
		}
		return Status{}, Errorf(Invalid, "container %q was removed; launch it again first: When I launch the container %q again", c.name, c.name)
	}
	st, err := c.engine().Inspect(ctx, c.id)
	return st, Wrap(fmt.Sprintf("inspect container %q", c.name), Infrastructure, err)
}

// require returns the instance's status if its state is one of states. A
// container that stopped on its own since the last event left it running
// is a Finding about the image; asking for an action its state does not
// allow is Invalid.
func (c *Container) require(ctx context.Context, action string, states ...string) (Status, error) {
	st, err := c.status(ctx)
	if err != nil || slices.Contains(states, st.State) {
		return st, err
	}
	if (c.expect == "running" || c.expect == "paused") && !st.Running() {
		return st, c.stoppedOnItsOwn(ctx, st, action)
	}
	return st, Errorf(Invalid, "cannot %s container %q: it is %s, not %s", action, c.name, describe(st), strings.Join(states, " or "))
}

// stoppedOnItsOwn is the Finding for a container whose processes ended
// with no event of the scenario's: it crashed, or its command finished.
func (c *Container) stoppedOnItsOwn(ctx context.Context, st Status, action string) error {
	msg := fmt.Sprintf("container %q %s on its own, %s after it last started, so the scenario cannot %s it", c.name, describe(st), lasted(st.StartedAt, st.FinishedAt), action)
	if st.State == "restarting" {
		msg = fmt.Sprintf("container %q is restarting: its main process ended on its own (exit code %d) and the engine's restart policy is starting it again, so the scenario cannot %s it", c.name, st.ExitCode, action)
	}
	return Errorf(Finding, "%s\n%s", msg, c.evidence(ctx, st))
}

// settleTimeout bounds how long the engine may take to report the state an
// operation it acknowledged leaves; under load it can lag a moment.
const settleTimeout = 3 * time.Second

// settled checks, after an operation, that the engine reports one of the
// states the operation must leave, and notes it as what the instance is
// expected to be in. Anything else, once the engine has had a moment, is
// the engine misbehaving.
func (c *Container) settled(ctx context.Context, states ...string) error {
	deadline := time.Now().Add(settleTimeout)
	for pause := 5 * time.Millisecond; ; pause = min(2*pause, 200*time.Millisecond) {
		st, err := c.status(ctx)
		switch {
		case err != nil:
			return err
		case slices.Contains(states, st.State):
			c.expect = st.State
			return nil
		case time.Now().After(deadline):
			return Errorf(Infrastructure, "container %q is %s %s after the engine acknowledged the operation, expected %s", c.name, describe(st), settleTimeout, strings.Join(states, " or "))
		}
		select {
		case <-ctx.Done():
			return Wrap(fmt.Sprintf("wait for container %q to be %s", c.name, strings.Join(states, " or ")), Infrastructure, ctx.Err())
		case <-time.After(pause):
		}
	}
}

// image resolves the image the spec names, building it from its folder.
func (s *Scenario) image(ctx context.Context, spec ContainerSpec) (Image, error) {
	if spec.BuildDir == "" {
		img, err := s.run.engine.Image(ctx, spec.Image)
		return img, Wrap("image "+spec.Image, Unknown, err)
	}
	dir, where, err := s.src.folder(spec.BuildDir)
	if err != nil {
		return Image{}, err
	}
	img, err := s.run.engine.Build(ctx, dir, "")
	return img, Wrap("build "+where, Unknown, err)
}

// engineMounts resolves the spec's mounts to engine names, creating volumes
// and host folders that do not exist yet. Anonymous volumes, the image's
// included, are explicit and labelled: the same semantics as the engine's
// own, but cleanup finds them.
func (s *Scenario) engineMounts(ctx context.Context, spec ContainerSpec) ([]EngineMount, error) {
	var mounts []EngineMount
	for _, m := range spec.Mounts {
		if err := s.ensure(ctx, m); err != nil {
			return nil, err
		}
		em := s.engineMount(m)
		if m.Kind == AnonymousVolume {
			em.Labels = s.run.labels(s.ID)
		}
		mounts = append(mounts, em)
	}
	return mounts, nil
}

// ensure creates the named volume or host folder m mounts, if it is not yet.
func (s *Scenario) ensure(ctx context.Context, m Mount) error {
	switch m.Kind {
	case NamedVolume:
		v := s.volumes[m.Source]
		if v.powerLoss {
			return s.servePowerLoss(m.Source, v)
		}
		if v.created {
			return nil
		}
		cctx, cancel := uninterrupted(ctx)
		defer cancel()
		if err := s.run.engine.CreateVolume(cctx, v.engineName, v.size, s.run.labels(s.ID)); err != nil {
			return Wrap(fmt.Sprintf("create volume %q", m.Source), Infrastructure, err)
		}
		v.created = true
	case HostFolder:
		_, err := s.hostFolder(m.Source)
		return err
	}
	return nil
}

// engineMount returns m with the engine's name of its volume, or the host
// path of its folder, which ensure has created.
func (s *Scenario) engineMount(m Mount) EngineMount {
	em := EngineMount{Kind: m.Kind, Target: m.Target}
	switch m.Kind {
	case NamedVolume:
		em.Source = s.volumes[m.Source].engineName
		if v := s.volumes[m.Source]; v.served != nil { // bind-mounted from the harness's file system
			em.Kind, em.Source = HostFolder, v.served.Path()
		}
	case HostFolder:
		em.Source = s.folders[m.Source].path
	}
	return em
}

// hostFolder returns the host path of the declared folder name, creating it.
func (s *Scenario) hostFolder(name string) (string, error) {
	f := s.folders[name]
	if f.path != "" {
		return f.path, nil
	}
	root, err := s.run.hostRoot()
	if err != nil {
		return "", err
	}
	p := filepath.Join(root, f.name)
	if err := os.MkdirAll(p, 0o777); err != nil {
		return "", Wrap(fmt.Sprintf("create host folder %q", name), Infrastructure, err)
	}
	// Containers may run as any user: let them all write, as a fresh volume does.
	if err := os.Chmod(p, 0o777); err != nil {
		return "", Wrap(fmt.Sprintf("create host folder %q", name), Infrastructure, err)
	}
	f.path = p
	return p, nil
}
