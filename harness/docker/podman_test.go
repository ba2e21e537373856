package docker

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/moby/moby/client"

	"github.com/persistcheck/persistcheck/harness"
)

func TestCarriesEveryLabel(t *testing.T) {
	have := map[string]string{"run": "r1", "scenario": "s1", "owner": "h:1"}
	for _, c := range []struct {
		want map[string]string
		ok   bool
	}{
		{map[string]string{"run": "r1", "scenario": "s1"}, true},
		{map[string]string{"run": "r1", "scenario": "s2"}, false}, // what Podman's volume list matches
		{map[string]string{"run": ""}, true},
		{map[string]string{"other": ""}, false},
		{nil, true},
	} {
		if got := carries(have, c.want); got != c.ok {
			t.Errorf("carries(%v, %v) = %v, want %v", have, c.want, got, c.ok)
		}
	}
}

func TestOOMLineNamesTheCgroup(t *testing.T) {
	line := `[10690.155341] oom-kill:constraint=CONSTRAINT_MEMCG,nodemask=(null),cpuset=libpod-6164,mems_allowed=0,oom_memcg=/libpod_parent/libpod-6164,task_memcg=/libpod_parent/libpod-6164490155d3,task=agent,pid=23299,uid=0`
	m := oomLine.FindStringSubmatch(line)
	if m == nil || m[1] != "10690.155341" || m[2] != "/libpod_parent/libpod-6164490155d3" {
		t.Errorf("oomLine on %q: %q", line, m)
	}
	killed := `[10690.155391] Memory cgroup out of memory: Killed process 23299 (agent) total-vm:1327212kB, anon-rss:30080kB`
	if oomLine.MatchString(killed) {
		t.Error("oomLine matches the second line of the record too")
	}
	if m := killedLine.FindStringSubmatch(killed); m == nil || m[1] != "10690.155391" || m[2] != "23299" {
		t.Errorf("killedLine on %q: %q", killed, m)
	}
}

// A sweep removes the dangling anonymous volumes a dead run recorded, and
// deletes its record; a live run's records stay.
func TestSweepRemovesRecordedAnonymousVolumes(t *testing.T) {
	ctx := ctxFor(t)
	dead := map[string]string{harness.LabelRun: "test-" + uuid.NewString(), harness.LabelOwner: "gone-host:999999"}
	vol := strings.ReplaceAll(uuid.NewString()+uuid.NewString(), "-", "")
	if _, err := engine.cli.VolumeCreate(ctx, client.VolumeCreateOptions{Name: vol}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { engine.cli.VolumeRemove(ctxFor(t), vol, client.VolumeRemoveOptions{Force: true}) })
	if err := os.MkdirAll(engine.anon.dir, 0o700); err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(engine.anon.dir, "gone-host_999999.jsonl")
	if err := writeRecords(file, []anonRecord{{vol, dead}}); err != nil {
		t.Fatal(err)
	}
	removed, err := engine.Sweep(ctx, func(owner string) bool { return owner != dead[harness.LabelOwner] })
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Contains(removed, "volume "+vol) {
		t.Errorf("sweep removed %v, not the recorded volume %s", removed, vol)
	}
	if _, err := engine.cli.VolumeInspect(ctx, vol, client.VolumeInspectOptions{}); !isGone(err) {
		t.Errorf("volume %s is still there: %v", vol, err)
	}
	if _, err := os.Stat(file); !os.IsNotExist(err) {
		t.Errorf("the record %s is still there: %v", file, err)
	}
}

// --engine podman takes only Podman: the engine under test, named through
// DOCKER_HOST, is accepted when it is Podman and refused as invalid input
// when it is not.
func TestNewPodmanRefusesAnotherEngine(t *testing.T) {
	t.Setenv("DOCKER_HOST", engine.cli.DaemonHost())
	e, err := NewPodman(ctxFor(t), nil)
	if engine.Identity().Kind == harness.PodmanKind {
		if err != nil || e.Identity().Kind != harness.PodmanKind {
			t.Fatalf("NewPodman on Podman: %v", err)
		}
		e.Close()
		return
	}
	if harness.KindOf(err) != harness.Invalid || !strings.Contains(fmt.Sprint(err), "asks for Podman") || !strings.Contains(fmt.Sprint(err), "--engine docker") {
		t.Errorf("NewPodman on %s: %v; want invalid input saying what answers and what to do", engine.Identity(), err)
	}
}

// On a host with both engines, an image Podman lacks is copied from
// Docker's; Docker's own engine never looks elsewhere.
func TestPodmanCopiesAnImageFromDocker(t *testing.T) {
	if engine.Identity().Kind != harness.PodmanKind {
		t.Skip("the engine under test is not Podman")
	}
	d, err := client.New(client.WithHost("unix://" + dockerSocket))
	if err != nil {
		t.Skip("no Docker engine on this host")
	}
	defer d.Close()
	ctx := ctxFor(t)
	if _, err := d.ImageInspect(ctx, builtinTag()); err != nil {
		t.Skipf("the Docker engine on this host lacks %s: %v", builtinTag(), err)
	}
	ref := "persistcheck/test-from-docker:" + uuid.NewString()[:8]
	if _, err := d.ImageTag(ctx, client.ImageTagOptions{Source: builtinTag(), Target: ref}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		d.ImageRemove(ctxFor(t), ref, client.ImageRemoveOptions{})
		engine.cli.ImageRemove(ctxFor(t), ref, client.ImageRemoveOptions{})
	})
	img, err := engine.Image(ctx, ref)
	if err != nil || !img.HasAgent {
		t.Fatalf("Image(%s) on Podman: %+v, %v; want it copied from Docker, agent and all", ref, img, err)
	}
	id := launch(t, harness.EngineSpec{Image: img.Ref, Labels: testLabels(t)})
	if res, err := engine.Exec(ctx, id, []string{harness.AgentPath, "version"}); err != nil || res.ExitCode != 0 {
		t.Errorf("a container of the copied image: %+v, %v", res, err)
	}
}

// A HEALTHCHECK run that Podman refuses (its probe outlasted the timeout)
// is a failed probe, said in the health log, not an engine failure; an
// engine that cannot be reached still is one.
func TestPodmanHealthcheckThatCannotFinishIsAFailedProbe(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusInternalServerError)
		w.Write([]byte(`{"cause":"timeout","message":"healthcheck command exceeded timeout of 5s","response":500}`))
	}))
	defer srv.Close()
	p := newPodman("tcp://" + strings.TrimPrefix(srv.URL, "http://"))
	st := harness.Status{State: "running", Health: "healthy"}
	if err := p.checkHealth(t.Context(), "c1", time.Second, &st); err != nil {
		t.Fatalf("checkHealth: %v, want the refusal recorded as the probe's outcome", err)
	}
	if want := "the probe did not finish: healthcheck command exceeded timeout of 5s"; st.HealthLog != want || st.Health != "healthy" {
		t.Errorf("health %q, log %q; want the health as inspected and the log %q", st.Health, st.HealthLog, want)
	}

	srv.Close()
	gone := newPodman("tcp://" + strings.TrimPrefix(srv.URL, "http://"))
	if err := gone.checkHealth(t.Context(), "c1", time.Second, &st); err == nil {
		t.Error("checkHealth on an engine that does not answer: no error")
	}
}
