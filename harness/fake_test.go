package harness

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"io/fs"
	"maps"
	"path"
	"strings"
	"testing"
	"time"
)

// fakeEngine is an Engine that keeps each container's state as a string and
// the files its agent wrote per container and path; it records every call.
// It models no storage: a file one container wrote is not seen by another
// unless the test puts it there. A Scenario belongs to one goroutine, so the
// fake needs no lock.
type fakeEngine struct {
	seq       int
	states    map[string]string     // container id -> created, running, paused, exited
	images    map[string]Image      // ref -> image; a ref not here is an image without volumes or agent
	imageErrs map[string]error      // ref -> what Image returns for it
	files     map[string]File       // fileKey(id, path) -> what is at path in the container
	created   []EngineSpec          // the specs of Create calls, in order
	answers   map[string]ExecResult // "read c1:/data/s1" -> what the agent answers instead
	links     map[string]string     // symbolic links every container has: path -> absolute target
	labelled  []map[string]string
	calls     []string // e.g. "Create pc-...", "Remove c1 volumes=false", "ReadFile c1 /data/s1"
}

func newFake() *fakeEngine {
	return &fakeEngine{
		states:    map[string]string{},
		images:    map[string]Image{},
		imageErrs: map[string]error{},
		files:     map[string]File{},
		answers:   map[string]ExecResult{},
		links:     map[string]string{},
	}
}

var _ Engine = (*fakeEngine)(nil)

func fileKey(id, path string) string { return id + ":" + path }

func (f *fakeEngine) record(format string, args ...any) {
	f.calls = append(f.calls, fmt.Sprintf(format, args...))
}

// count returns how many recorded calls start with prefix.
func (f *fakeEngine) count(prefix string) int { return len(f.called(prefix)) }

// called returns the recorded calls that start with prefix.
func (f *fakeEngine) called(prefix string) []string {
	var out []string
	for _, c := range f.calls {
		if strings.HasPrefix(c, prefix) {
			out = append(out, c)
		}
	}
	return out
}

func (f *fakeEngine) setState(id, state string) {
	f.states[id] = state
}

func (f *fakeEngine) put(id, path string, file File) {
	f.files[fileKey(id, path)] = file
}

func (f *fakeEngine) get(id, path string) (File, bool) {
	file, ok := f.files[fileKey(id, path)]
	return file, ok
}

func (f *fakeEngine) remove(id, path string) {
	delete(f.files, fileKey(id, path))
}

// exists fails like an engine on an id it does not know.
func (f *fakeEngine) exists(id string) error {
	if _, ok := f.states[id]; !ok {
		return Errorf(Infrastructure, "no such container %s", id)
	}
	return nil
}

func (f *fakeEngine) Image(_ context.Context, ref string) (Image, error) {
	f.record("Image %s", ref)
	if err := f.imageErrs[ref]; err != nil {
		return Image{}, err
	}
	if img, ok := f.images[ref]; ok {
		return img, nil
	}
	return Image{Ref: ref, HasAgent: ref == BuiltinImage}, nil
}

func (f *fakeEngine) Build(_ context.Context, _ fs.FS, name string) (Image, error) {
	f.record("Build %s", name)
	return Image{Ref: "sha256:built"}, nil
}

func (f *fakeEngine) CreateVolume(_ context.Context, name string, _ int64, _ map[string]string) error {
	f.record("CreateVolume %s", name)
	return nil
}

func (f *fakeEngine) Create(_ context.Context, spec EngineSpec) (string, error) {
	f.seq++
	id := fmt.Sprintf("c%d", f.seq)
	f.record("Create %s", spec.Name)
	f.created = append(f.created, spec)
	f.states[id] = "created"
	return id, nil
}

// transition records a call and, when the container exists, moves it to state.
func (f *fakeEngine) transition(call, id, state string) error {
	f.record("%s %s", call, id)
	if err := f.exists(id); err != nil {
		return err
	}
	f.states[id] = state
	return nil
}

func (f *fakeEngine) Start(_ context.Context, id string) error {
	return f.transition("Start", id, "running")
}

func (f *fakeEngine) Kill(_ context.Context, id string, sig Signal) error {
	state := "running"
	if sig.terminates() {
		state = "exited"
	}
	return f.transition("Kill "+sig.Name, id, state)
}

func (f *fakeEngine) Stop(_ context.Context, id string, _ time.Duration) error {
	return f.transition("Stop", id, "exited")
}

