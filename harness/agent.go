package harness

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
)

// The agent's answers (see fixtures/agent). They are its protocol: keep the
// JSON names in step with it.
type agentWritten struct {
	Path    string `json:"path"`
	Real    string `json:"real"`  // where the file landed, links followed
	Mount   string `json:"mount"` // the mount target holding it; "" for the layer
	Rel     string `json:"rel"`   // its path below that target
	Size    int    `json:"size"`
	SHA256  string `json:"sha256"`
	Existed bool   `json:"existed"` // a file was at the path before
}

type agentFound struct {
	Exists  bool    `json:"exists"`
	Kind    string  `json:"kind"`
	SHA256  string  `json:"sha256"`
	Data    []byte  `json:"data"`
	Entries []Entry `json:"entries"`
	Total   int     `json:"total"`
}

// agentDo runs the agent in the running instance with args and decodes its
// lines of JSON, one per file, into answers, which must be a pointer to a
// slice of n. The agent is copied in first where the image lacks it.
func (c *Container) agentDo(ctx context.Context, answers any, n int, args ...string) error {
	if err := c.ensureAgent(ctx); err != nil {
		return err
	}
	res, err := c.engine().Exec(ctx, c.id, append([]string{AgentPath}, args...))
	// Inside the container, a refusal is the container's storage refusing.
	return c.decode(res, err, Finding, answers, n)
}

// ensureAgent copies the agent into the instance where its image lacks it.
func (c *Container) ensureAgent(ctx context.Context) error {
	if c.agent {
		return nil
	}
	if err := c.engine().InstallAgent(ctx, c.id); err != nil {
		return Wrap(fmt.Sprintf("copy the agent into %q", c.name), Infrastructure, err)
	}
	c.agent = true
	return nil
}

// agentBeside runs the agent beside the instance, in a short-lived container
// that shares its processes, as agentDo does inside it. It works while the
// instance is paused: its files are under /proc/1/root, mounts included.
func (c *Container) agentBeside(ctx context.Context, answers any, n int, args ...string) error {
	res, err := c.engine().RunBeside(ctx, c.id, append([]string{AgentPath}, args...), c.s.run.labels(c.s.ID))
	// Beside it, a refusal is the helper's: nothing about the container.
	return c.decode(res, err, Infrastructure, answers, n)
}

// decodeLines decodes n lines of the agent's JSON answers into answers, a
// pointer to a slice; ok is false when there are not n.
func decodeLines(stdout []byte, n int, answers any) (bool, error) {
	lines := bytes.Split(bytes.TrimSpace(stdout), []byte("\n"))
	if len(lines) != n {
		return false, nil
	}
	return true, json.Unmarshal(append(append([]byte("["), bytes.Join(lines, []byte(","))...), ']'), answers)
}

// decode checks what a run of the agent did and decodes its answers. An
// agent that ran and failed is an error of kind refused.
func (c *Container) decode(res ExecResult, err error, refused Kind, answers any, n int) error {
	switch {
	case err != nil:
		return Wrap("run the agent in "+c.name, Infrastructure, err)
	case res.ExitCode != 0:
		return Errorf(refused, "%s", strings.TrimSpace(strings.TrimPrefix(string(res.Stderr), "persistcheck-agent: ")))
	}
	lines := bytes.Split(bytes.TrimSpace(res.Stdout), []byte("\n"))
	if len(lines) != n {
		return Errorf(Infrastructure, "the agent in %q gave %d answers for %d files: %q", c.name, len(lines), n, res.Stdout)
	}
	if err := json.Unmarshal(append(append([]byte("["), bytes.Join(lines, []byte(","))...), ']'), answers); err != nil {
		return Errorf(Infrastructure, "the agent in %q answered %q: %v", c.name, res.Stdout, err)
	}
	return nil
}

// fileContent is a file to write.
type fileContent struct {
	path    string
	content []byte
}

// landed is where a file written in a container really is: the kernel
// follows symbolic links, so /data-link/s may be /data/s on a volume, and
// /data/out/s may be in the container's layer.
type landed struct {
	real    string // the path, links followed
	mount   Mount  // the storage holding it; Kind 0 for the layer
	rel     string // real below mount's target
	existed bool   // a file was there before the write

	// The container when the file was written, to tell later what it went
	// through since.
	instance string // the instance written in
	events   int    // how many events it had gone through
	restarts int    // how often its restart policy had restarted it
}

