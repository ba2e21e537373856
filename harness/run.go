package harness

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/google/uuid"
)

// A run's temporary folder is named after hostRootPrefix and holds
// ownerFile, which says what Owner made it, for sweeps.
const (
	hostRootPrefix = "persistcheck-"
	ownerFile      = ".owner"
)

// Defaults for RunOptions.
const (
	DefaultTimeout = 60 * time.Second
	DefaultGrace   = 10 * time.Second
)

// RunOptions tune a Run. Zero values take the defaults.
type RunOptions struct {
	// Timeout bounds each lifecycle operation, readiness wait included.
	Timeout time.Duration
	// Grace is how long a graceful stop waits before SIGKILL.
	Grace time.Duration
	// HostRoot is the folder under which host folders are created; by
	// default a fresh temporary folder, removed by Close.
	HostRoot string
	// Progress receives a line every ProgressEvery while a long wait lasts,
	// such as a readiness wait: what is awaited, for how long so far, and
	// what was seen. nil: nothing is said.
	Progress      io.Writer
	ProgressEvery time.Duration // default 5s
}

// Run is one run of scenarios against one engine. Its methods are safe for
// concurrent use; each Scenario belongs to one goroutine.
type Run struct {
	ID      string
	engine  Engine
	opts    RunOptions
	owner   string
	rootErr error
	mkRoot  sync.Once
	ownRoot bool // the root is a temporary folder of this run's

	progressMu sync.Mutex // one progress line at a time
	truth      Truth      // what the engine keeps through which event
}

// NewRun returns a run with a fresh id.
func NewRun(engine Engine, opts RunOptions) *Run {
	if opts.Timeout <= 0 {
		opts.Timeout = DefaultTimeout
	}
	if opts.Grace <= 0 {
		opts.Grace = DefaultGrace
	}
	if opts.ProgressEvery <= 0 {
		opts.ProgressEvery = 5 * time.Second
	}
	var truth Truth = DockerTruth{}
	if t, ok := engine.(Truthful); ok {
		truth = t.Truth()
	}
	return &Run{ID: uuid.NewString(), engine: engine, opts: opts, owner: Owner(), truth: truth}
}

// Truth returns the ground truth of the run's engine.
func (r *Run) Truth() Truth { return r.truth }

// Owner identifies this process on its host, for the label LabelOwner: a
// sweep can tell the objects of a live run from those of a dead one.
func Owner() string {
	host, _ := os.Hostname()
	return fmt.Sprintf("%s:%d", host, os.Getpid())
}

// labels returns the labels of objects the scenario sid creates ("" for the
// run's own).
func (r *Run) labels(sid string) map[string]string {
	l := map[string]string{LabelRun: r.ID, LabelOwner: r.owner}
	if sid != "" {
		l[LabelScenario] = sid
	}
	return l
}

// progress says, every ProgressEvery until stop is called, what say
// returns given how long it has been. say may run on another goroutine.
func (r *Run) progress(say func(elapsed time.Duration) string) (stop func()) {
	if r.opts.Progress == nil {
		return func() {}
	}
	start := time.Now()
	done := make(chan struct{})
	finished := make(chan struct{})
	go func() {
		defer close(finished)
		tick := time.NewTicker(r.opts.ProgressEvery)
		defer tick.Stop()
		for {
			select {
			case <-done:
				return
			case <-tick.C:
				line := say(time.Since(start))
				r.progressMu.Lock()
				fmt.Fprintf(r.opts.Progress, "persistcheck: %s\n", line)
				r.progressMu.Unlock()
			}
		}
	}()
	return func() {
		close(done)
		<-finished
	}
}

// hostRoot returns the folder under which host folders are created, making
// it on first use.
func (r *Run) hostRoot() (string, error) {
	r.mkRoot.Do(func() {
		if r.opts.HostRoot != "" {
			r.rootErr = os.MkdirAll(r.opts.HostRoot, 0o755)
			return
		}
		r.opts.HostRoot, r.rootErr = os.MkdirTemp("", hostRootPrefix+r.ID[:8]+"-")
		if r.rootErr == nil {
			r.ownRoot = true
			r.rootErr = os.WriteFile(filepath.Join(r.opts.HostRoot, ownerFile), []byte(r.owner), 0o644)
		}
	})
	if r.rootErr != nil {
		return "", Wrap("create the folder for host folders", Infrastructure, r.rootErr)
	}
	return r.opts.HostRoot, nil
}

// Close removes whatever the run's scenarios left on the engine and in the
// run's temporary folder, and returns what that was: nothing, when every
// scenario was closed. With keep (some scenario kept its objects for
// debugging) it removes nothing.
func (r *Run) Close(ctx context.Context, keep bool) (leaked []string, err error) {
	r.mkRoot.Do(func() {}) // no root may be made from now on
	if keep {
		return nil, nil
	}
	leaked, err = r.engine.RemoveLabelled(ctx, map[string]string{LabelRun: r.ID})
	if r.ownRoot {
		entries, _ := os.ReadDir(r.opts.HostRoot)
		for _, e := range entries {
			if e.Name() == ownerFile {
				continue
			}
			leaked = append(leaked, "host folder "+filepath.Join(r.opts.HostRoot, e.Name()))
		}
		err = errors.Join(err, os.RemoveAll(r.opts.HostRoot))
	}
	return leaked, Wrap("clean up run "+r.ID, Infrastructure, err)
}

// SweepHostFolders removes the temporary folders of runs whose owner, as
// named in the folder, is not alive by the given test, and returns them.
func SweepHostFolders(alive func(owner string) bool) ([]string, error) {
	dirs, err := filepath.Glob(filepath.Join(os.TempDir(), hostRootPrefix+"*"))
	if err != nil {
		return nil, err
	}
	var removed []string
	var errs []error
	for _, d := range dirs {
		owner, err := os.ReadFile(filepath.Join(d, ownerFile))
		if err != nil || alive(string(owner)) {
			continue // not a run's folder, or a live one
		}
		if err := os.RemoveAll(d); err != nil {
			errs = append(errs, err)
			continue
		}
		removed = append(removed, "host folder "+d)
	}
	return removed, errors.Join(errs...)
}
