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
	"time"

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

// ReadFile reads the file rel, relative to the feature file, and returns
// its content and where it is (a path in FS, or on the host).
func (src Source) ReadFile(rel string) ([]byte, string, error) {
	if src.FS == nil {
		p := rel
		if !filepath.IsAbs(p) {
			p = filepath.Join(src.Dir, rel)
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return nil, p, Errorf(Invalid, "no file %s (files named by a scenario are relative to its feature file)", p)
		}
		return data, p, nil
	}
	p := path.Join(src.Dir, rel)
	data, err := fs.ReadFile(src.FS, p)
	if err != nil {
		return nil, p, Errorf(Invalid, "no file %s among the built-in files", p)
	}
	return data, p, nil
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
	workloads  []*workload

	// background is the context of workloads that outlive the step that
	// started them; Close ends it.
	background context.Context
	stopAll    context.CancelFunc
}

type volume struct {
	engineName string
	size       int64 // bytes its file system holds; 0 for no limit
	created    bool

	powerLoss bool            // served by the harness, forgetting what is not durable on a cut
	strict    bool            // only a folder's fsync makes names in it durable
	served    PowerLossVolume // once a container mounts it
	dir       string          // where its state is kept
}

type folder struct {
	name string // the folder's name under the scenario's folder
	path string // on the host, once created
}

// Scenario starts a scenario of the run. Nothing is created on the engine
// until a container is launched.
func (r *Run) Scenario(name string, src Source) *Scenario {
	ctx, cancel := context.WithCancel(context.Background())
	return &Scenario{
		background: ctx,
		stopAll:    cancel,
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

// Inject applies f to the container name within the run's timeout.
func (s *Scenario) Inject(ctx context.Context, name string, f Fault) error {
	c, err := s.Container(name)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, s.run.opts.Timeout+c.spec.ReadyTimeout)
	defer cancel()
	from, boots, expect := c.id, c.boots, c.expect
	c.current, c.detail = f.String(), ""
	err = f.Inject(ctx, c)
	c.current = ""
	if u := (*Unsupported)(nil); errors.As(err, &u) {
		err = Errorf(Invalid, "%s", u.For(name))
	}
	if KindOf(err) != Invalid { // a refused event did nothing
		up := func(state string) bool { return state == "running" || state == "paused" }
		what := f.String()
		if c.detail != "" {
			what += " (" + c.detail + ")"
		}
		c.events = append(c.events, event{
			what: what, from: from, to: c.id, at: time.Now(), failed: err != nil,
			stopped: from != c.id || c.boots != boots || up(expect) && !up(c.expect),
		})
	}
	return Wrap(fmt.Sprintf("%s %q", f, name), Unknown, deadline(ctx, err))
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
	s.stopAll()
	for _, w := range s.workloads {
		<-w.done
	}
	if keep {
		for _, c := range s.containers {
			if c.id != "" {
				kept = append(kept, c.engineName)
			}
		}
		return kept, nil
	}
	_, err = s.run.engine.RemoveLabelled(ctx, s.run.labels(s.ID))
	err = errors.Join(err, s.closePowerLoss())
	for _, f := range s.folders {
		if f.path != "" {
			err = errors.Join(err, os.RemoveAll(f.path))
		}
	}
	return nil, Wrap("clean up scenario "+s.Name, Infrastructure, err)
}

// Grace is how long a graceful stop of this run waits before SIGKILL.
func (s *Scenario) Grace() time.Duration { return s.run.opts.Grace }