// write writes files from inside the running container, in one run of the
// agent, fsyncing each file and its folders, checks that the agent wrote
// what was meant, and returns where each file landed.
func (c *Container) write(ctx context.Context, files ...fileContent) ([]landed, error) {
	st, err := c.require(ctx, "write to", "running")
	if err != nil {
		return nil, err
	}
	args := []string{"write"}
	for _, m := range c.launched.Mounts {
		args = append(args, "--mount", m.Target)
	}
	for _, f := range files {
		args = append(args, f.path, string(f.content))
	}
	var written []agentWritten
	if err := c.agentDo(ctx, &written, len(files), args...); err != nil {
		return nil, err
	}
	out := make([]landed, len(files))
	for i, w := range written {
		f := files[i]
		if want := checksum(f.content); w.SHA256 != want || w.Size != len(f.content) {
			return nil, Errorf(Infrastructure, "the agent in %q wrote %d bytes with sha256 %s to %s, not the %d meant (%s)", c.name, w.Size, w.SHA256, f.path, len(f.content), want)
		}
		if out[i], err = c.landedAt(w, st); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// landedAt turns the agent's word on where a file landed into the storage
// that holds it, noting what the container had gone through then.
func (c *Container) landedAt(w agentWritten, st Status) (landed, error) {
	l := landed{real: w.Real, existed: w.Existed, instance: c.id, events: len(c.events), restarts: st.RestartCount}
	if w.Mount != "" {
		j := slices.IndexFunc(c.launched.Mounts, func(m Mount) bool { return m.Target == w.Mount })
		if j < 0 {
			return l, Errorf(Infrastructure, "the agent in %q placed %s on a mount at %s, which the container does not have", c.name, w.Real, w.Mount)
		}
		l.mount, l.rel = c.launched.Mounts[j], w.Rel
	}
	return l, nil
}

// reading is what a read found at a path, and how it was read when that
// matters to a verdict.
type reading struct {
	File
	how string
}

// spot is a path to read in a container and the storage that holds it
// there (Kind 0: the container's layer).
type spot struct {
	path string
	at   Mount
}

// spotOf returns where p is in the container, by the mounts of its current
// (or last) instance.
func (c *Container) spotOf(p string) spot {
	m, _, _ := c.launched.mountAt(p)
	return spot{p, m}
}

// read returns what is at each spot in the container. A running container
// is read from inside, by the agent, in one run. A stopped one is read
// through the engine's archive API, which sees volumes and host folders (a
// tmpfs holds nothing while its container is stopped). A paused one is read
// through the archive API too, or, when a spot is in a tmpfs, which the
// archive API cannot see, by the agent beside it. Of a removed container,
// what went with it is gone, and what outlives it is read where it was.
func (c *Container) read(ctx context.Context, spots ...spot) ([]reading, error) {
	if c.id == "" && c.launches > 0 {
		return c.readRemoved(ctx, spots)
	}
	st, err := c.status(ctx)
	if err != nil {
		return nil, err
	}
	paths := make([]string, len(spots))
	for i, sp := range spots {
		paths[i] = sp.path
	}
	inTmpfs := func(sp spot) bool { return sp.at.Kind == Tmpfs }
	switch {
	case st.State == "running":
		return c.readAgent(ctx, c.agentDo, "", paths...)
	case st.State == "paused" && slices.ContainsFunc(spots, inTmpfs):
		beside := make([]string, len(paths))
		for i, p := range paths {
			beside[i] = "/proc/1/root" + p
		}
		return c.readAgent(ctx, c.agentBeside, fmt.Sprintf("read beside %q, as it is paused", c.name), beside...)
	}
	out := make([]reading, len(spots))
	for i, sp := range spots {
		// Docker empties a tmpfs when its container stops; an engine that
		// keeps it (a memory emptyDir belongs to the pod) is asked.
		if st.State != "paused" && inTmpfs(sp) && !c.s.run.truth.Keeps(TmpfsStorage, false, true) {
			out[i].how = fmt.Sprintf("%q is %s, and a tmpfs holds nothing while its container is stopped", c.name, describe(st))
			continue
		}
		if out[i].File, err = c.engine().ReadFile(ctx, c.id, sp.path); err != nil {
			return nil, Wrap("read through the engine", Unknown, err) // the engine says whose fault
		}
		out[i].how = fmt.Sprintf("read through the engine, as %q is %s", c.name, describe(st))
	}
	return out, nil
}

// readAgent reads paths with one run of the agent through do.
func (c *Container) readAgent(ctx context.Context, do func(context.Context, any, int, ...string) error, how string, paths ...string) ([]reading, error) {
	var found []agentFound
	if err := do(ctx, &found, len(paths), append([]string{"read"}, paths...)...); err != nil {
		return nil, err
	}
	out := make([]reading, len(paths))
	for i, f := range found {
		if f.Kind == "file" && checksum(f.Data) != f.SHA256 {
			return nil, Errorf(Infrastructure, "the agent's answer for %s in %q lost bytes on the way (sha256 mismatch)", paths[i], c.name)
		}
		out[i] = reading{File{Exists: f.Exists, Kind: f.Kind, Data: f.Data, Entries: f.Entries, Total: f.Total}, how}
	}
	return out, nil
}

// readRemoved answers for a removed container: its layer, its tmpfs and its
// anonymous volumes went with it (an anonymous volume may dangle, but no
// container of this spec will mount it again). Its named volumes and host
// folders outlive it, and are read through a container that mounts them
// where it did.
func (c *Container) readRemoved(ctx context.Context, spots []spot) ([]reading, error) {
	out := make([]reading, len(spots))
	var outlive []int // indexes of the spots in storage that outlives c
	var mounts []EngineMount
	for i, sp := range spots {
		m := sp.at
		switch {
		case m.Kind.outlives():
			outlive = append(outlive, i)
			if !slices.ContainsFunc(mounts, func(em EngineMount) bool { return em.Target == m.Target }) {
				mounts = append(mounts, c.s.engineMount(m))
			}
			out[i].how = fmt.Sprintf("container %q was removed; its %s outlives it and was read there", c.name, m)
		case m.Kind != 0:
			out[i].how = fmt.Sprintf("container %q was removed, and its %s with it", c.name, m)
		default:
			out[i].how = fmt.Sprintf("container %q was removed, and its layer with it", c.name)
		}
	}
	if len(outlive) == 0 {
		return out, nil
	}
	read := make([]string, len(outlive))
	for j, i := range outlive {
		read[j] = spots[i].path
	}
	files, err := c.engine().ReadVia(ctx, mounts, read, c.s.run.labels(c.s.ID))
	if err != nil {
		return nil, Wrap(fmt.Sprintf("read the storage of removed container %q", c.name), Infrastructure, err)
	}
	for j, i := range outlive {
		out[i].File = files[j]
	}
	return out, nil
}

func checksum(b []byte) string {
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}
