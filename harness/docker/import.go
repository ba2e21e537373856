package docker

import (
	"context"
	"io"

	"github.com/moby/moby/client"
	"github.com/moby/moby/client/pkg/jsonmessage"

	"github.com/persistcheck/persistcheck/harness"
)

// Import creates an image from a tar stream of a root file system, as
// `docker import` does, with changes (Dockerfile instructions such as
// `CMD ["bash"]`) applied to its config, and names it every one of refs.
// Failures are Infrastructure errors.
func (e *Engine) Import(ctx context.Context, rootfs io.Reader, changes []string, refs ...string) error {
	if len(refs) == 0 {
		return harness.Errorf(harness.Invalid, "import an image: no name for it")
	}
	res, err := e.cli.ImageImport(ctx, client.ImageImportSource{Source: rootfs, SourceName: "-"}, refs[0],
		client.ImageImportOptions{Changes: changes})
	if err != nil {
		return fail("import "+refs[0], err)
	}
	defer res.Close()
	// The engine reports a failure inside the stream, not as a status code.
	if err := jsonmessage.DisplayStream(res, io.Discard); err != nil {
		return fail("import "+refs[0], err)
	}
	for _, ref := range refs[1:] {
		if err := e.Tag(ctx, refs[0], ref); err != nil {
			return err
		}
	}
	return nil
}

// HasImage reports whether the engine has an image named ref. It never
// pulls; only a failure to ask is an error (Infrastructure).
func (e *Engine) HasImage(ctx context.Context, ref string) (bool, error) {
	_, err := e.cli.ImageInspect(ctx, ref)
	switch {
	case isGone(err):
		return false, nil
	case err != nil:
		return false, fail("inspect image "+ref, err)
	}
	return true, nil
}

// Tag gives the image named source the name target too, moving target from
// any image that had it.
func (e *Engine) Tag(ctx context.Context, source, target string) error {
	_, err := e.cli.ImageTag(ctx, client.ImageTagOptions{Source: source, Target: target})
	return fail("tag "+source+" as "+target, err)
}

// Save returns the image ref as `docker save` writes it: a tar stream of
// its layers and config, tagged ref, for another engine to import.
func (e *Engine) Save(ctx context.Context, ref string) (io.ReadCloser, error) {
	rc, err := e.cli.ImageSave(ctx, []string{ref})
	if err != nil {
		return nil, fail("save image "+ref, err)
	}
	return rc, nil
}
