package harness

import (
	"context"
	"errors"
	"fmt"
	"path"
	"time"

	"github.com/google/uuid"
)

// sentinel is a file with content unique to one write of one run, so that no
// file left by anything else can pass for it.
type sentinel struct {
	name    string
	path    string // where it was written, in the writer
	writer  string
	content []byte
	mount   Mount  // the storage it was written to; Kind 0 for the layer
	rel     string // its path below the mount's target
}

// SentinelAt names a sentinel and where to write it.
type SentinelAt struct {
	Name string
	Path string
}

// WriteSentinels writes each sentinel, with fresh unique content, from inside
// the running container name, and fsyncs it. Writing a name again replaces
// the earlier sentinel of that name.
func (s *Scenario) WriteSentinels(ctx context.Context, name string, list ...SentinelAt) error {
	c, err := s.Container(name)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, s.run.opts.Timeout)
	defer cancel()
	for _, at := range list {
		p, err := cleanPath(at.Path)
		if err != nil {
			return err
		}
		sn := &sentinel{
			name:   at.Name,
			path:   p,
			writer: name,
			content: fmt.Appendf(nil, "persistcheck sentinel %q\nwritten to %s in %q at %s\nrun %s scenario %s\nnonce %s\n",
				at.Name, p, name, time.Now().UTC().Format(time.RFC3339Nano), s.run.ID, s.ID, uuid.NewString()),
		}
		sn.mount, sn.rel, _ = c.launched.mountAt(p)
		if err := c.write(ctx, p, sn.content); err != nil {
			return Wrap(fmt.Sprintf("write sentinel %q to %s in %q", at.Name, p, name), Unknown, deadline(ctx, err))
		}
		s.sentinels[at.Name] = sn
	}
	return nil
}

// CheckSentinel reads the sentinel named in the container name and judges
// what it finds. In another container than the writer, a sentinel written to
// a named volume or a host folder is looked for where that container mounts
// the same storage; anything else at the same path.
func (s *Scenario) CheckSentinel(ctx context.Context, sentinelName, name string) (Verdict, error) {
	sn, ok := s.sentinels[sentinelName]
	if !ok {
		return Verdict{}, Errorf(Invalid, "no sentinel %q was written in this scenario; write it first: When I write a sentinel %q to \"/data/%s\" in %q", sentinelName, sentinelName, sentinelName, name)
	}
	c, err := s.Container(name)
	if err != nil {
		return Verdict{}, err
	}
	ctx, cancel := context.WithTimeout(ctx, s.run.opts.Timeout)
	defer cancel()
	p := sn.pathIn(c)
	f, how, err := c.read(ctx, p)
	if err != nil {
		return Verdict{}, Wrap(fmt.Sprintf("read sentinel %q at %s in %q", sentinelName, p, name), Unknown, deadline(ctx, err))
	}
	return judge(sn, name, p, f, how), nil
}

// pathIn returns where the sentinel is to be found in c.
func (sn *sentinel) pathIn(c *Container) string {
	if sn.mount.Kind != NamedVolume && sn.mount.Kind != HostFolder {
		return sn.path
	}
	for _, m := range c.launched.Mounts {
		if m.Kind == sn.mount.Kind && m.Source == sn.mount.Source {
			return path.Join(m.Target, sn.rel)
		}
	}
	return sn.path
}

// SentinelState is a sentinel and the state expected of it.
type SentinelState struct {
	Name  string
	State State
}

// ExpectSentinels checks each sentinel in the container name, and returns
// nil when every one is in its expected state, or one Finding per sentinel
// that is not, joined.
func (s *Scenario) ExpectSentinels(ctx context.Context, name string, want ...SentinelState) error {
	var errs []error
	for _, w := range want {
		v, err := s.CheckSentinel(ctx, w.Name, name)
		if err != nil {
			return err
		}
		if err := v.Expect(w.State); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}
