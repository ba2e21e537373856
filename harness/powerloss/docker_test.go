package powerloss

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// probeImage builds an image FROM scratch that holds the static program
// in testdata/probe, and removes it when the test ends. It skips the test
// when no Docker engine answers.
func probeImage(t testing.TB) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if out, err := exec.CommandContext(ctx, "docker", "info", "--format", "{{.ServerVersion}}").CombinedOutput(); err != nil {
		t.Skipf("no Docker engine answers: %v: %s", err, out)
	}
	build := t.TempDir()
	gobuild := exec.Command("go", "build", "-o", filepath.Join(build, "probe"), "./testdata/probe")
	gobuild.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := gobuild.CombinedOutput(); err != nil {
		t.Fatalf("build the probe: %v: %s", err, out)
	}
	dockerfile := "FROM scratch\nCOPY probe /probe\nENTRYPOINT [\"/probe\"]\n"
	if err := os.WriteFile(filepath.Join(build, "Dockerfile"), []byte(dockerfile), 0o644); err != nil {
		t.Fatal(err)
	}
	image := fmt.Sprintf("persistcheck-powerloss-probe:%d-%d", os.Getpid(), time.Now().UnixNano())
	t.Cleanup(func() { docker(t, "rmi", "-f", image) })
	docker(t, "build", "-q", "-t", image, build)
	return image
}

// docker runs the docker CLI and returns its standard output; a failure
// fails the test.
func docker(t testing.TB, args ...string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "docker", args...)
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("docker %s: %v: %s", strings.Join(args, " "), err, stderr.String())
	}
	return string(out)
}

// TestContainer is the end-to-end check: a container writes through a
// bind mount of the volume, with and without fsync; it is killed; the
// power is cut; a new container, of another user, reads what is left.
func TestContainer(t *testing.T) {
	v := mountT(t, Options{})
	image := probeImage(t)
	name := fmt.Sprintf("persistcheck-powerloss-%d-%d", os.Getpid(), time.Now().UnixNano())
	t.Cleanup(func() { docker(t, "rm", "-f", name) })

	// The writer stays up until killed; its output says when it has
	// written.
	docker(t, "run", "-d", "--name", name, "--network", "none", "-v", v.Path()+":/data", image, "write")
	waitLine(t, "written\n", "docker", "logs", "-f", name)
	docker(t, "kill", name)

	x := fsx{t, v.Path()}
	if s, u := x.read("synced"), x.read("unsynced"); s != "synced\n" || u != "unsynced\n" {
		t.Fatalf("after the kill the host reads synced=%q unsynced=%q: a kill loses nothing", s, u)
	}
	// The killed container is stopped, not removed: its bind mount must
	// not stand in the way of the cut.
	rep := cut(t, v, false)
	t.Logf("cut: %v", rep)

	got := docker(t, "run", "--rm", "--network", "none", "--user", "999:999", "-v", v.Path()+":/data", image, "read", "synced", "unsynced")
	if want := "synced=\"synced\\n\"\nunsynced=<none>\n"; got != want {
		t.Errorf("after the cut a new container reads\n%s\nwant\n%s", got, want)
	}
}

// TestContainerRunningDuringCut: a container still running when the power
// is cut holds the file system in its own mount namespace, where no
// unmount reaches. The cut must end that connection rather than wait for
// it, and the volume must come back for the next container.
func TestContainerRunningDuringCut(t *testing.T) {
	v := mountT(t, Options{})
	image := probeImage(t)
	name := fmt.Sprintf("persistcheck-powerloss-%d-%d", os.Getpid(), time.Now().UnixNano())
	t.Cleanup(func() { docker(t, "rm", "-f", name) })
	docker(t, "run", "-d", "--name", name, "--network", "none", "-v", v.Path()+":/data", "--entrypoint", "/probe", image, "write")
	waitLine(t, "written\n", "docker", "logs", "-f", name)
	x := fsx{t, v.Path()}
	cutWhileHeld(t, v, "a running container")
	if s, u := x.read("synced"), x.read("unsynced"); s != "synced\n" || u != none {
		t.Errorf("after the cut synced=%q unsynced=%q", s, u)
	}
}

// waitLine runs a command until it prints want as its first line, within
// a minute.
func waitLine(t *testing.T, want string, name string, args ...string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, name, args...)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var stderr strings.Builder
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	line, err := bufio.NewReader(out).ReadString('\n')
	cancel()
	cmd.Wait()
	if err != nil || line != want {
		t.Fatalf("%s said %q (%v), want %q: %s", name, line, err, want, stderr.String())
	}
}
