package kubernetes

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes/scheme"
	"k8s.io/client-go/tools/remotecommand"
	utilexec "k8s.io/client-go/util/exec"

	"github.com/persistcheck/persistcheck/harness"
)

// Exec runs argv in the pod's container through the apiserver, and returns
// its exit code and its stdout and stderr apart.
func (e *Engine) Exec(ctx context.Context, id string, argv []string) (harness.ExecResult, error) {
	var stdout, stderr bytes.Buffer
	return e.exec(ctx, id, argv, &stdout, &stderr)
}

// Stream runs argv as Exec does, calling line with each line of its stdout
// as it is written. Kubernetes runs every command as the container's own
// user: user is not used, and the agent's faults need no other.
func (e *Engine) Stream(ctx context.Context, id, user string, argv []string, line func(string)) (harness.ExecResult, error) {
	var stderr bytes.Buffer
	return e.exec(ctx, id, argv, harness.LineWriter(line), &stderr)
}

func (e *Engine) exec(ctx context.Context, id string, argv []string, stdout io.Writer, stderr *bytes.Buffer) (harness.ExecResult, error) {
	ns, name := splitID(id)
	req := e.cs.CoreV1().RESTClient().Post().Resource("pods").Namespace(ns).Name(name).SubResource("exec").
		VersionedParams(&corev1.PodExecOptions{Container: mainContainer, Command: argv, Stdout: true, Stderr: true}, scheme.ParameterCodec)
	ex, err := remotecommand.NewSPDYExecutor(e.config, "POST", req.URL())
	if err != nil {
		return harness.ExecResult{}, fail("exec", err)
	}
	err = ex.StreamWithContext(ctx, remotecommand.StreamOptions{Stdout: stdout, Stderr: stderr})
	res := harness.ExecResult{Stderr: stderr.Bytes()}
	if b, ok := stdout.(*bytes.Buffer); ok {
		res.Stdout = b.Bytes()
	}
	var exit utilexec.ExitError
	switch {
	case err == nil:
		return res, nil
	case errors.As(err, &exit):
		res.ExitCode = exit.ExitStatus()
		return res, nil
	case strings.Contains(err.Error(), "executable file not found") || strings.Contains(err.Error(), "no such file or directory"):
		return res, harness.Errorf(harness.Invalid, "cannot start %q in the container: %v", argv[0], err)
	}
	return res, fail("exec in pod "+id, err)
}

// ReadFile reads path in a pod whose container does not run, where exec
// cannot reach: Kubernetes has no archive API. On the local cluster every
// volume of the pod is a folder on this host, read there: a claim's
// hostPath volume, a hostPath, an emptyDir in the kubelet's folder. The
// container's layer cannot be read, nor anything on another cluster.
func (e *Engine) ReadFile(ctx context.Context, id, p string) (harness.File, error) {
	ns, name := splitID(id)
	pod, err := e.cs.CoreV1().Pods(ns).Get(ctx, name, metav1.GetOptions{})
	if err != nil {
		return harness.File{}, fail("read pod "+id, err)
	}
	dir, err := e.hostDir(ctx, pod, p)
	if err != nil {
		return harness.File{}, err
	}
	return fileAt(dir)
}

// hostDir is where path p of the pod's container is on this host.
func (e *Engine) hostDir(ctx context.Context, pod *corev1.Pod, p string) (string, error) {
	unreadable := func(where string) error {
		return harness.Errorf(harness.Invalid, "Kubernetes cannot read %s of a container that is not running (pod %s/%s, %s): give it \"restarts on failure\" so that the kubelet starts it again, or read it after I recreate the container",
			where, pod.Namespace, pod.Name, podSummary(pod))
	}
	m, rel, ok := mountOf(pod, p)
	if !ok {
		return "", unreadable(p + ", in the container's layer,")
	}
	if e.local == nil {
		return "", unreadable(p)
	}
	var src corev1.VolumeSource
	for _, v := range pod.Spec.Volumes {
		if v.Name == m.Name {
			src = v.VolumeSource
		}
	}
	switch {
	case src.HostPath != nil:
		return filepath.Join(src.HostPath.Path, rel), nil
	case src.EmptyDir != nil && e.local.KubeletRoot != "":
		return filepath.Join(e.local.KubeletRoot, "pods", string(pod.UID), "volumes", "kubernetes.io~empty-dir", m.Name, rel), nil
	case src.PersistentVolumeClaim != nil:
		claim, err := e.cs.CoreV1().PersistentVolumeClaims(pod.Namespace).Get(ctx, src.PersistentVolumeClaim.ClaimName, metav1.GetOptions{})
		if err != nil {
			return "", fail("read claim "+src.PersistentVolumeClaim.ClaimName, err)
		}
		pv, err := e.cs.CoreV1().PersistentVolumes().Get(ctx, claim.Spec.VolumeName, metav1.GetOptions{})
		if err != nil {
			return "", fail("read volume "+claim.Spec.VolumeName, err)
		}
		if pv.Spec.HostPath != nil {
			return filepath.Join(pv.Spec.HostPath.Path, rel), nil
		}
	}
	return "", unreadable(p)
}

