package docker

import (
	"bytes"
	"context"

	"github.com/moby/moby/client"

	"github.com/persistcheck/persistcheck/fixtures"
	"github.com/persistcheck/persistcheck/harness"
)

// agentBinary returns the agent for containers whose image lacks it: the one
// this process compiled for the built-in image, or else the one inside that
// image, copied out of a container created (never started) for the purpose.
func (e *Engine) agentBinary(ctx context.Context) ([]byte, error) {
	if _, err := e.builtinImage(ctx); err != nil {
		return nil, err
	}
	e.agentMu.Lock()
	defer e.agentMu.Unlock()
	if e.agent != nil {
		return e.agent, nil
	}
	labels := map[string]string{harness.LabelRun: "agent-copy", harness.LabelOwner: harness.Owner()}
	created, err := e.createHelper(ctx, helper{labels: labels})
	if err != nil {
		return nil, fail("create a container to copy the agent from", err)
	}
	defer e.cli.ContainerRemove(context.WithoutCancel(ctx), created, client.ContainerRemoveOptions{Force: true, RemoveVolumes: true})
	f, err := e.readArchive(ctx, created, harness.AgentPath)
	if err != nil {
		return nil, err
	}
	if !f.Exists {
		return nil, harness.Errorf(harness.Infrastructure, "image %s has no agent at %s", builtinTag(), harness.AgentPath)
	}
	e.agent = f.Data
	return e.agent, nil
}

// labelAgent marks the engine's agent volume with the agent's digest.
const labelAgent = "persistcheck.agent-volume"

// agentVolume returns the engine's agent volume: a volume holding the agent
// of this version, which containers of images without the agent mount
// read-only at its folder, instead of a copy per container. It is a cache,
// as images are, named by the agent's digest, and kept. A process checks
// it once, and fills it when the agent in it is not this one.
func (e *Engine) agentVolume(ctx context.Context) (string, error) {
	e.agentVolMu.Lock()
	defer e.agentVolMu.Unlock()
	name := "persistcheck-agent-" + fixtures.Digest()[:12]
	if e.agentVol == name {
		return name, nil
	}
	// A volume of the same name, empty, marks the agent volume filled: it
	// is made only once the agent is in.
	filled := name + "-filled"
	if _, err := e.cli.VolumeInspect(ctx, filled, client.VolumeInspectOptions{}); err == nil {
		e.agentVol = name
		return name, nil
	}
	bin, err := e.agentBinary(ctx)
	if err != nil {
		return "", err
	}
	if _, err := e.cli.VolumeCreate(ctx, client.VolumeCreateOptions{Name: name, Labels: map[string]string{labelAgent: fixtures.Digest()}}); err != nil {
		return "", fail("create the agent volume", err)
	}
	created, err := e.createHelper(ctx, helper{
		labels: map[string]string{harness.LabelRun: "agent-volume", harness.LabelOwner: harness.Owner()},
		mounts: []harness.EngineMount{{Kind: harness.NamedVolume, Source: name, Target: "/agent-volume"}},
	})
	if err != nil {
		return "", fail("create a container to fill the agent volume", err)
	}
	defer e.cli.ContainerRemove(context.WithoutCancel(ctx), created, client.ContainerRemoveOptions{Force: true})
	holds := func() bool {
		f, err := e.readArchive(ctx, created, "/agent-volume/agent")
		return err == nil && bytes.Equal(f.Data, bin)
	}
	if !holds() {
		// Another process may fill it at the same moment, with the same
		// bytes: what matters is that it holds them after. The copy goes
		// to the volume's own folder: Podman puts what is copied to "/"
		// in the container's layer, even below a volume's mount point.
		err := e.copyAgent(ctx, created, "/agent-volume", "agent", bin)
		if !holds() {
			return "", fail("fill the agent volume", err)
		}
	}
	if _, err := e.cli.VolumeCreate(ctx, client.VolumeCreateOptions{Name: filled, Labels: map[string]string{labelAgent: fixtures.Digest()}}); err != nil {
		return "", fail("mark the agent volume filled", err)
	}
	e.agentVol = name
	return name, nil
}
