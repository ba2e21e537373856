package docker

import (
	"archive/tar"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"io"
	"io/fs"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/moby/moby/api/types/container"
	"github.com/moby/moby/client"
	"github.com/testcontainers/testcontainers-go"

	"github.com/persistcheck/persistcheck/fixtures"
	"github.com/persistcheck/persistcheck/harness"
)

// builtinTag is the tag of the built-in image for this version of the agent
// and recipe; BuiltinImage:latest points to the last one ensured.
func builtinTag() string { return harness.BuiltinImage + ":" + fixtures.Digest()[:12] }

func isBuiltin(ref string) bool {
	return ref == harness.BuiltinImage || ref == harness.BuiltinImage+":latest"
}

// Image returns the image ref names. The built-in image is built when it is
// missing; any other missing image is an Infrastructure error, as nothing is
// ever pulled (Podman first copies it from the Docker engine on the same
// host, when that has it).
func (e *Engine) Image(ctx context.Context, ref string) (harness.Image, error) {
	if isBuiltin(ref) {
		return e.builtinImage(ctx)
	}
	img, err := e.inspect(ctx, ref)
	if isGone(err) && e.podman != nil {
		copied, cerr := e.fromDocker(ctx, ref)
		if cerr != nil {
			return img, cerr
		}
		if copied {
			img, err = e.inspect(ctx, ref)
		}
	}
	if isGone(err) {
		return img, harness.Errorf(harness.Infrastructure,
			"image %q is not on the engine, and persistcheck never pulls: build it (docker build -t %s FOLDER), load it (docker load -i FILE), or build it in the scenario: Given an image %q built from \"FOLDER\"", ref, ref, ref)
	}
	return img, err
}

func (e *Engine) inspect(ctx context.Context, ref string) (harness.Image, error) {
	res, err := e.cli.ImageInspect(ctx, ref)
	if isGone(err) {
		return harness.Image{}, err
	}
	if err != nil {
		return harness.Image{}, fail("inspect image "+ref, err)
	}
	img := harness.Image{Ref: ref}
	if cfg := res.Config; cfg != nil {
		for v := range cfg.Volumes {
			img.Volumes = append(img.Volumes, v)
		}
		sort.Strings(img.Volumes)
		img.HasAgent = cfg.Labels["persistcheck.agent"] == harness.AgentPath
		img.Entrypoint, img.Cmd, img.WorkingDir = cfg.Entrypoint, cfg.Cmd, cfg.WorkingDir
		img.Health = healthcheckOf(cfg.Healthcheck) != nil
	}
	if e.podman.own() {
		h, err := e.podman.imageHealth(ctx, ref)
		if err != nil {
			return harness.Image{}, fail("inspect the HEALTHCHECK of image "+ref, err)
		}
		img.Health = h != nil
	}
	return img, nil
}

// builtinImage ensures the built-in image for this version exists, building
// it once per process when it does not, and points :latest at it.
func (e *Engine) builtinImage(ctx context.Context) (harness.Image, error) {
	e.builtinMu.Lock()
	defer e.builtinMu.Unlock()
	if e.builtin != nil {
		return *e.builtin, nil
	}
	tag := builtinTag()
	img, err := e.inspect(ctx, tag)
	if isGone(err) {
		img, err = e.buildBuiltin(ctx, tag)
	}
	if err != nil {
		return img, err
	}
	latest, lerr := e.cli.ImageInspect(ctx, harness.BuiltinImage+":latest")
	current, cerr := e.cli.ImageInspect(ctx, tag)
	if lerr == nil && cerr == nil && latest.ID == current.ID {
		e.builtin = &img // :latest is this one already
		return img, nil
	}
	if _, err := e.cli.ImageTag(ctx, client.ImageTagOptions{Source: tag, Target: harness.BuiltinImage + ":latest"}); err != nil {
		return img, fail("tag "+tag+" as latest", err)
	}
	e.builtin = &img
	return img, nil
}

