package examples_test

import (
	"bytes"
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/persistcheck/persistcheck/examples"
	"github.com/persistcheck/persistcheck/harness"
	"github.com/persistcheck/persistcheck/harness/docker"
)

// These tests build the images on the local engine (minutes the first time,
// then a few engine round trips) and run each one.

// grace is how long a graceful stop may take: docker stop's default.
const grace = 10 * time.Second

var cases = []struct {
	name   string
	ref    string
	user   string   // the default user, and the server's
	client []string // the client, as the default user, without flags
	want   string   // a line of its output
}{
	{"postgres", "persistcheck/postgres:15", "postgres", []string{"psql", "-c", "select 1"}, "(1 row)"},
	{"mariadb", "persistcheck/mariadb:10.11", "mysql", []string{"mariadb", "-e", "select 1"}, "1"},
	{"redis", "persistcheck/redis:7", "redis", []string{"redis-cli", "ping"}, "PONG"},
	{"sqlite", "persistcheck/sqlite:3", "root", []string{"sqlite3", "/tmp/x.db", "create table t(n); insert into t values(1); select * from t"}, "1"},
}

func TestImages(t *testing.T) {
	if testing.Short() {
		t.Skip("builds Debian and database images on the engine, minutes the first time: not with -short")
	}
	// Cleanups, not defers: the parallel subtests run after this function
	// returns.
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Minute)
	t.Cleanup(cancel)
	eng, err := docker.New(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { eng.Close() })

	var log bytes.Buffer
	start := time.Now()
	err = examples.Ensure(ctx, eng, &log)
	t.Logf("Ensure took %s:\n%s", time.Since(start).Round(time.Millisecond), log.String())
	if err != nil {
		t.Fatal(err)
	}
	// Everything is there now: a second call only looks.
	log.Reset()
	start = time.Now()
	if err := examples.Ensure(ctx, eng, &log); err != nil {
		t.Fatal(err)
	}
	warm := time.Since(start)
	t.Logf("warm Ensure took %s", warm.Round(time.Millisecond))
	if strings.Contains(log.String(), "built") {
		t.Errorf("a warm Ensure said:\n%s\nwant every image found, none built", log.String())
	}

	img, err := eng.Image(ctx, "persistcheck/postgres:15")
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Contains(img.Volumes, "/var/lib/postgresql/data") {
		t.Errorf("persistcheck/postgres:15 declares volumes %v, want /var/lib/postgresql/data as the official image does", img.Volumes)
	}

	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			id := startHealthy(t, eng, c.ref)
			ctx := ctxFor(t)

			res := mustExec(t, eng, id, c.client...)
			if !slices.Contains(lines(res.Stdout), c.want) {
				t.Errorf("%s as the default user printed %q, want a line %q", strings.Join(c.client, " "), res.Stdout, c.want)
			}
			if got := strings.TrimSpace(string(mustExec(t, eng, id, "id", "-un").Stdout)); got != c.user {
				t.Errorf("the default user is %s, want %s", got, c.user)
			}
			// The server is the child of the init process.
			server := mustExec(t, eng, id, "sh", "-c", `stat -c %U /proc/$(cut -d' ' -f1 /proc/1/task/1/children)`)
			if got := strings.TrimSpace(string(server.Stdout)); got != c.user {
				t.Errorf("the server runs as %s, want %s", got, c.user)
			}

			start := time.Now()
			if err := eng.Stop(ctx, id, grace); err != nil {
				t.Fatal(err)
			}
			took := time.Since(start)
			st, err := eng.Inspect(ctx, id)
			if err != nil {
				t.Fatal(err)
			}
			t.Logf("docker stop took %s, exit code %d", took.Round(time.Millisecond), st.ExitCode)
			if took >= grace || st.ExitCode != 0 {
				t.Errorf("docker stop took %s and the exit code is %d: want a graceful stop, exit code 0, well within %s", took, st.ExitCode, grace)
			}
		})
	}
}

// startHealthy starts a container of ref as persistcheck would (with an init
// process, the image's volumes as labelled anonymous volumes), removes it
// and its volumes when the test ends, and returns once it is healthy.
func startHealthy(t *testing.T, eng *docker.Engine, ref string) string {
	t.Helper()
	ctx := ctxFor(t)
	labels := map[string]string{harness.LabelRun: "test-" + uuid.NewString(), harness.LabelOwner: harness.Owner()}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		if _, err := eng.RemoveLabelled(ctx, labels); err != nil {
			t.Errorf("clean up: %v", err)
		}
	})
	img, err := eng.Image(ctx, ref)
	if err != nil {
		t.Fatal(err)
	}
	spec := harness.EngineSpec{Name: "pc-test-" + uuid.NewString()[:8], Image: ref, Labels: labels, Init: true}
	for _, v := range img.Volumes {
		spec.Mounts = append(spec.Mounts, harness.EngineMount{Kind: harness.AnonymousVolume, Target: v, Labels: labels})
	}
	id, err := eng.Create(ctx, spec)
	if err != nil {
		t.Fatal(err)
	}
	if err := eng.Start(ctx, id); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	for {
		health, err := eng.Health(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		if health == "healthy" {
			t.Logf("healthy after %s", time.Since(start).Round(time.Millisecond))
			return id
		}
		st, err := eng.Inspect(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		if health != "starting" || !st.Running() {
			logs, _ := eng.LogTail(ctx, id, 20)
			t.Fatalf("the container is %s and its health %q, want healthy; its log ends:\n%s", st.State, health, logs)
		}
		select {
		case <-ctx.Done():
			t.Fatalf("not healthy in time: %v", ctx.Err())
		case <-time.After(200 * time.Millisecond):
		}
	}
}

// mustExec runs argv in the container as its default user and fails the test
// unless it succeeds.
func mustExec(t *testing.T, eng *docker.Engine, id string, argv ...string) harness.ExecResult {
	t.Helper()
	res, err := eng.Exec(ctxFor(t), id, argv)
	if err != nil {
		t.Fatal(err)
	}
	if res.ExitCode != 0 {
		t.Fatalf("%s: exit code %d\n%s%s", strings.Join(argv, " "), res.ExitCode, res.Stdout, res.Stderr)
	}
	return res
}

func ctxFor(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	t.Cleanup(cancel)
	return ctx
}

func lines(out []byte) []string {
	var ls []string
	for _, l := range strings.Split(string(out), "\n") {
		ls = append(ls, strings.TrimSpace(l))
	}
	return ls
}
