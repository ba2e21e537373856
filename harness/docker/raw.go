package docker

import (
	"context"
	"fmt"
	"strings"

	"github.com/google/uuid"
	"github.com/moby/moby/api/types/container"
	"github.com/moby/moby/api/types/mount"
	"github.com/moby/moby/client"

	"github.com/persistcheck/persistcheck/harness"
)

// RawCycle is the canonical cycle written straight on the Engine API, as a
// careful hand-written test would write it: the yardstick `make bench`
// measures persistcheck against. Create a volume; run a container of image
// with it; write one file into the volume and one into the container layer;
// SIGKILL; remove; run a new container on the same volume; read both; clean
// up. An image without the agent gets it copied into each new container,
// as a test must do to write into an image without a shell; readyLog, if
// set, is awaited after each start, as testcontainers-go's wait.ForLog
// would.
func (e *Engine) RawCycle(ctx context.Context, image string, copyAgent bool, readyLog string) error {
	cli := e.cli
	vol := "pc-raw-" + uuid.NewString()[:8]
	labels := map[string]string{harness.LabelRun: "raw-" + vol, harness.LabelOwner: harness.Owner()}
	defer e.RemoveLabelled(context.WithoutCancel(ctx), labels)
	if _, err := cli.VolumeCreate(ctx, client.VolumeCreateOptions{Name: vol, Labels: labels}); err != nil {
		return err
	}
	img, err := e.inspect(ctx, image)
	if err != nil {
		return err
	}
	run := func() (string, error) {
		init := true
		hc := &container.HostConfig{Init: &init, NetworkMode: "none", Mounts: []mount.Mount{{Type: mount.TypeVolume, Source: vol, Target: "/data"}}}
		for _, v := range img.Volumes {
			hc.Mounts = append(hc.Mounts, mount.Mount{Type: mount.TypeVolume, Target: v, VolumeOptions: &mount.VolumeOptions{Labels: labels}})
		}
		c, err := cli.ContainerCreate(ctx, client.ContainerCreateOptions{Config: &container.Config{Image: image, Labels: labels}, HostConfig: hc})
		if err != nil {
			return "", err
		}
		if copyAgent {
			if err := e.InstallAgent(ctx, c.ID); err != nil {
				return "", err
			}
		}
		if _, err := cli.ContainerStart(ctx, c.ID, client.ContainerStartOptions{}); err != nil {
			return "", err
		}
		if readyLog != "" {
			if err := e.WaitLog(ctx, c.ID, readyLog, 1); err != nil {
				return "", err
			}
		}
		return c.ID, nil
	}
	exec := func(id string, argv ...string) error {
		res, err := e.Exec(ctx, id, argv)
		if err == nil && res.ExitCode != 0 {
			err = fmt.Errorf("%s: exit %d: %s", strings.Join(argv, " "), res.ExitCode, res.Stderr)
		}
		return err
	}
	first, err := run()
	if err != nil {
		return err
	}
	if err := exec(first, harness.AgentPath, "write", "/data/v", "volume", "/var/l", "layer"); err != nil {
		return err
	}
	if _, err := cli.ContainerKill(ctx, first, client.ContainerKillOptions{Signal: "SIGKILL"}); err != nil {
		return err
	}
	if _, err := cli.ContainerRemove(ctx, first, client.ContainerRemoveOptions{Force: true, RemoveVolumes: true}); err != nil {
		return err
	}
	second, err := run()
	if err != nil {
		return err
	}
	return exec(second, harness.AgentPath, "read", "/data/v", "/var/l")
}
