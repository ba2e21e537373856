package docker

import (
	"archive/tar"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"path"
	"strings"

	"github.com/moby/moby/client"

	"github.com/persistcheck/persistcheck/harness"
)

// maxLinks bounds how many symbolic links ReadFile follows.
const maxLinks = 8

// ReadFile reads p through the archive API, following symbolic links as a
// process in the container would. It works on stopped and paused containers
// and sees volumes and host folders, but not into a tmpfs.
func (e *Engine) ReadFile(ctx context.Context, id, p string) (harness.File, error) {
	for range maxLinks {
		res, err := e.cli.CopyFromContainer(ctx, id, client.CopyFromContainerOptions{SourcePath: p})
		if isGone(err) || err != nil && strings.Contains(err.Error(), "not a directory") {
			return harness.File{}, nil
		}
		if err != nil {
			return harness.File{}, fail("read "+p, err)
		}
		hdr, data, err := firstEntry(res.Content)
		res.Content.Close()
		if err != nil {
			return harness.File{}, fail("read "+p, err)
		}
		switch hdr.Typeflag {
		case tar.TypeReg:
			return harness.File{Exists: true, Kind: "file", Data: data}, nil
		case tar.TypeDir:
			return harness.File{Exists: true, Kind: "folder"}, nil
		case tar.TypeSymlink:
			if path.IsAbs(hdr.Linkname) {
				p = hdr.Linkname
			} else {
				p = path.Join(path.Dir(p), hdr.Linkname)
			}
		default:
			return harness.File{Exists: true, Kind: "other"}, nil
		}
	}
	return harness.File{}, harness.Errorf(harness.Infrastructure, "read %s: more than %d symbolic links", p, maxLinks)
}

// firstEntry returns the first entry of a tar stream, with its content.
func firstEntry(r io.Reader) (*tar.Header, []byte, error) {
	tr := tar.NewReader(r)
	hdr, err := tr.Next()
	if err != nil {
		return nil, nil, fmt.Errorf("archive: %w", err)
	}
	data, err := io.ReadAll(tr)
	return hdr, data, err
}

// InstallAgent copies the agent into the container at harness.AgentPath. It
// works on a container in any state.
func (e *Engine) InstallAgent(ctx context.Context, id string) error {
	bin, err := e.agentBinary(ctx)
	if err != nil {
		return err
	}
	dir, name := path.Split(strings.TrimPrefix(harness.AgentPath, "/"))
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	err = errors.Join(
		tw.WriteHeader(&tar.Header{Name: dir, Typeflag: tar.TypeDir, Mode: 0o755}),
		tw.WriteHeader(&tar.Header{Name: dir + name, Typeflag: tar.TypeReg, Mode: 0o755, Size: int64(len(bin))}),
	)
	if err == nil {
		_, err = tw.Write(bin)
	}
	if err = errors.Join(err, tw.Close()); err != nil {
		return fail("pack the agent", err)
	}
	_, err = e.cli.CopyToContainer(ctx, id, client.CopyToContainerOptions{DestinationPath: "/", Content: &buf})
	return fail("copy the agent in", err)
}
