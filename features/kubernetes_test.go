package features_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/persistcheck/persistcheck"
	"github.com/persistcheck/persistcheck/cluster"
	"github.com/persistcheck/persistcheck/features"
	"github.com/persistcheck/persistcheck/harness"
	"github.com/persistcheck/persistcheck/harness/kubernetes"
)

// onCluster returns the options of the local cluster (cluster/cluster up),
// or skips the test when it is not up, unless PERSISTCHECK_CLUSTER=1 says
// it must be, as CI does.
func onCluster(t *testing.T) persistcheck.Option {
	t.Helper()
	c, err := cluster.Load(cluster.Dir())
	if err == nil {
		err = c.Ready(context.Background())
	}
	if err != nil {
		if os.Getenv("PERSISTCHECK_CLUSTER") == "1" {
			t.Fatalf("PERSISTCHECK_CLUSTER=1, but the local cluster is not up: %v", err)
		}
		t.Skipf("the local Kubernetes cluster is not up (cluster/cluster up): %v", err)
	}
	return persistcheck.OnEngine(harness.KubernetesKind, kubernetes.Options{Kubeconfig: c.Kubeconfig})
}

// TestKubernetes runs the built-in features on the local cluster: those
// tagged @kubernetes, Kubernetes' own ground truth.
func TestKubernetes(t *testing.T) {
	engine := onCluster(t)
	res := persistcheck.Run(t, ".", persistcheck.FromFS(features.FS), engine)
	if res.Tally.Passed == 0 {
		t.Error("no Kubernetes scenario ran")
	}
}

// k8sFalseClaims are the negative controls on Kubernetes: Docker's truth
// where Kubernetes' differs, and events it lacks. Each must fail at its
// last step with the message and the reason given.
var k8sFalseClaims = []struct {
	name, steps string
	kind        harness.Kind
	want, why   string
}{
	{"the layer survives a crash",
		`When the main process of "app" crashes
		Then the sentinel "layer" is intact in "app"`,
		harness.Finding, `sentinel "layer" in "app" is gone, expected intact`,
		`Kubernetes starts a crashed container again as a new container, from a fresh layer`},
	{"a memory emptyDir is emptied by a crash, as a tmpfs is on Docker",
		`When the main process of "app" crashes
		Then the sentinel "tmpfs" is gone from "app"`,
		harness.Finding, `sentinel "tmpfs" in "app" is intact, expected gone`,
		`on Kubernetes it is an emptyDir, which belongs to the pod, not to its container`},
	{"an emptyDir survives a new pod",
		`When I recreate the container "app"
		Then the sentinel "anonymous" is intact in "app"`,
		harness.Finding, `sentinel "anonymous" in "app" is gone, expected intact`, ``},
	{"a claim is seeded from the image",
		`When I recreate the container "app"
		Then the file "/seeded/version" in "app" contains "version-1"`,
		harness.Finding, `/seeded/version`, ``},
	{"a container can be stopped",
		`When I stop the container "app"`,
		harness.Invalid, `Kubernetes has no stop`, `what comes closest: When I recreate the container "app"`},
	{"a container can be paused",
		`When I pause the container "app"`,
		harness.Invalid, `Kubernetes has no pause`, ``},
}

const k8sBackground = `
  Background:
    Given a volume "seeded"
    And a container "app" from image "persistcheck/app"
    And "app" restarts on failure
    And "app" mounts volume "seeded" at "/seeded"
    And "app" mounts an anonymous volume at "/cache"
    And "app" mounts a tmpfs at "/scratch"
    When the container "app" is started
    And I write sentinels in "app":
      | sentinel  | path           |
      | layer     | /var/lib/app/s |
      | anonymous | /cache/s       |
      | tmpfs     | /scratch/s     |
`

// TestKubernetesFalseClaimsFail runs the negative controls on the local
// cluster and checks every verdict in the report.
func TestKubernetesFalseClaimsFail(t *testing.T) {
	engine := onCluster(t)
	var feature strings.Builder
	feature.WriteString("@kubernetes\nFeature: false claims on Kubernetes\n" + k8sBackground)
	for _, c := range k8sFalseClaims {
		feature.WriteString("\n  Scenario: " + c.name + "\n    " + c.steps + "\n")
	}
	report := filepath.Join(t.TempDir(), "report.json")
	opts := persistcheck.Options{
		Paths:  []string{"false-claims.feature"},
		FS:     fstest.MapFS{"false-claims.feature": {Data: []byte(feature.String())}},
		Stdout: &strings.Builder{}, Stderr: &strings.Builder{},
		Formats: []string{"cucumber:" + report},
	}
	engine(&opts)
	res := persistcheck.Execute(context.Background(), opts)
	if len(res.Leaked) > 0 || res.Code == persistcheck.ExitInfra {
		t.Errorf("exit %d, left behind %v: %v\n%s", res.Code, res.Leaked, res.Err, opts.Stderr)
	}
	data, err := os.ReadFile(report)
	if err != nil {
		t.Fatal(err)
	}
	failures := failedSteps(t, data)
	for _, c := range k8sFalseClaims {
		lines := strings.Split(strings.TrimSpace(c.steps), "\n")
		claim := strings.TrimSpace(lines[len(lines)-1])
		got, ok := failures[c.name]
		switch {
		case !ok:
			t.Errorf("%s: passed, want a failure", c.name)
		case !strings.HasSuffix(claim, got.step):
			t.Errorf("%s: failed at %q (%s), want at %q", c.name, got.step, got.message, claim)
		case !strings.Contains(got.message, c.want) || !strings.Contains(got.message, c.why):
			t.Errorf("%s: failed with\n%s\nwant it to contain\n%s\nand\n%s", c.name, got.message, c.want, c.why)
		}
	}
	want := map[harness.Kind]int{}
	for _, c := range k8sFalseClaims {
		want[c.kind]++
	}
	if res.Tally.Passed != 0 || res.Tally.Failed[harness.Finding] != want[harness.Finding] || res.Tally.Failed[harness.Invalid] != want[harness.Invalid] {
		t.Errorf("outcome: %d passed, failures by kind %v; want %v", res.Tally.Passed, res.Tally.Failed, want)
	}
}
