package kubernetes

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"strings"

	corev1 "k8s.io/api/core/v1"
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

// ReadFile cannot read a container that does not run: Kubernetes has no
// archive API, and a pod's stopped container has no processes to exec in.
func (e *Engine) ReadFile(ctx context.Context, id, path string) (harness.File, error) {
	return harness.File{}, harness.Errorf(harness.Invalid,
		"Kubernetes cannot read the files of a container that is not running (pod %s): give it \"restarts on failure\" so that the kubelet starts it again, or read it after I recreate the container", id)
}

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
