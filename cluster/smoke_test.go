package cluster

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestSmoke proves the cluster is real: a pod from a locally imported image
// writes into a claim and an emptyDir; after the pod is deleted and created
// again, the claim still holds the file and the emptyDir does not.
//
// It runs when the cluster answers, and skips otherwise unless
// PERSISTCHECK_CLUSTER=1 (set by make cluster-test), which makes a missing
// cluster a failure.
func TestSmoke(t *testing.T) {
	c := upOrSkip(t)
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()

	ns := "pc-smoke-" + randomHex(t, 4)
	start := time.Now()
	lap := func(what string, since time.Time) { t.Logf("%-32s %6.2f s", what, time.Since(since).Seconds()) }

	step := time.Now()
	if err := c.CreateNamespace(ctx, ns); err != nil {
		t.Fatal(err)
	}
	var vol Volume
	t.Cleanup(func() {
		// Detached: a test that failed or timed out still removes what it made.
		ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), time.Minute)
		defer cancel()
		step := time.Now()
		if err := c.DeleteNamespace(ctx, ns); err != nil {
			t.Errorf("clean up: %v", err)
		}
		if vol.Name != "" {
			if err := c.DeleteVolume(ctx, vol); err != nil {
				t.Errorf("clean up: %v", err)
			}
		}
		lap("namespace and volume removed", step)
	})
	vol, err := c.CreateVolume(ctx, ns, "data", "16Mi")
	if err != nil {
		t.Fatal(err)
	}
	lap("namespace + claim Bound", step)

	first, second := "token-"+randomHex(t, 8), "token-"+randomHex(t, 8)

	step = time.Now()
	log := runWriter(ctx, t, c, ns, first)
	lap("pod 1 created to Running", step)
	want(t, log, "/claim/f: absent", "/scratch/f: absent")

	step = time.Now()
	if err := c.DeletePod(ctx, ns, "writer"); err != nil {
		t.Fatal(err)
	}
	lap("pod 1 deleted until gone", step)

	step = time.Now()
	log = runWriter(ctx, t, c, ns, second)
	lap("pod 2 created to Running", step)
	want(t, log, "/claim/f: found "+first, "/scratch/f: absent")

	onHost, err := os.ReadFile(filepath.Join(vol.Path, "f"))
	if err != nil {
		t.Fatalf("read the claim's folder on the host: %v", err)
	}
	if got := strings.TrimSpace(string(onHost)); got != second {
		t.Errorf("the claim's folder on the host holds %q, want %q", got, second)
	}
	lap("total", start)
}

// runWriter starts pod "writer", which reports what it finds in the claim
// and the emptyDir and then writes token into both, and returns its log.
func runWriter(ctx context.Context, t *testing.T, c *Cluster, ns, token string) string {
	t.Helper()
	grace := 2
	pod := map[string]any{
		"apiVersion": "v1", "kind": "Pod",
		"metadata": map[string]any{"name": "writer"},
		"spec": map[string]any{
			"terminationGracePeriodSeconds": grace,
			"containers": []map[string]any{{
				"name": "writer", "image": c.WorkloadImage, "imagePullPolicy": "Never",
				"args": []string{"write", token, "/claim/f", "/scratch/f"},
				"volumeMounts": []map[string]string{
					{"name": "claim", "mountPath": "/claim"},
					{"name": "scratch", "mountPath": "/scratch"},
				},
			}},
			"volumes": []map[string]any{
				{"name": "claim", "persistentVolumeClaim": map[string]string{"claimName": "data"}},
				{"name": "scratch", "emptyDir": map[string]any{}},
			},
		},
	}
	if err := c.CreatePod(ctx, ns, pod); err != nil {
		t.Fatal(err)
	}
	if err := c.WaitRunning(ctx, ns, "writer"); err != nil {
		t.Fatal(err)
	}
	// Running comes before the program has printed its report: wait for it.
	var log string
	err := poll(ctx, "the writer's report", func(ctx context.Context) (string, bool, error) {
		var err error
		log, err = c.Log(ctx, ns, "writer")
		return log, strings.Contains(log, "ready\n"), err
	})
	if err != nil {
		t.Fatal(err)
	}
	return log
}

func want(t *testing.T, log string, lines ...string) {
	t.Helper()
	for _, l := range lines {
		if !strings.Contains(log, l+"\n") {
			t.Errorf("the writer's log lacks %q; it reads:\n%s", l, log)
		}
	}
}

func upOrSkip(t *testing.T) *Cluster {
	t.Helper()
	required := os.Getenv("PERSISTCHECK_CLUSTER") == "1"
	c, err := Load(Dir())
	if err == nil {
		err = c.Ready(context.Background())
	}
	if err != nil {
		if required {
			t.Fatalf("PERSISTCHECK_CLUSTER=1 but the cluster is not up (make cluster): %v", err)
		}
		t.Skipf("no cluster up (make cluster, or PERSISTCHECK_CLUSTER=1 to require one): %v", err)
	}
	return c
}

func randomHex(t *testing.T, n int) string {
	t.Helper()
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return hex.EncodeToString(b)
}
