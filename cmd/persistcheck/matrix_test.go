package main

import (
	"context"
	"encoding/json"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/persistcheck/persistcheck/features"
	"github.com/persistcheck/persistcheck/harness/docker"
)

type matrixJSON struct {
	Image string `json:"image"`
	Cells []struct {
		Path, Storage, Event, Expected, Observed, Why string
		Deviates                                      bool
	} `json:"cells"`
	Warnings []string `json:"warnings"`
}

// buildFixtures builds the matrix's fixture images from the built-in
// features' folders, and returns their names by folder.
func buildFixtures(t *testing.T, folders ...string) map[string]string {
	t.Helper()
	ctx := context.Background()
	e, err := docker.New(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	out := map[string]string{}
	for _, f := range folders {
		dir, err := fs.Sub(features.FS, "fixtures/"+f)
		if err != nil {
			t.Fatal(err)
		}
		name := "persistcheck/test-" + f + ":latest"
		if _, err := e.Build(ctx, dir, name); err != nil {
			t.Fatal(err)
		}
		out[f] = name
	}
	return out
}

func matrix(t *testing.T, args ...string) (int, matrixJSON, string) {
	t.Helper()
	out := filepath.Join(t.TempDir(), "m.json")
	code, _, stderr := cli(t, append([]string{"matrix", "--format", "json", "--out", out}, args...)...)
	var m matrixJSON
	if data, err := os.ReadFile(out); err == nil && len(data) > 0 {
		if err := json.Unmarshal(data, &m); err != nil {
			t.Fatalf("the matrix is not JSON: %v\n%s", err, data)
		}
	}
	return code, m, stderr
}

// deviating returns the deviating cells as "path storage event observed".
func deviating(m matrixJSON) []string {
	var out []string
	for _, c := range m.Cells {
		if c.Deviates {
			out = append(out, c.Path+" "+c.Storage+" "+c.Event+" "+c.Observed)
		}
	}
	return out
}

// The built-in image agrees with every cell of the ground truth; images
// that damage their data folders at start, or declare one a VOLUME,
// deviate in exactly the cells where that shows, with the right verdicts,
// reasons and warnings.
func TestMatrix(t *testing.T) {
	img := buildFixtures(t, "damager", "data-volume")

	code, m, stderr := matrix(t, "--image", "persistcheck/app", "--path", "/data")
	if code != exitPassed || len(m.Cells) != 35 || len(deviating(m)) != 0 {
		t.Errorf("persistcheck/app: exit %d, %d cells, deviating %v; want 0, 35 and none\n%s", code, len(m.Cells), deviating(m), stderr)
	}
	if !strings.Contains(strings.Join(m.Warnings, "\n"), "/anon is an image VOLUME") {
		t.Errorf("persistcheck/app: warnings %q lack its VOLUME /anon", m.Warnings)
	}

	// The damager empties /data and truncates every file in /trunc at
	// every start, in one matrix of both paths (one container per storage
	// kind holds both): whatever keeps data across a start, but a host
	// folder... is damaged too. In /data the sentinel is gone; in /trunc
	// it is still named but empty: corrupted, a verdict of its own.
	code, m, stderr = matrix(t, "--image", img["damager"], "--path", "/data", "--path", "/trunc")
	want := map[string]bool{}
	for path, observed := range map[string]string{"/data": "gone", "/trunc": "corrupted"} {
		for _, s := range []string{"layer", "named-volume", "anonymous-volume", "host-folder"} {
			for _, e := range []string{"restart", "kill-start", "stop-start"} {
				want[path+" "+s+" "+e+" "+observed] = true
			}
		}
		for _, s := range []string{"named-volume", "host-folder"} {
			for _, e := range []string{"recreate", "remove-volumes-launch", "upgrade"} {
				want[path+" "+s+" "+e+" "+observed] = true
			}
		}
	}
	got := deviating(m)
	if code != exitFailed || len(m.Cells) != 70 || len(got) != len(want) {
		t.Errorf("damager: exit %d, %d cells, deviating %v; want 1, 70, and the %d cells where a start empties or truncates what Docker keeps\n%s",
			code, len(m.Cells), got, len(want), stderr)
	}
	for _, g := range got {
		if !want[g] {
			t.Errorf("damager: %s deviates, and should not", g)
		}
	}
	for _, c := range m.Cells {
		if c.Deviates && c.Path == "/data" && c.Storage == "named-volume" && c.Event == "recreate" &&
			(!strings.Contains(c.Why, "something in the container removed it") || !strings.Contains(c.Why, "serve --wipe /data")) {
			t.Errorf("damager: the reason %q does not blame the start command", c.Why)
		}
	}

	// A data folder declared as a VOLUME: the path as the image leaves it is
	// an image volume, gone after a recreate, as Docker promises; the warning
	// says so.
	code, m, _ = matrix(t, "--image", img["data-volume"])
	storages := map[string]bool{}
	for _, c := range m.Cells {
		storages[c.Path+" "+c.Storage] = true
	}
	if code != exitPassed || !storages["/data image-volume"] || !storages["/anon image-volume"] {
		t.Errorf("data-volume: exit %d, rows %v; want 0, with /data and /anon as image volumes by default", code, storages)
	}
	if !strings.Contains(strings.Join(m.Warnings, "\n"), "/data is an image VOLUME") {
		t.Errorf("data-volume: warnings %q lack /data", m.Warnings)
	}

	if left := leftovers(t); len(left) > 0 {
		t.Errorf("the matrix left %v", left)
	}
}

func TestMatrixInput(t *testing.T) {
	for _, tt := range []struct {
		args []string
		code int
		want string
	}{
		{[]string{"matrix"}, exitInvalid, "--image is required"},
		{[]string{"matrix", "--image", "persistcheck/app", "--format", "pdf"}, exitInvalid, "unknown format"},
		{[]string{"matrix", "--image", "persistcheck/never-built:9"}, exitInfra, "never pulls"},
		{[]string{"matrix", "--image", "persistcheck/app", "--path", "/"}, exitInvalid, "root folder"},
	} {
		code, _, stderr := run(t, tt.args...)
		if code != tt.code || !strings.Contains(stderr, tt.want) {
			t.Errorf("%q: exit %d, %s; want %d and %q", tt.args, code, stderr, tt.code, tt.want)
		}
	}
}
