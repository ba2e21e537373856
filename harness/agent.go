package harness

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"strings"
)

// The agent's answers (see fixtures/agent). They are its protocol: keep the
// JSON names in step with it.
type agentWritten struct {
	Size   int    `json:"size"`
	SHA256 string `json:"sha256"`
}

type agentFound struct {
	Exists bool   `json:"exists"`
	Kind   string `json:"kind"`
	Size   int64  `json:"size"`
	SHA256 string `json:"sha256"`
	Data   []byte `json:"data"`
}

// agent runs the agent in the running instance with args and decodes its one
// line of JSON into answer. The agent is copied in first where the image
// does not have it.
func (c *Container) agentDo(ctx context.Context, answer any, args ...string) error {
	if !c.agent {
		if err := c.engine().InstallAgent(ctx, c.id); err != nil {
			return Wrap(fmt.Sprintf("copy the agent into %q", c.name), Infrastructure, err)
		}
		c.agent = true
	}
	res, err := c.engine().Exec(ctx, c.id, append([]string{AgentPath}, args...))
	switch {
	case err != nil:
		return Wrap("run the agent in "+c.name, Infrastructure, err)
	case res.ExitCode != 0:
		// The agent ran, inside the container, and its storage refused.
		return Errorf(Finding, "%s", strings.TrimSpace(strings.TrimPrefix(string(res.Stderr), "persistcheck-agent: ")))
	}
	if err := json.Unmarshal(bytes.TrimSpace(res.Stdout), answer); err != nil {
		return Errorf(Infrastructure, "the agent in %q answered %q: %v", c.name, res.Stdout, err)
	}
	return nil
}

// write writes content to path from inside the running container, fsyncing
// the file and its folders, and checks that the agent wrote what was meant.
func (c *Container) write(ctx context.Context, path string, content []byte) error {
	if _, err := c.require(ctx, "write to", "running"); err != nil {
		return err
	}
	var w agentWritten
	if err := c.agentDo(ctx, &w, "write", path, string(content)); err != nil {
		return err
	}
	if want := checksum(content); w.SHA256 != want || w.Size != len(content) {
		return Errorf(Infrastructure, "the agent in %q wrote %d bytes with sha256 %s, not the %d meant (%s)", c.name, w.Size, w.SHA256, len(content), want)
	}
	return nil
}

// read returns what is at path in the container. A running container is read
// from inside, by the agent; a stopped or paused one through the engine's
// archive API. The second result says how, where it matters to a verdict.
func (c *Container) read(ctx context.Context, path string) (File, string, error) {
	st, err := c.status(ctx)
	if err != nil {
		return File{}, "", err
	}
	m, _, mounted := c.launched.mountAt(path)
	inTmpfs := mounted && m.Kind == Tmpfs
	switch {
	case st.State == "running":
		var f agentFound
		if err := c.agentDo(ctx, &f, "read", path); err != nil {
			return File{}, "", err
		}
		if f.Kind == "file" && checksum(f.Data) != f.SHA256 {
			return File{}, "", Errorf(Infrastructure, "the agent's answer for %s in %q lost bytes on the way (sha256 mismatch)", path, c.name)
		}
		return File{Exists: f.Exists, Kind: f.Kind, Data: f.Data}, "", nil
	case inTmpfs && st.State == "paused":
		return File{}, "", Errorf(Invalid, "cannot read %s in %q while it is paused: the engine does not see into a tmpfs from outside, and nothing runs inside a paused container; unpause it first", path, c.name)
	case inTmpfs:
		// Nothing is lost by not looking: a tmpfs holds nothing while its
		// container is stopped.
		return File{}, fmt.Sprintf("%q is %s, and a tmpfs holds nothing while its container is stopped", c.name, describe(st)), nil
	}
	f, err := c.engine().ReadFile(ctx, c.id, path)
	if err != nil {
		return File{}, "", Wrap(fmt.Sprintf("read %s in %q", path, c.name), Infrastructure, err)
	}
	return f, fmt.Sprintf("read through the engine, as %q is %s", c.name, describe(st)), nil
}

func checksum(b []byte) string {
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}