func (e *Engine) buildBuiltin(ctx context.Context, tag string) (harness.Image, error) {
	bin, err := fixtures.BuildAgent(ctx, e.arch)
	if err != nil {
		return harness.Image{}, harness.Wrap("build "+harness.BuiltinImage, harness.Infrastructure, err)
	}
	e.agentMu.Lock()
	e.agent = bin
	e.agentMu.Unlock()
	tarball, _, err := pack(fixtures.App(), map[string][]byte{"persistcheck-agent": bin})
	if err != nil {
		return harness.Image{}, fail("pack the build context of "+harness.BuiltinImage, err)
	}
	if err := e.build(ctx, tarball, tag); err != nil {
		return harness.Image{}, harness.Wrap("build "+harness.BuiltinImage, harness.Infrastructure, err)
	}
	return e.inspect(ctx, tag)
}

// build is one Dockerfile folder built by this process.
type build struct {
	mu  sync.Mutex
	img *harness.Image
}

// Build builds the Dockerfile at the root of dir and tags it name, if given,
// and persistcheck/build:<digest of the folder>. A folder is built once per
// process; the engine's build cache makes later runs quick. A Dockerfile
// FROM the built-in image gets that image built first.
func (e *Engine) Build(ctx context.Context, dir fs.FS, name string) (harness.Image, error) {
	dockerfile, err := fs.ReadFile(dir, "Dockerfile")
	if err != nil {
		return harness.Image{}, harness.Errorf(harness.Invalid, "no Dockerfile in the folder: %v", err)
	}
	tarball, digest, err := pack(dir, nil)
	if err != nil {
		return harness.Image{}, fail("pack the build context", err)
	}
	tag := "persistcheck/build:" + digest[:12]

	e.buildsMu.Lock()
	b := e.builds[digest+" "+name]
	if b == nil {
		b = &build{}
		e.builds[digest+" "+name] = b
	}
	e.buildsMu.Unlock()
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.img != nil {
		return *b.img, nil
	}
	if bytes.Contains(dockerfile, []byte(harness.BuiltinImage)) {
		if _, err := e.builtinImage(ctx); err != nil {
			return harness.Image{}, err
		}
	}
	tags := []string{tag}
	if name != "" {
		tags = append(tags, name)
	}
	if err := e.build(ctx, tarball, tags...); err != nil {
		return harness.Image{}, err
	}
	img, err := e.inspect(ctx, tag)
	if err != nil {
		return img, err
	}
	if name != "" {
		img.Ref = name
	}
	b.img = &img
	return img, nil
}

// build runs the classic builder on a tar context through testcontainers-go
// and keeps the image. The build log goes to the engine's log writer, and
// its end into the error when the build fails.
func (e *Engine) build(ctx context.Context, tarball []byte, tags ...string) error {
	repo, tag, _ := strings.Cut(tags[0], ":")
	var log bytes.Buffer
	req := &testcontainers.ContainerRequest{FromDockerfile: testcontainers.FromDockerfile{
		ContextArchive: bytes.NewReader(tarball),
		Repo:           repo,
		Tag:            tag,
		KeepImage:      true,
		BuildLogWriter: io.MultiWriter(&log, e.out),
		BuildOptionsModifier: func(o *client.ImageBuildOptions) {
			o.Tags = append(o.Tags, tags[1:]...)
		},
	}}
	p, err := e.builder()
	if err != nil {
		return err
	}
	if _, err := p.BuildImage(ctx, req); err != nil {
		return fmt.Errorf("%w\n    the end of the build log:\n%s", err, lastLines(log.String(), 15))
	}
	return nil
}