// mountOf is the mount of the pod's container that holds p, and p below it.
func mountOf(pod *corev1.Pod, p string) (corev1.VolumeMount, string, bool) {
	var best corev1.VolumeMount
	found := false
	for _, m := range pod.Spec.Containers[0].VolumeMounts {
		if (p == m.MountPath || strings.HasPrefix(p, strings.TrimSuffix(m.MountPath, "/")+"/")) && len(m.MountPath) > len(best.MountPath) {
			best, found = m, true
		}
	}
	if !found {
		return best, "", false
	}
	return best, strings.TrimPrefix(strings.TrimPrefix(p, best.MountPath), "/"), true
}

// fileAt reads what is at a path on this host as the harness reports it.
// Links are not followed: they point inside the container, not here.
func fileAt(p string) (harness.File, error) {
	info, err := os.Lstat(p)
	switch {
	case errors.Is(err, fs.ErrNotExist) || errors.Is(err, syscall.ENOTDIR):
		return harness.File{}, nil
	case err != nil:
		return harness.File{}, harness.Wrap("read "+p, harness.Infrastructure, err)
	case info.Mode().IsRegular():
		data, err := os.ReadFile(p)
		if err != nil {
			return harness.File{}, harness.Wrap("read "+p, harness.Infrastructure, err)
		}
		return harness.File{Exists: true, Kind: "file", Data: data}, nil
	case info.IsDir():
		entries, err := os.ReadDir(p)
		if err != nil {
			return harness.File{}, harness.Wrap("read "+p, harness.Infrastructure, err)
		}
		f := harness.File{Exists: true, Kind: "folder", Total: len(entries)}
		for _, en := range entries[:min(len(entries), maxEntries)] {
			kind := "other"
			switch t := en.Type(); {
			case t.IsRegular():
				kind = "file"
			case t.IsDir():
				kind = "folder"
			case t&fs.ModeSymlink != 0:
				kind = "link"
			}
			var size int64
			if i, err := en.Info(); err == nil {
				size = i.Size()
			}
			f.Entries = append(f.Entries, harness.Entry{Name: en.Name(), Kind: kind, Size: size})
		}
		return f, nil
	}
	return harness.File{Exists: true, Kind: "other"}, nil
}

// maxEntries is how many entries of a folder a reading lists.
const maxEntries = 50

// InstallAgent is never needed: Create places the agent with an init
// container in every pod whose image lacks it.
func (e *Engine) InstallAgent(ctx context.Context, id string) error {
	return harness.Errorf(harness.Infrastructure, "pod %s has no agent, and Kubernetes cannot copy one into a running pod", id)
}

// RunBeside is for paused containers, which Kubernetes does not have.
func (e *Engine) RunBeside(ctx context.Context, id string, argv []string, labels map[string]string) (harness.ExecResult, error) {
	return harness.ExecResult{}, errNoEvent("pause", "nothing: a pod's processes are never frozen by hand%.0[1]s")
}

// RunImage is what the matrix plants with; it runs on Docker engines.
func (e *Engine) RunImage(ctx context.Context, ref string, args []string, labels map[string]string) (harness.ExecResult, error) {
	return harness.ExecResult{}, harness.Errorf(harness.Invalid, "persistcheck matrix runs on Docker and Podman engines; on Kubernetes, write the scenarios: the built-in features show how")
}

// ReadVia reads paths in a short-lived pod of the built-in image that
// mounts mounts (claims and hostPaths), removed after: storage that
// outlives a deleted pod can still be read.
func (e *Engine) ReadVia(ctx context.Context, mounts []harness.EngineMount, paths []string, labels map[string]string) ([]harness.File, error) {
	builtin, err := e.Image(ctx, harness.BuiltinImage)
	if err != nil {
		return nil, err
	}
	spec := harness.EngineSpec{Name: "reader-" + randomSuffix(), Image: builtin.Ref, Labels: labels, Mounts: mounts}
	id, err := e.Create(ctx, spec)
	if err != nil {
		return nil, err
	}
	defer e.Remove(context.WithoutCancel(ctx), id, true)
	if err := e.Start(ctx, id); err != nil {
		return nil, harness.Wrap("start a pod to read storage through", harness.Infrastructure, err)
	}
	res, err := e.Exec(ctx, id, append([]string{harness.AgentPath, "read"}, paths...))
	if err != nil {
		return nil, err
	}
	if res.ExitCode != 0 {
		return nil, harness.Errorf(harness.Infrastructure, "the agent in reader pod %s failed: %s", id, strings.TrimSpace(string(res.Stderr)))
	}
	return decodeFound(res.Stdout, len(paths))
}

// decodeFound decodes the agent's answers to read, one line of JSON per path.
func decodeFound(stdout []byte, n int) ([]harness.File, error) {
	lines := bytes.Split(bytes.TrimSpace(stdout), []byte("\n"))
	if len(lines) != n {
		return nil, harness.Errorf(harness.Infrastructure, "the agent gave %d answers for %d files: %q", len(lines), n, stdout)
	}
	out := make([]harness.File, n)
	for i, l := range lines {
		var f struct {
			Exists  bool            `json:"exists"`
			Kind    string          `json:"kind"`
			Data    []byte          `json:"data"`
			Entries []harness.Entry `json:"entries"`
			Total   int             `json:"total"`
		}
		if err := json.Unmarshal(l, &f); err != nil {
			return nil, harness.Errorf(harness.Infrastructure, "the agent answered %q: %v", l, err)
		}
		out[i] = harness.File{Exists: f.Exists, Kind: f.Kind, Data: f.Data, Entries: f.Entries, Total: f.Total}
	}
	return out, nil
}