func (f *fakeEngine) Restart(_ context.Context, id string, _ time.Duration) error {
	return f.transition("Restart", id, "running")
}

func (f *fakeEngine) Pause(_ context.Context, id string) error {
	return f.transition("Pause", id, "paused")
}

func (f *fakeEngine) Unpause(_ context.Context, id string) error {
	return f.transition("Unpause", id, "running")
}

func (f *fakeEngine) Remove(_ context.Context, id string, volumes bool) error {
	f.record("Remove %s volumes=%v", id, volumes)
	if err := f.exists(id); err != nil {
		return err
	}
	delete(f.states, id)
	return nil
}

func (f *fakeEngine) Inspect(_ context.Context, id string) (Status, error) {
	if err := f.exists(id); err != nil {
		return Status{}, err
	}
	return Status{State: f.states[id]}, nil
}

// WaitStopped returns at once for a container that is not running, and
// when ctx ends for one that is: nothing stops it in the fake.
func (f *fakeEngine) WaitStopped(ctx context.Context, id string) error {
	if err := f.exists(id); err != nil {
		return err
	}
	if f.states[id] == "running" {
		<-ctx.Done()
		return Errorf(Infrastructure, "container %s still running: %v", id, ctx.Err())
	}
	return nil
}

func (f *fakeEngine) CountLog(context.Context, string, string) (int, error) { return 0, nil }
func (f *fakeEngine) WaitLog(context.Context, string, string, int) error    { return nil }
func (f *fakeEngine) LogTail(context.Context, string, int) (string, error)  { return "", nil }

// Exec plays the agent for argv that starts with AgentPath, answering in its
// JSON (or as answers says), and runs nothing else (exit 0, no output). Like
// an engine, it fails on a container that is not running.
func (f *fakeEngine) Exec(_ context.Context, id string, argv []string) (ExecResult, error) {
	f.record("Exec %s %s", id, strings.Join(argv, " "))
	if err := f.exists(id); err != nil {
		return ExecResult{}, err
	}
	if f.states[id] != "running" {
		return ExecResult{}, Errorf(Infrastructure, "container %s is not running", id)
	}
	return f.agent(id, argv), nil
}

// Stream plays Exec, line by line.
func (f *fakeEngine) Stream(ctx context.Context, id, _ string, argv []string, line func(string)) (ExecResult, error) {
	res, err := f.Exec(ctx, id, argv)
	for _, l := range strings.Split(strings.TrimSpace(string(res.Stdout)), "\n") {
		if l != "" {
			line(l)
		}
	}
	res.Stdout = nil
	return res, err
}

// RunBeside plays the agent beside a container, paused or not, reading its
// files through /proc/1/root.
func (f *fakeEngine) RunBeside(_ context.Context, id string, argv []string, labels map[string]string) (ExecResult, error) {
	f.record("RunBeside %s %s", id, strings.Join(argv, " "))
	if err := f.exists(id); err != nil {
		return ExecResult{}, err
	}
	in := make([]string, len(argv))
	for i, a := range argv {
		in[i] = strings.TrimPrefix(a, "/proc/1/root")
	}
	return f.agent(id, in), nil
}

// agent answers as the agent in container id would.
func (f *fakeEngine) agent(id string, argv []string) ExecResult {
	if len(argv) == 0 || argv[0] != AgentPath {
		return ExecResult{}
	}
	if len(argv) >= 3 {
		if res, ok := f.answers[argv[1]+" "+fileKey(id, argv[2])]; ok {
			return res // a canned answer, keyed by the first file
		}
	}
	var out []byte
	switch args := argv[2:]; {
	case argv[1] == "write" && len(args) >= 2:
		var targets []string
		for len(args) >= 2 && args[0] == "--mount" {
			targets, args = append(targets, args[1]), args[2:]
		}
		if len(args) < 2 || len(args)%2 != 0 {
			break
		}
		for i := 0; i < len(args); i += 2 {
			path, content := args[i], []byte(args[i+1])
			real := f.resolve(path)
			f.files[fileKey(id, real)] = File{Exists: true, Kind: "file", Data: content}
			mount, rel := "", ""
			for _, t := range targets {
				if r, ok := within(t, real); ok && len(t) > len(mount) {
					mount, rel = t, r
				}
			}
			out = fmt.Appendf(out, `{"path":%q,"real":%q,"mount":%q,"rel":%q,"size":%d,"sha256":%q}`+"\n",
				path, real, mount, rel, len(content), sha256hex(content))
		}
		return ExecResult{Stdout: out}
	case argv[1] == "read" && len(args) >= 1:
		for _, path := range args {
			out = append(out, agentReadAnswer(f.files[fileKey(id, f.resolve(path))])...)
		}
		return ExecResult{Stdout: out}
	}
	return ExecResult{ExitCode: 2, Stderr: []byte("persistcheck-agent: bad arguments\n")}
}