// pack writes the files of dir, and extra files at its root, as a tar stream
// in a fixed order, and a digest of their names, modes and contents (not
// their times).
//
// Every file gets a modification time: the engine's naive layer differ
// (fuse-overlayfs and vfs use it) takes a file with the same size and time as
// the one below it for unchanged, and drops it from the layer. Embedded files
// have no time, so they get one derived from their content: two versions of
// a file differ in time whenever they differ at all.
func pack(dir fs.FS, extra map[string][]byte) (tarball []byte, digest string, err error) {
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	h := sha256.New()
	add := func(hdr *tar.Header, data []byte) error {
		if hdr.ModTime.IsZero() {
			hdr.ModTime = contentTime(hdr.Name+"\x00"+hdr.Linkname, data)
		}
		fmt.Fprintf(h, "%s %o %d %s\n", hdr.Name, hdr.Mode, len(data), hdr.Linkname)
		h.Write(data)
		if err := tw.WriteHeader(hdr); err != nil {
			return err
		}
		_, err := tw.Write(data)
		return err
	}
	err = fs.WalkDir(dir, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil || p == "." {
			return err
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		hdr := &tar.Header{Name: p, Mode: int64(info.Mode().Perm()), ModTime: info.ModTime()}
		switch {
		case d.IsDir():
			hdr.Typeflag, hdr.Name = tar.TypeDir, p+"/"
			return add(hdr, nil)
		case d.Type()&fs.ModeSymlink != 0:
			// A link goes in as a link, as docker build sends it, and COPY
			// copies it as a link.
			target, err := fs.ReadLink(dir, p)
			if err != nil {
				return err
			}
			hdr.Typeflag, hdr.Linkname, hdr.Mode = tar.TypeSymlink, target, 0o777
			return add(hdr, nil)
		case !info.Mode().IsRegular():
			return nil // sockets, devices: not part of a build context
		}
		data, err := fs.ReadFile(dir, p)
		if err != nil {
			return err
		}
		hdr.Typeflag, hdr.Size = tar.TypeReg, int64(len(data))
		return add(hdr, data)
	})
	if err != nil {
		return nil, "", err
	}
	names := make([]string, 0, len(extra))
	for n := range extra {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		hdr := &tar.Header{Name: n, Typeflag: tar.TypeReg, Mode: 0o755, Size: int64(len(extra[n]))}
		if err := add(hdr, extra[n]); err != nil {
			return nil, "", err
		}
	}
	if err := tw.Close(); err != nil {
		return nil, "", err
	}
	return buf.Bytes(), hex.EncodeToString(h.Sum(nil)), nil
}

// contentTime returns a time between 2001 and 2137 that only the same name
// and content map to.
func contentTime(name string, data []byte) time.Time {
	sum := sha256.Sum256(append([]byte(name+"\x00"), data...))
	return time.Unix(1e9+int64(binary.BigEndian.Uint32(sum[:4])), 0)
}

func lastLines(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return "    " + strings.Join(lines, "\n    ")
}

// Healthcheck returns the HEALTHCHECK the image ref declares, or nil: an
// engine that does not run it (Kubernetes) can make a probe of it.
func (e *Engine) Healthcheck(ctx context.Context, ref string) (*harness.Healthcheck, error) {
	if e.podman.own() {
		h, err := e.podman.imageHealth(ctx, ref)
		return h, fail("inspect the HEALTHCHECK of image "+ref, err)
	}
	res, err := e.cli.ImageInspect(ctx, ref)
	if err != nil {
		return nil, fail("inspect image "+ref, err)
	}
	if res.Config == nil {
		return nil, nil
	}
	return healthcheckOf(res.Config.Healthcheck), nil
}

// healthcheckOf returns the HEALTHCHECK h declares, or nil for none: no
// test, or NONE, which turns off the one of a base image.
func healthcheckOf(h *container.HealthConfig) *harness.Healthcheck {
	if h == nil || len(h.Test) == 0 || h.Test[0] == "NONE" {
		return nil
	}
	return &harness.Healthcheck{Test: h.Test, Interval: h.Interval, Timeout: h.Timeout, StartPeriod: h.StartPeriod, Retries: h.Retries}
}
