package examples

import (
	"bytes"
	"context"
	"io"
	"io/fs"
	"slices"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/persistcheck/persistcheck/harness"
)

// fakeEngine has the images in has and records what it is asked to do.
type fakeEngine struct {
	has         map[string]bool
	built       []string
	dockerfiles []string // of what was built
	tagged      []string
}

func (f *fakeEngine) HasImage(_ context.Context, ref string) (bool, error) { return f.has[ref], nil }

func (f *fakeEngine) Import(context.Context, io.Reader, []string, ...string) error {
	panic("the base is never imported here")
}

func (f *fakeEngine) Build(_ context.Context, dir fs.FS, name string) (harness.Image, error) {
	df, err := fs.ReadFile(dir, "Dockerfile")
	if err != nil {
		return harness.Image{}, err
	}
	f.built = append(f.built, name)
	f.dockerfiles = append(f.dockerfiles, string(df))
	f.has[name] = true
	return harness.Image{Ref: name}, nil
}

func (f *fakeEngine) Tag(_ context.Context, source, target string) error {
	f.tagged = append(f.tagged, source+" "+target)
	return nil
}

func pinnedOf(t *testing.T, name string) string {
	t.Helper()
	for _, img := range images {
		if img.Name == name {
			dir, err := fs.Sub(recipes, name)
			if err != nil {
				t.Fatal(err)
			}
			return pin(img.Ref, imageDigest(baseRecipe.digest(), dir))
		}
	}
	t.Fatalf("no image %s", name)
	return ""
}

func TestEnsureFindsImagesByTheDigestOfTheirRecipe(t *testing.T) {
	eng := &fakeEngine{has: map[string]bool{pinnedOf(t, "redis"): true, pinnedOf(t, "sqlite"): true}}
	var log strings.Builder
	if err := Ensure(context.Background(), eng, &log, "redis", "sqlite"); err != nil {
		t.Fatal(err)
	}
	if len(eng.built) > 0 {
		t.Errorf("built %v, want nothing: every image was there", eng.built)
	}
	want := []string{pinnedOf(t, "redis") + " persistcheck/redis:7", pinnedOf(t, "sqlite") + " persistcheck/sqlite:3"}
	if !slices.Equal(eng.tagged, want) {
		t.Errorf("tagged %q, want %q", eng.tagged, want)
	}
	if strings.Count(log.String(), " found ") != 2 {
		t.Errorf("log:\n%s\nwant two images found", log.String())
	}
}

func TestEnsureBuildsWhatIsMissingAfterTheBase(t *testing.T) {
	base := pin(Base, baseRecipe.digest())
	eng := &fakeEngine{has: map[string]bool{base: true}}
	if err := Ensure(context.Background(), eng, io.Discard, "postgres"); err != nil {
		t.Fatal(err)
	}
	if want := []string{pinnedOf(t, "postgres")}; !slices.Equal(eng.built, want) {
		t.Errorf("built %v, want %v", eng.built, want)
	}
	want := []string{base + " " + Base, pinnedOf(t, "postgres") + " persistcheck/postgres:15"}
	if !slices.Equal(eng.tagged, want) {
		t.Errorf("tagged %q, want %q: the base named first, then the image", eng.tagged, want)
	}
	if !strings.Contains(eng.dockerfiles[0], "\nFROM "+base+"\n") {
		t.Errorf("built FROM another image than %s:\n%s", base, eng.dockerfiles[0])
	}
}

func TestEnsureRejectsUnknownNames(t *testing.T) {
	err := Ensure(context.Background(), &fakeEngine{}, io.Discard, "postgres", "oracle")
	if harness.KindOf(err) != harness.Invalid || !strings.Contains(err.Error(), `"oracle"`) {
		t.Errorf("got %v, want an Invalid error naming oracle", err)
	}
}

func TestDigests(t *testing.T) {
	dir := fstest.MapFS{"Dockerfile": {Data: []byte("FROM " + Base + "\n")}}
	d := imageDigest("base1", dir)
	if d != imageDigest("base1", dir) {
		t.Error("the digest of one recipe changed")
	}
	if d == imageDigest("base2", dir) {
		t.Error("another base gives the same digest: images would not be rebuilt on a new base")
	}
	changed := fstest.MapFS{"Dockerfile": {Data: []byte("FROM " + Base + "\nCMD x\n")}}
	if d == imageDigest("base1", changed) {
		t.Error("another Dockerfile gives the same digest")
	}
	other := baseRecipe
	other.Suite = "trixie"
	if other.digest() == baseRecipe.digest() {
		t.Error("another suite gives the same base digest")
	}
	if got := pin("persistcheck/redis:7", d); got != "persistcheck/redis:"+d[:12] {
		t.Errorf("pin = %s", got)
	}
}

// A build context holds a Dockerfile FROM the base and what it needs, not
// the scenarios beside it.
func TestRecipes(t *testing.T) {
	for _, img := range images[1:] {
		df, err := fs.ReadFile(recipes, img.Name+"/Dockerfile")
		if err != nil {
			t.Errorf("%s: %v", img.Name, err)
		}
		if !bytes.Contains(df, []byte("\nFROM "+Base+"\n")) {
			t.Errorf("%s: the Dockerfile is not FROM %s, which Ensure builds first", img.Name, Base)
		}
	}
	fs.WalkDir(recipes, ".", func(p string, d fs.DirEntry, err error) error {
		if strings.HasSuffix(p, ".feature") || strings.HasSuffix(p, ".yaml") {
			t.Errorf("%s is in a build context", p)
		}
		return err
	})
}
