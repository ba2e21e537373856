package harness

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// DeclareVolume declares a named volume. It is created when a container that
// mounts it is first launched. As with `docker volume create`, declaring it
// again is harmless, and mounting a volume declares it.
func (s *Scenario) DeclareVolume(name string) error {
	if strings.TrimSpace(name) == "" {
		return Errorf(Invalid, "a volume needs a name")
	}
	if s.volumes[name] == nil {
		s.volumes[name] = &volume{engineName: s.engineName(name)}
	}
	return nil
}

// DeclareSizedVolume declares a named volume whose file system holds size
// ("16m", "1g"): writes past it fail with ENOSPC, as on a full disk. It
// needs root on the engine's host, where it is a loop device.
func (s *Scenario) DeclareSizedVolume(name, size string) error {
	n, err := parseSize(size, "volume size", minVolume, maxVolume)
	if err != nil {
		return err
	}
	if v := s.volumes[name]; v != nil && v.size != n {
		return Errorf(Invalid, "volume %q is declared twice, with different sizes", name)
	}
	if err := s.DeclareVolume(name); err != nil {
		return err
	}
	s.volumes[name].size = n
	return nil
}

// DeclareHostFolder declares a folder on the engine's host, created under the
// run's folder when a container that mounts it is first launched. Declaring
// it again is harmless, and mounting a host folder declares it.
func (s *Scenario) DeclareHostFolder(name string) error {
	if strings.TrimSpace(name) == "" {
		return Errorf(Invalid, "a host folder needs a name")
	}
	if s.folders[name] == nil {
		s.folders[name] = &folder{name: s.engineName(name)}
	}
	return nil
}

// DeclareContainer declares a container from an image on the engine.
func (s *Scenario) DeclareContainer(name, image string) error {
	if strings.TrimSpace(image) == "" {
		return Errorf(Invalid, "container %q needs an image name", name)
	}
	return s.declare(name, ContainerSpec{Image: image})
}

// DeclareBuiltContainer declares a container from an image built from a
// Dockerfile folder, relative to the feature file.
func (s *Scenario) DeclareBuiltContainer(name, dir string) error {
	if _, _, err := s.src.folder(dir); err != nil {
		return err
	}
	return s.declare(name, ContainerSpec{BuildDir: dir})
}

// DeclareSpec declares a container with a whole spec at once, as a Compose
// service declares one. The named volumes and host folders it mounts must
// be declared first.
func (s *Scenario) DeclareSpec(name string, spec ContainerSpec) error {
	mounts := spec.Mounts
	spec.Mounts = nil
	switch {
	case spec.BuildDir != "":
		if _, _, err := s.src.folder(spec.BuildDir); err != nil {
			return err
		}
	case strings.TrimSpace(spec.Image) == "":
		return Errorf(Invalid, "container %q needs an image or a folder to build", name)
	}
	if err := s.declare(name, spec.clone()); err != nil {
		return err
	}
	for _, m := range mounts {
		if err := s.Mount(name, m); err != nil {
			delete(s.containers, name)
			return Wrap(fmt.Sprintf("container %q", name), Unknown, err)
		}
	}
	return nil
}

// Source returns where the scenario's feature file is.
func (s *Scenario) Source() Source { return s.src }

func (s *Scenario) declare(name string, spec ContainerSpec) error {
	if name == "" {
		return Errorf(Invalid, "a container needs a name")
	}
	if _, ok := s.containers[name]; ok {
		return Errorf(Invalid, "container %q is declared twice", name)
	}
	s.containers[name] = &Container{name: name, s: s, spec: spec}
	return nil
}

// BuildImage builds the Dockerfile folder dir, relative to the feature file,
// and tags the result name, for containers and upgrades to use.
func (s *Scenario) BuildImage(ctx context.Context, name, dir string) error {
	if strings.TrimSpace(name) == "" {
		return Errorf(Invalid, "an image needs a name")
	}
	sub, where, err := s.src.folder(dir)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, s.run.opts.Timeout)
	defer cancel()
	_, err = s.run.engine.Build(ctx, sub, name)
	return Wrap("build "+where, Unknown, err)
}

// Container returns the declared container name.
func (s *Scenario) Container(name string) (*Container, error) {
	c, ok := s.containers[name]
	if !ok {
		return nil, Errorf(Invalid, "no container %q in this scenario; declare it first, e.g. Given a container %q from image %q", name, name, BuiltinImage)
	}
	return c, nil
}

// configure changes the spec of the declared container name. A change
// applies from the container's next launch.
func (s *Scenario) configure(name string, change func(*ContainerSpec) error) error {
	c, err := s.Container(name)
	if err != nil {
		return err
	}
	spec := c.spec.clone()
	if err := change(&spec); err != nil {
		return err
	}
	c.spec = spec
	return nil
}