// resolve follows the fake's links in p, as the kernel would: the longest
// link that is p or a parent of it, again until none applies.
func (f *fakeEngine) resolve(p string) string {
	for range 8 {
		best := ""
		for link := range f.links {
			if _, ok := within(link, p); ok && len(link) > len(best) {
				best = link
			}
		}
		if best == "" {
			return p
		}
		rel, _ := within(best, p)
		p = path.Join(f.links[best], rel)
	}
	return p
}

// agentReadAnswer is the agent's one line of JSON for a read that found file.
func agentReadAnswer(file File) []byte {
	switch {
	case !file.Exists:
		return []byte(`{"exists":false}` + "\n")
	case file.Kind != "file":
		return fmt.Appendf(nil, `{"exists":true,"kind":%q,"size":4096}`+"\n", file.Kind)
	}
	return fmt.Appendf(nil, `{"exists":true,"kind":"file","size":%d,"sha256":%q,"data":%q}`+"\n",
		len(file.Data), sha256hex(file.Data), base64.StdEncoding.EncodeToString(file.Data))
}

func sha256hex(b []byte) string {
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

func (f *fakeEngine) ReadFile(_ context.Context, id, path string) (File, error) {
	f.record("ReadFile %s %s", id, path)
	if err := f.exists(id); err != nil {
		return File{}, err
	}
	return f.files[fileKey(id, path)], nil
}

// ReadVia plays storage that outlives its containers: what any container,
// removed or not, wrote at a path under one of mounts' targets.
func (f *fakeEngine) ReadVia(_ context.Context, mounts []EngineMount, paths []string, labels map[string]string) ([]File, error) {
	targets := make([]string, len(mounts))
	for i, m := range mounts {
		targets[i] = m.Source + "@" + m.Target
	}
	f.record("ReadVia %s %s", strings.Join(targets, ","), strings.Join(paths, " "))
	files := make([]File, len(paths))
	for i, p := range paths {
		for key, file := range f.files {
			if strings.HasSuffix(key, ":"+p) {
				files[i] = file
			}
		}
	}
	return files, nil
}

func (f *fakeEngine) RunImage(_ context.Context, ref string, args []string, _ map[string]string) (ExecResult, error) {
	f.record("RunImage %s %s", ref, strings.Join(args, " "))
	return ExecResult{ExitCode: 2}, nil
}

func (f *fakeEngine) InstallAgent(_ context.Context, id string) error {
	f.record("InstallAgent %s", id)
	return f.exists(id)
}

func (f *fakeEngine) RemoveLabelled(_ context.Context, labels map[string]string) ([]string, error) {
	f.record("RemoveLabelled")
	f.labelled = append(f.labelled, maps.Clone(labels))
	return nil, nil
}

// newScenario returns a fake engine and a scenario of a fresh run on it.
func newScenario(t *testing.T) (*fakeEngine, *Run, *Scenario) {
	t.Helper()
	fake := newFake()
	run := NewRun(fake, RunOptions{})
	t.Cleanup(func() {
		if _, err := run.Close(context.Background(), false); err != nil {
			t.Errorf("close the run: %v", err)
		}
	})
	return fake, run, run.Scenario("name", Source{Dir: "."})
}

// must fails the test at once on an error of a setup step.
func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// wantInvalid fails the test unless err is Invalid and its message has
// every one of parts.
func wantInvalid(t *testing.T, err error, parts ...string) {
	t.Helper()
	if err == nil {
		t.Fatalf("got no error, want an Invalid one mentioning %q", parts)
	}
	if k := KindOf(err); k != Invalid {
		t.Errorf("error kind = %v, want %v: %v", k, Invalid, err)
	}
	for _, p := range parts {
		if !strings.Contains(err.Error(), p) {
			t.Errorf("error %q does not mention %q", err, p)
		}
	}
}

// idOf returns the engine id of the current instance of the container name.
func idOf(t *testing.T, s *Scenario, name string) string {
	t.Helper()
	c, err := s.Container(name)
	must(t, err)
	return c.id
}
