package docker

import (
	"context"

	"github.com/moby/moby/client"

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
	f, err := e.ReadFile(ctx, created, harness.AgentPath)
	if err != nil {
		return nil, err
	}
	if !f.Exists {
		return nil, harness.Errorf(harness.Infrastructure, "image %s has no agent at %s", builtinTag(), harness.AgentPath)
	}
	e.agent = f.Data
	return e.agent, nil
}