// Mount adds a mount to the declared container name. A named volume or host
// folder it mounts must be declared first: a name that is not is most often
// a slip of the keyboard, and a fresh empty volume would hide it.
func (s *Scenario) Mount(name string, m Mount) error {
	if _, err := s.Container(name); err != nil {
		return err
	}
	switch {
	case m.Kind == NamedVolume && s.volumes[m.Source] == nil:
		return Errorf(Invalid, "volume %q is not declared; declare it first: Given a volume %q", m.Source, m.Source)
	case m.Kind == HostFolder && s.folders[m.Source] == nil:
		return Errorf(Invalid, "host folder %q is not declared; declare it first: Given a host folder %q", m.Source, m.Source)
	}
	return s.configure(name, func(spec *ContainerSpec) error { return spec.addMount(m) })
}

// SetCommand sets the command of the container name, split like a shell
// would split line.
func (s *Scenario) SetCommand(name, line string) error {
	argv, err := SplitCommand(line)
	if err != nil {
		return err
	}
	return s.configure(name, func(spec *ContainerSpec) error { spec.Cmd = argv; return nil })
}

// AddEnv adds an environment variable, given as NAME=VALUE, to the
// container name.
func (s *Scenario) AddEnv(name, kv string) error {
	if k, _, ok := strings.Cut(kv, "="); !ok || k == "" {
		return Errorf(Invalid, "environment %q is not NAME=VALUE", kv)
	}
	return s.configure(name, func(spec *ContainerSpec) error { spec.Env = append(spec.Env, kv); return nil })
}

// SetMemoryLimit limits the memory of the container name, swap included;
// see ParseMemory for the format.
func (s *Scenario) SetMemoryLimit(name, limit string) error {
	bytes, err := ParseMemory(limit)
	if err != nil {
		return err
	}
	return s.configure(name, func(spec *ContainerSpec) error { spec.MemoryLimit = bytes; return nil })
}

// SetNetwork gives the container name the engine's default network:
// containers have none but loopback otherwise, which persistence needs no
// more of, and which spares the engine work.
func (s *Scenario) SetNetwork(name string) error {
	return s.configure(name, func(spec *ContainerSpec) error { spec.Network = true; return nil })
}

// RestartOnFailure gives the container name the restart policy on-failure.
func (s *Scenario) RestartOnFailure(name string) error {
	return s.configure(name, func(spec *ContainerSpec) error { spec.RestartOnFailure = true; return nil })
}

// ReadyOnLog makes the container name ready, after each start, once a new
// line of its log contains text.
func (s *Scenario) ReadyOnLog(name, text string) error {
	if text == "" {
		return Errorf(Invalid, "the log text to wait for is empty")
	}
	return s.configure(name, func(spec *ContainerSpec) error { spec.Ready = ReadyOnLog{Text: text}; return nil })
}

// ReadyOnCommand makes the container name ready, after each start, once the
// command line exits 0 inside it.
func (s *Scenario) ReadyOnCommand(name, line string) error {
	argv, err := SplitCommand(line)
	if err != nil {
		return err
	}
	return s.configure(name, func(spec *ContainerSpec) error { spec.Ready = ReadyOnProbe{Argv: argv}; return nil })
}

// ReadyOnPort makes the container name ready, after each start, once a TCP
// socket listens on port inside it.
func (s *Scenario) ReadyOnPort(name, port string) error {
	n, err := strconv.Atoi(strings.TrimSpace(port))
	if err != nil || n < 1 || n > 65535 {
		return Errorf(Invalid, "bad port %q: use a number from 1 to 65535", port)
	}
	return s.configure(name, func(spec *ContainerSpec) error { spec.Ready = ReadyOnPort{Port: n}; return nil })
}

// ReadyWhenHealthy makes the container name ready, after each start, once
// the engine reports its image's HEALTHCHECK healthy. An image without one
// is refused at launch.
func (s *Scenario) ReadyWhenHealthy(name string) error {
	return s.configure(name, func(spec *ContainerSpec) error { spec.Ready = ReadyWhenHealthy{}; return nil })
}

// SetReadyTimeout gives the container name its own readiness deadline, in
// place of the run's timeout: "90s", "3m".
func (s *Scenario) SetReadyTimeout(name, d string) error {
	t, err := time.ParseDuration(strings.TrimSpace(d))
	if err != nil || t <= 0 {
		return Errorf(Invalid, "bad duration %q: write a number with a unit, e.g. 90s, 3m or 1h", d)
	}
	return s.configure(name, func(spec *ContainerSpec) error { spec.ReadyTimeout = t; return nil })
}
