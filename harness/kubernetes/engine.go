// Package kubernetes is the harness's Engine on a Kubernetes cluster,
// through client-go: a container is a pod of one container in the run's
// own namespace; a volume a PersistentVolumeClaim; an anonymous volume an
// emptyDir; a tmpfs an emptyDir in memory; a host folder a hostPath. Images
// come from the local Docker engine: on the project's local cluster they
// are imported into its containerd, never pulled; on another cluster they
// must be pullable by it.
//
// Kubernetes has no stop, start, pause, unpause or kill through the
// engine: those fail as invalid input, naming what comes closest (the main
// process crashing from inside, or a recreate). Its ground truth differs
// from Docker's (see harness.KubernetesTruth).
package kubernetes

import (
	"context"
	"encoding/json"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"time"

	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"

	"github.com/persistcheck/persistcheck/harness"
	"github.com/persistcheck/persistcheck/harness/docker"
)

// Options say which cluster to use and how.
type Options struct {
	Kubeconfig   string // empty: $KUBECONFIG, then ~/.kube/config
	Context      string // empty: the kubeconfig's current context
	StorageClass string // of claims; empty: the local cluster's, or the cluster's default
	// ClusterDir holds the description of the project's local cluster
	// (cluster.json), when the kubeconfig names it: images are imported
	// into its containerd and claims get hostPath volumes of its own.
	ClusterDir string
}

// Engine talks to one cluster. It is safe for concurrent use.
type Engine struct {
	cs     *kubernetes.Clientset
	config *rest.Config
	docker *docker.Engine // where images come from
	opts   Options
	local  *localCluster // nil on a cluster that is not the project's own

	version string // the apiserver's gitVersion
	context string // the kubeconfig's context used

	mu         sync.Mutex
	pending    map[string]*pendingPod // created, not yet started
	logs       map[string]logMark     // what CountLog last saw, by pod
	importing  sync.Mutex             // one import at a time: ctr refuses a second of the same image
	imported   map[string]bool        // image ids imported into the local cluster, under importing
	namespaces map[string]bool        // made by this process
}

var (
	_ harness.Engine   = (*Engine)(nil)
	_ harness.Truthful = (*Engine)(nil)
)

// localCluster is the project's own cluster, as it describes itself.
type localCluster struct {
	Server           string `json:"server"`
	ContainerdSocket string `json:"containerdSocket"`
	StorageClass     string `json:"storageClass"`
	VolumesDir       string `json:"volumesDir"`
	KubeletRoot      string `json:"kubeletRoot"` // where pods' emptyDirs are
}

// New connects to the cluster the kubeconfig and context name, with images
// from dockerEngine. A cluster that does not answer is an Infrastructure
// error naming the kubeconfig and context tried.
func New(ctx context.Context, dockerEngine *docker.Engine, opts Options) (*Engine, error) {
	rules := clientcmd.NewDefaultClientConfigLoadingRules()
	if opts.Kubeconfig != "" {
		rules.ExplicitPath = opts.Kubeconfig
	}
	cfg := clientcmd.NewNonInteractiveDeferredLoadingClientConfig(rules, &clientcmd.ConfigOverrides{CurrentContext: opts.Context})
	tried := kubeconfigTried(rules, opts)
	config, err := cfg.ClientConfig()
	if err != nil {
		return nil, unreachable(tried, err)
	}
	config.QPS, config.Burst = 100, 200
	cs, err := kubernetes.NewForConfig(config)
	if err != nil {
		return nil, unreachable(tried, err)
	}
	vctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	version, err := serverVersion(vctx, cs)
	if err != nil {
		return nil, unreachable(tried, err)
	}
	e := &Engine{cs: cs, config: config, docker: dockerEngine, opts: opts, version: version, context: contextName(cfg, opts),
		pending: map[string]*pendingPod{}, logs: map[string]logMark{}, imported: map[string]bool{}, namespaces: map[string]bool{}}
	if opts.ClusterDir != "" {
		if data, err := os.ReadFile(filepath.Join(opts.ClusterDir, "cluster.json")); err == nil {
			var lc localCluster
			if json.Unmarshal(data, &lc) == nil && strings.TrimSuffix(lc.Server, "/") == strings.TrimSuffix(config.Host, "/") {
				e.local = &lc
			}
		}
	}
	return e, nil
}

// serverVersion asks the apiserver its version: the round trip that says
// the cluster answers.
func serverVersion(ctx context.Context, cs *kubernetes.Clientset) (string, error) {
	raw, err := cs.Discovery().RESTClient().Get().AbsPath("/version").Do(ctx).Raw()
	if err != nil {
		return "", err
	}
	var v struct {
		GitVersion string `json:"gitVersion"`
	}
	if err := json.Unmarshal(raw, &v); err != nil {
		return "", fmt.Errorf("read the apiserver's version: %w", err)
	}
	return v.GitVersion, nil
}

func contextName(cfg clientcmd.ClientConfig, opts Options) string {
	if opts.Context != "" {
		return opts.Context
	}
	raw, err := cfg.RawConfig()
	if err != nil {
		return ""
	}
	return raw.CurrentContext
}

