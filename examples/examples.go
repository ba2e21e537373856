// Package examples builds the images of the real databases the examples run:
// a Debian base made from Debian's packages with debootstrap, since no
// registry can be reached, and ordinary Dockerfiles FROM it that install
// PostgreSQL, MariaDB, Redis and SQLite from Debian's packages.
//
// Every image is tagged with a digest of its recipe as well as its usual
// name, and is built only when the engine lacks that digest: a call that
// finds everything built costs a few engine round trips.
package examples

import (
	"bytes"
	"context"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"fmt"
	"io"
	"io/fs"
	"slices"
	"strings"
	"testing/fstest"
	"time"

	"github.com/persistcheck/persistcheck/harness"
)

// The build context of an example is its Dockerfile and the scripts and
// configuration files beside it, not the scenarios and compose files that
// share its folder: changing a scenario does not rebuild an image.
//
//go:embed */Dockerfile */*.sh */*.cnf
var recipes embed.FS

// Engine is what Ensure needs of a container engine; harness/docker's
// Engine has it.
type Engine interface {
	// HasImage reports whether the engine has an image named ref.
	HasImage(ctx context.Context, ref string) (bool, error)
	// Import makes an image of a tar stream of a root file system, with
	// changes applied to its config, and names it every one of refs.
	Import(ctx context.Context, rootfs io.Reader, changes []string, refs ...string) error
	// Build builds the Dockerfile at the root of dir and names it name.
	Build(ctx context.Context, dir fs.FS, name string) (harness.Image, error)
	// Tag gives the image named source the name target too.
	Tag(ctx context.Context, source, target string) error
}

// Image is one of the images Ensure builds.
type Image struct {
	Name string // its folder under examples/; "debian" for the base
	Ref  string // the name Dockerfiles and scenarios use
}

// Base is the Debian image the other images are built FROM.
const Base = "persistcheck/debian:bookworm"

var images = []Image{
	{"debian", Base},
	{"postgres", "persistcheck/postgres:15"},
	{"mariadb", "persistcheck/mariadb:10.11"},
	{"redis", "persistcheck/redis:7"},
	{"sqlite", "persistcheck/sqlite:3"},
}

// Images lists the images Ensure knows, the base first.
func Images() []Image { return slices.Clone(images) }

// Ensure makes sure the engine has the images named (every one when names
// is empty), building what is missing, the base first, and writes one line
// per image to log: built, with how long it took, or found. An unknown name
// is an Invalid error; a build that fails is Infrastructure.
func Ensure(ctx context.Context, eng Engine, log io.Writer, names ...string) error {
	want, err := pick(names)
	if err != nil {
		return err
	}
	base := baseRecipe.digest()
	baseReady := false
	ensureBase := func() error {
		if baseReady {
			return nil
		}
		baseReady = true
		return ensureDebian(ctx, eng, log, base)
	}
	for _, img := range want {
		if img.Name == "debian" {
			if err := ensureBase(); err != nil {
				return err
			}
			continue
		}
		dir, err := fs.Sub(recipes, img.Name)
		if err != nil {
			return err
		}
		pinned := pin(img.Ref, imageDigest(base, dir))
		found, err := eng.HasImage(ctx, pinned)
		if err != nil {
			return err
		}
		if found {
			if err := eng.Tag(ctx, pinned, img.Ref); err != nil {
				return err
			}
			fmt.Fprintf(log, "%-28s found (%s)\n", img.Ref, pinned)
			continue
		}
		if err := ensureBase(); err != nil {
			return err
		}
		fmt.Fprintf(log, "%-28s building from examples/%s...\n", img.Ref, img.Name)
		start := time.Now()
		if _, err := eng.Build(ctx, onBase(dir, pin(Base, base)), pinned); err != nil {
			return harness.Wrap("build "+img.Ref, harness.Infrastructure, err)
		}
		if err := eng.Tag(ctx, pinned, img.Ref); err != nil {
			return err
		}
		fmt.Fprintf(log, "%-28s built in %s (%s)\n", img.Ref, time.Since(start).Round(100*time.Millisecond), pinned)
	}
	return nil
}

// pick returns the images names asks for, in build order.
func pick(names []string) ([]Image, error) {
	if len(names) == 0 {
		return Images(), nil
	}
	var want []Image
	for _, img := range images {
		if slices.Contains(names, img.Name) || slices.Contains(names, img.Ref) {
			want = append(want, img)
		}
	}
	for _, n := range names {
		if !slices.ContainsFunc(images, func(img Image) bool { return n == img.Name || n == img.Ref }) {
			known := make([]string, len(images))
			for i, img := range images {
				known[i] = img.Name
			}
			return nil, harness.Errorf(harness.Invalid, "no example image %q: there are %s", n, strings.Join(known, ", "))
		}
	}
	return want, nil
}

// onBase returns the build context dir with its Dockerfile built FROM base,
// the base of the digest, rather than whatever Base names on the engine at
// the time: another process with another recipe may have moved that name.
func onBase(dir fs.FS, base string) fs.FS {
	ctx := fstest.MapFS{}
	fs.WalkDir(dir, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		data, err := fs.ReadFile(dir, p)
		if p == "Dockerfile" {
			data = bytes.ReplaceAll(data, []byte("FROM "+Base+"\n"), []byte("FROM "+base+"\n"))
		}
		ctx[p] = &fstest.MapFile{Data: data, Mode: 0o644}
		return err
	})
	return ctx
}

// pin returns ref with its tag replaced by the first 12 digits of digest.
func pin(ref, digest string) string {
	repo, _, _ := strings.Cut(ref, ":")
	return repo + ":" + digest[:12]
}

// imageDigest identifies an image by its base's recipe and the names and
// contents of the files of its build context.
func imageDigest(base string, dir fs.FS) string {
	h := sha256.New()
	fmt.Fprintf(h, "FROM %s %s\n", Base, base)
	fs.WalkDir(dir, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		data, err := fs.ReadFile(dir, p)
		if err != nil {
			return err
		}
		fmt.Fprintf(h, "%s %d\n", p, len(data))
		h.Write(data)
		return nil
	})
	return hex.EncodeToString(h.Sum(nil))
}
