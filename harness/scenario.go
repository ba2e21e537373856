package harness

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strings"

	"github.com/google/uuid"
)

// Source is where a scenario's feature file lives; Dockerfile folders named
// by the scenario are relative to it.
type Source struct {
	FS  fs.FS  // nil: the operating system's files
	Dir string // the feature file's folder, in FS
}

// folder returns the folder rel, relative to the feature file, as an fs.FS.
func (src Source) folder(rel string) (fs.FS, string, error) {
	if src.FS == nil {
		dir := rel
		if !filepath.IsAbs(dir) {
			dir = filepath.Join(src.Dir, rel)
		}
		info, err := os.Stat(dir)
		if err != nil || !info.IsDir() {
			return nil, dir, Errorf(Invalid, "no folder %s (Dockerfile folders are relative to the feature file)", dir)
		}
		return os.DirFS(dir), dir, nil
	}
	dir := path.Join(src.Dir, rel)
	sub, err := fs.Sub(src.FS, dir)
	if err == nil {
		_, err = fs.Stat(sub, ".")
	}
	if err != nil {
		return nil, dir, Errorf(Invalid, "no folder %s among the built-in files", dir)
	}
	return sub, dir, nil
}

// Scenario is the world of one scenario: the objects it declared, what it
// created on the engine, the sentinels it wrote and the last command it ran.
// Names are scenario-scoped: two scenarios may both have a container "app".
// A Scenario belongs to one goroutine.
type Scenario struct {
	ID   string
	Name string
	run  *Run
	src  Source
	seq  int // numbers the engine names of declared objects

	volumes    map[string]*volume
	folders    map[string]*folder
	containers map[string]*Container
	sentinels  map[string]*sentinel
	last       *CommandResult
}

type volume struct {
	engineName string
	created    bool
}

type folder struct {
	name string // the folder's name under the scenario's folder
	path string // on the host, once created
}

// Scenario starts a scenario of the run. Nothing is created on the engine
// until a container is launched.
func (r *Run) Scenario(name string, src Source) *Scenario {
	return &Scenario{
		ID:         uuid.NewString(),
		Name:       name,
		run:        r,
		src:        src,
		volumes:    map[string]*volume{},
		folders:    map[string]*folder{},
		containers: map[string]*Container{},
		sentinels:  map[string]*sentinel{},
	}
}

// engineName returns a name for the engine that is unique to this scenario
// and still tells a human whose it is: pc-<scenario>-<n>-<name>.
func (s *Scenario) engineName(name string) string {
	s.seq++
	clean := strings.Map(func(r rune) rune {
		if r == '_' || r == '.' || r == '-' || 'a' <= r && r <= 'z' || 'A' <= r && r <= 'Z' || '0' <= r && r <= '9' {
			return r
		}
		return '-'
	}, name)
	if len(clean) > 40 {
		clean = clean[:40]
	}
	return fmt.Sprintf("pc-%s-%d-%s", s.ID[:8], s.seq, clean)
}

// DeclareVolume declares a named volume. It is created when a container that
// mounts it is first launched.
func (s *Scenario) DeclareVolume(name string) error {
	if _, ok := s.volumes[name]; ok {
		return Errorf(Invalid, "volume %q is declared twice", name)
	}
	s.volumes[name] = &volume{engineName: s.engineName(name)}
	return nil
}

// DeclareHostFolder declares a folder on the engine's host, created under the
// run's folder when a container that mounts it is first launched.
func (s *Scenario) DeclareHostFolder(name string) error {
	if _, ok := s.folders[name]; ok {
		return Errorf(Invalid, "host folder %q is declared twice", name)
	}
	s.folders[name] = &folder{name: s.engineName(name)}
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

// Configure changes the spec of the declared container name. A change
// applies from the container's next launch.
func (s *Scenario) Configure(name string, change func(*ContainerSpec) error) error {
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

// Mount adds a mount to the declared container name, checking that the
// volume or host folder it names was declared.
func (s *Scenario) Mount(name string, m Mount) error {
	switch _, vol := s.volumes[m.Source]; {
	case m.Kind == NamedVolume && !vol:
		return Errorf(Invalid, "no volume %q in this scenario; declare it first: Given a volume %q", m.Source, m.Source)
	case m.Kind == HostFolder && s.folders[m.Source] == nil:
		return Errorf(Invalid, "no host folder %q in this scenario; declare it first: Given a host folder %q", m.Source, m.Source)
	}
	return s.Configure(name, func(spec *ContainerSpec) error { return spec.addMount(m) })
}

// Inject applies f to the container name within the run's timeout.
func (s *Scenario) Inject(ctx context.Context, name string, f Fault) error {
	c, err := s.Container(name)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, s.run.opts.Timeout)
	defer cancel()
	return Wrap(fmt.Sprintf("%s %q", f, name), Unknown, deadline(ctx, f.Inject(ctx, c)))
}

// deadline marks err as Infrastructure when ctx's deadline passed, so a
// hung engine is never reported as a finding.
func deadline(ctx context.Context, err error) error {
	if err != nil && errors.Is(ctx.Err(), context.DeadlineExceeded) {
		return Wrap("timed out", Infrastructure, err)
	}
	return err
}

// Close removes every object the scenario created on the engine and its host
// folders. With keep, it removes nothing and returns the names of what it
// leaves behind for debugging. Call it on a context that outlives the
// scenario's.
func (s *Scenario) Close(ctx context.Context, keep bool) (kept []string, err error) {
	if keep {
		for _, c := range s.containers {
			if c.id != "" {
				kept = append(kept, c.engineName)
			}
		}
		return kept, nil
	}
	_, err = s.run.engine.RemoveLabelled(ctx, s.run.labels(s.ID))
	for _, f := range s.folders {
		if f.path != "" {
			err = errors.Join(err, os.RemoveAll(f.path))
		}
	}
	return nil, Wrap("clean up scenario "+s.Name, Infrastructure, err)
}