// Identity says it is Kubernetes, which version, and which cluster.
func (e *Engine) Identity() harness.Identity {
	where := e.config.Host
	if e.context != "" {
		where += " (context " + e.context + ")"
	}
	return harness.Identity{Kind: harness.KubernetesKind, Name: "Kubernetes", Version: e.version, Where: where}
}

func kubeconfigTried(rules *clientcmd.ClientConfigLoadingRules, opts Options) string {
	path := rules.ExplicitPath
	if path == "" {
		path = strings.Join(rules.Precedence, ":")
	}
	ctx := opts.Context
	if ctx == "" {
		ctx = "its current context"
	}
	return fmt.Sprintf("kubeconfig %s, %s", path, ctx)
}

func unreachable(tried string, err error) error {
	return harness.Wrap("connect to the Kubernetes cluster", harness.Infrastructure,
		fmt.Errorf("%w\n    tried %s: is the cluster up (make cluster), and KUBECONFIG right?", err, tried))
}

// Truth is Kubernetes' ground truth.
func (e *Engine) Truth() harness.Truth { return harness.KubernetesTruth{} }

// Close releases nothing the engine holds beyond its Docker engine's.
func (e *Engine) Close() error { return e.docker.Close() }

// Image returns the image from the Docker engine, imported into the local
// cluster when there is one. Kubernetes makes no volume for an image's
// VOLUME: what is stored there is in the container's layer, so the image
// reports none.
//
// On a cluster that is not the local one, an image the Docker engine lacks
// is taken as one the cluster can pull, and left for its kubelet to find.
func (e *Engine) Image(ctx context.Context, ref string) (harness.Image, error) {
	img, err := e.docker.Image(ctx, ref)
	if err != nil && e.local == nil && ref != harness.BuiltinImage {
		if has, herr := e.docker.HasImage(ctx, ref); herr == nil && !has {
			return harness.Image{Ref: ref}, nil
		}
	}
	if err != nil {
		return img, err
	}
	return e.ready(ctx, img)
}

// Build builds on the Docker engine, then imports as Image does.
func (e *Engine) Build(ctx context.Context, dir fs.FS, name string) (harness.Image, error) {
	img, err := e.docker.Build(ctx, dir, name)
	if err != nil {
		return img, err
	}
	return e.ready(ctx, img)
}

func (e *Engine) ready(ctx context.Context, img harness.Image) (harness.Image, error) {
	if err := e.importImage(ctx, img.Ref); err != nil {
		return img, err
	}
	img.Volumes = nil // Kubernetes makes no volume for an image's VOLUME
	return img, nil
}

// importImage copies the image from the Docker engine into the local
// cluster's containerd, once per process: docker save | ctr import. Imports
// take turns; one that finds another process importing the same image
// tries again once that is done.
func (e *Engine) importImage(ctx context.Context, ref string) error {
	if e.local == nil {
		return nil
	}
	e.importing.Lock()
	defer e.importing.Unlock()
	if e.imported[ref] {
		return nil
	}
	for try := 1; ; try++ {
		out, err := e.ctrImport(ctx, ref)
		if err == nil {
			break
		}
		if !strings.Contains(out, "already exists") {
			if out != "" {
				err = fmt.Errorf("%w: %s", err, out)
			}
			return harness.Errorf(harness.Infrastructure, "import image %s into the local cluster: %v", ref, err)
		}
		if try == 3 {
			break // the other process's import made it
		}
		// Another process's import of the same image is under way: ctr
		// refuses a second one until it is done.
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(time.Second):
		}
	}
	e.imported[ref] = true
	return nil
}

// ctrImport runs docker save | ctr import once, returning ctr's output.
func (e *Engine) ctrImport(ctx context.Context, ref string) (string, error) {
	saved, err := e.docker.Save(ctx, ref)
	if err != nil {
		return "", err
	}
	defer saved.Close()
	cmd := exec.CommandContext(ctx, "ctr", "--address", e.local.ContainerdSocket, "--namespace", "k8s.io", "images", "import", "-")
	cmd.Stdin = saved
	out, err := cmd.CombinedOutput()
	return strings.TrimSpace(string(out)), err
}

// dns makes a name Kubernetes takes for an object: lowercase letters,
// digits and dashes, at most 63 of them.
func dns(name string) string {
	n := strings.Trim(invalid.ReplaceAllString(strings.ToLower(name), "-"), "-")
	if len(n) > 63 {
		n = strings.TrimRight(n[:63], "-")
	}
	return n
}

var invalid = regexp.MustCompile(`[^a-z0-9-]+`)

// labelValue makes a label value Kubernetes takes: the owner label's
// host:pid holds a colon.
func labelValue(v string) string {
	v = regexp.MustCompile(`[^A-Za-z0-9._-]+`).ReplaceAllString(v, "_")
	if len(v) > 63 {
		v = v[:63]
	}
	return strings.Trim(v, "._-")
}

func labelsOf(l map[string]string) map[string]string {
	out := make(map[string]string, len(l))
	for k, v := range l {
		out[k] = labelValue(v)
	}
	return out
}

// errNoEvent is the error of an event Kubernetes does not have; closest
// has %[1]q where the container's name goes.
func errNoEvent(event, closest string) error {
	return harness.NoEvent(harness.Unsupported{Engine: "Kubernetes", Event: event,
		Why: "a pod's container is neither stopped nor started, killed nor paused by hand", Closest: closest})
}
