package harness

import (
	"fmt"
	"path"
	"slices"
	"strings"
	"time"
)

// MountKind is a kind of storage a container can have besides its own layer.
type MountKind uint8

const (
	NamedVolume MountKind = iota + 1
	AnonymousVolume
	HostFolder
	Tmpfs
)

func (k MountKind) String() string {
	switch k {
	case NamedVolume:
		return "volume"
	case AnonymousVolume:
		return "anonymous volume"
	case HostFolder:
		return "host folder"
	case Tmpfs:
		return "tmpfs"
	}
	return "mount"
}

// Mount is a storage a container spec mounts at Target.
type Mount struct {
	Kind      MountKind
	Source    string // scenario name of the volume or host folder; empty otherwise
	Target    string // absolute path in the container
	FromImage bool   // an anonymous volume for a VOLUME the image declares
}

func (m Mount) String() string {
	switch {
	case m.FromImage:
		return fmt.Sprintf("%s at %s (the image's VOLUME)", m.Kind, m.Target)
	case m.Source == "":
		return fmt.Sprintf("%s at %s", m.Kind, m.Target)
	}
	return fmt.Sprintf("%s %q at %s", m.Kind, m.Source, m.Target)
}

// outlives reports whether the storage outlives the container that mounts
// it: a named volume or a host folder may be mounted again by another.
func (k MountKind) outlives() bool { return k == NamedVolume || k == HostFolder }

// ContainerSpec is what a scenario declares about a container. Launching it
// again creates a new container from the same spec.
type ContainerSpec struct {
	Image            string   // an image on the engine, or
	BuildDir         string   // a Dockerfile folder, relative to the feature file
	Entrypoint       []string // empty: the image's
	Cmd              []string
	User             string       // empty: the image's
	WorkingDir       string       // empty: the image's
	Health           *Healthcheck // nil: the image's HEALTHCHECK, if any
	Env              []string     // KEY=VALUE
	MemoryLimit      int64        // bytes; 0 means none
	RestartOnFailure bool
	Network          bool // a network; without one, only loopback
	Mounts           []Mount
	Ready            Readiness     // nil: ReadyWhenRunning
	ReadyTimeout     time.Duration // 0: the run's timeout
}

// Healthcheck is a health check of the container's own, in place of its
// image's HEALTHCHECK.
type Healthcheck struct {
	Test        []string // as the engine takes it: ["CMD", ...] or ["CMD-SHELL", "..."]
	Interval    time.Duration
	Timeout     time.Duration
	StartPeriod time.Duration
	Retries     int
}

// ready returns the spec's readiness condition.
func (s ContainerSpec) ready() Readiness {
	if s.Ready == nil {
		return ReadyWhenRunning{}
	}
	return s.Ready
}

// withImageVolumes returns the spec with an anonymous volume for every VOLUME
// of img that no mount of the spec covers, as the engine would add it.
func (s ContainerSpec) withImageVolumes(img Image) ContainerSpec {
	c := s.clone()
	for _, target := range img.Volumes {
		target = path.Clean(target) // an image may say VOLUME /data/
		if !slices.ContainsFunc(s.Mounts, func(m Mount) bool { return m.Target == target }) {
			c.Mounts = append(c.Mounts, Mount{Kind: AnonymousVolume, Target: target, FromImage: true})
		}
	}
	return c
}

// mountAt returns the mount that holds path: the one with the longest target
// that is path or a parent of it.
func (s ContainerSpec) mountAt(p string) (Mount, string, bool) {
	var best Mount
	var rel string
	found := false
	for _, m := range s.Mounts {
		r, ok := within(m.Target, p)
		if ok && (!found || len(m.Target) > len(best.Target)) {
			best, rel, found = m, r, true
		}
	}
	return best, rel, found
}

// within reports whether p is dir or below it, and p relative to dir.
func within(dir, p string) (string, bool) {
	if dir == "/" {
		return strings.TrimPrefix(p, "/"), true
	}
	if p == dir {
		return "", true
	}
	if strings.HasPrefix(p, dir+"/") {
		return p[len(dir)+1:], true
	}
	return "", false
}

// cleanPath checks that p is an absolute path in a container and returns it
// cleaned. Anything else is Invalid.
func cleanPath(p string) (string, error) {
	if !strings.HasPrefix(p, "/") {
		return "", Errorf(Invalid, "path %q in a container must be absolute, e.g. /data/s1", p)
	}
	return path.Clean(p), nil
}

// addMount adds m, refusing a second mount at the same target.
func (s *ContainerSpec) addMount(m Mount) error {
	target, err := cleanPath(m.Target)
	if err != nil {
		return err
	}
	if target == "/" {
		return Errorf(Invalid, "cannot mount %s over the root folder", m.Kind)
	}
	m.Target = target
	for _, other := range s.Mounts {
		if other.Target == target {
			return Errorf(Invalid, "%s is already mounted at %s; one mount per path", other, target)
		}
	}
	s.Mounts = append(s.Mounts, m)
	return nil
}

// clone returns a copy of s that shares no slices with it.
func (s ContainerSpec) clone() ContainerSpec {
	c := s
	c.Cmd = append([]string(nil), s.Cmd...)
	c.Entrypoint = append([]string(nil), s.Entrypoint...)
	c.Env = append([]string(nil), s.Env...)
	c.Mounts = append([]Mount(nil), s.Mounts...)
	return c
}
