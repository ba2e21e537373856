package docker

import (
	"archive/tar"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"path"
	"slices"
	"strings"

	"github.com/moby/moby/client"

	"github.com/persistcheck/persistcheck/harness"
)

// maxLinks bounds how many symbolic links ReadFile follows.
const maxLinks = 8

// ReadFile reads p through the archive API, following symbolic links as a
// process in the container would. It works on stopped and paused containers
// and sees volumes and host folders, but not into a tmpfs. On Podman, a
// size-limited volume of a stopped container is read by a helper that
// mounts it (readStarted).
func (e *Engine) ReadFile(ctx context.Context, id, p string) (harness.File, error) {
	if e.podman != nil {
		m, labels, ok, err := e.optionVolumeAt(ctx, id, p)
		if err != nil && !isGone(err) {
			return harness.File{}, fail("read "+p, err)
		}
		if ok {
			files, err := e.readStarted(ctx, []harness.EngineMount{m}, []string{p}, labels)
			if err != nil {
				return harness.File{}, err
			}
			return files[0], nil
		}
	}
	return e.readArchive(ctx, id, p)
}

// readArchive reads p through the archive API, links followed.
func (e *Engine) readArchive(ctx context.Context, id, p string) (harness.File, error) {
	for range maxLinks {
		res, err := e.cli.CopyFromContainer(ctx, id, client.CopyFromContainerOptions{SourcePath: p})
		if isGone(err) || err != nil && strings.Contains(err.Error(), "not a directory") {
			return harness.File{}, nil
		}
		if err != nil {
			return harness.File{}, fail("read "+p, err)
		}
		tr := tar.NewReader(res.Content)
		hdr, data, err := firstEntry(tr)
		if err == nil && hdr.Typeflag == tar.TypeDir {
			f := harness.File{Exists: true, Kind: "folder"}
			f.Entries, f.Total, err = entries(tr, hdr.Name)
			res.Content.Close()
			return f, fail("list "+p, err)
		}
		res.Content.Close()
		if err != nil {
			return harness.File{}, fail("read "+p, err)
		}
		switch hdr.Typeflag {
		case tar.TypeReg:
			return harness.File{Exists: true, Kind: "file", Data: data}, nil
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

// maxEntries bounds how many entries of a folder ReadFile lists.
const maxEntries = 50

// entries lists the entries directly below dir in the rest of an archive of
// dir, the first maxEntries by name, and counts them all. The archive holds
// the whole tree: its contents are skipped, not kept.
func entries(tr *tar.Reader, dir string) ([]harness.Entry, int, error) {
	var out []harness.Entry
	total := 0
	for {
		hdr, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, 0, fmt.Errorf("archive: %w", err)
		}
		rel := strings.TrimSuffix(strings.TrimPrefix(hdr.Name, dir), "/")
		if rel == "" || strings.Contains(rel, "/") {
			continue
		}
		total++
		e := harness.Entry{Name: rel, Kind: "other"}
		switch hdr.Typeflag {
		case tar.TypeReg:
			e.Kind, e.Size = "file", hdr.Size
		case tar.TypeDir:
			e.Kind = "folder"
		case tar.TypeSymlink:
			e.Kind = "link"
		}
		out = append(out, e)
	}
	slices.SortFunc(out, func(a, b harness.Entry) int { return strings.Compare(a.Name, b.Name) })
	return out[:min(len(out), maxEntries)], total, nil
}

// firstEntry returns the first entry of a tar stream, with its content.
func firstEntry(tr *tar.Reader) (*tar.Header, []byte, error) {
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
	return e.copyAgent(ctx, id, "/", strings.TrimPrefix(harness.AgentPath, "/"), bin)
}

// copyAgent writes bin, executable, at rel below the container's folder
// into, which exists, rel's folder made as needed.
func (e *Engine) copyAgent(ctx context.Context, id, into, rel string, bin []byte) error {
	dir, name := path.Split(rel)
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	var err error
	if dir != "" {
		err = tw.WriteHeader(&tar.Header{Name: dir, Typeflag: tar.TypeDir, Mode: 0o755})
	}
	err = errors.Join(err, tw.WriteHeader(&tar.Header{Name: dir + name, Typeflag: tar.TypeReg, Mode: 0o755, Size: int64(len(bin))}))
	if err == nil {
		_, err = tw.Write(bin)
	}
	if err = errors.Join(err, tw.Close()); err != nil {
		return fail("pack the agent", err)
	}
	_, err = e.cli.CopyToContainer(ctx, id, client.CopyToContainerOptions{DestinationPath: into, Content: &buf})
	return fail("copy the agent in", err)
}
