package kubernetes

import (
	"context"
	"io"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/persistcheck/persistcheck/harness"
)

// logMark keeps the logs of a pod's ended containers by instance (0 the
// first, n after n restarts): the kubelet keeps only the last one's, and
// the harness counts lines across every start, as Docker's log does.
type logMark map[int]string

// CountLog returns how many lines of the pod's logs, across the restarts
// of its container, contain text.
func (e *Engine) CountLog(ctx context.Context, id, text string) (int, error) {
	log, err := e.log(ctx, id)
	n := 0
	for _, l := range log {
		if strings.Contains(l, text) {
			n++
		}
	}
	return n, err
}

// WaitLog returns once n lines of the logs contain text. It fails if the
// container stops first.
func (e *Engine) WaitLog(ctx context.Context, id, text string, n int) error {
	for pause := 20 * time.Millisecond; ; pause = min(2*pause, 200*time.Millisecond) {
		seen, err := e.CountLog(ctx, id, text)
		if err != nil {
			return err
		}
		if seen >= n {
			return nil
		}
		st, err := e.Inspect(ctx, id)
		if err != nil {
			return err
		}
		if st.State != "running" && st.State != "created" {
			return harness.Errorf(harness.Finding, "the container stopped before its log showed %q", text)
		}
		select {
		case <-ctx.Done():
			return fail("read the container's log", ctx.Err())
		case <-time.After(pause):
		}
	}
}

// LogTail returns the last n lines of the logs, across restarts.
func (e *Engine) LogTail(ctx context.Context, id string, n int) (string, error) {
	log, err := e.log(ctx, id)
	if len(log) > n {
		log = log[len(log)-n:]
	}
	if len(log) == 0 {
		return "", err
	}
	return strings.Join(log, "\n") + "\n", err
}

// log returns the lines of the pod's container, every instance of it the
// engine has seen, oldest first.
func (e *Engine) log(ctx context.Context, id string) ([]string, error) {
	e.mu.Lock()
	_, pending := e.pending[id]
	e.mu.Unlock()
	if pending {
		return nil, nil
	}
	ns, name := splitID(id)
	pod, err := e.cs.CoreV1().Pods(ns).Get(ctx, name, metav1.GetOptions{})
	if err != nil {
		return nil, fail("read the container's log", err)
	}
	cs := containerStatus(pod)
	if cs == nil {
		return nil, nil
	}
	r := int(cs.RestartCount)
	var current string
	ended := r // instances below it have ended, and are read from what was kept
	switch {
	case cs.State.Running != nil || cs.State.Terminated != nil: // instance r is the current one
		if current, err = e.podLog(ctx, ns, name, false); err != nil {
			return nil, err
		}
		if r > 0 {
			if prev, err := e.podLog(ctx, ns, name, true); err == nil {
				e.keepLog(id, r-1, prev)
			}
		}
	case cs.LastTerminationState.Terminated != nil: // instance r ended; the kubelet waits to start the next
		if prev, err := e.podLog(ctx, ns, name, true); err == nil {
			e.keepLog(id, r, prev)
		}
		ended = r + 1
	}
	var all []string
	e.mu.Lock()
	for i := range ended {
		all = append(all, lines(e.logs[id][i])...)
	}
	e.mu.Unlock()
	return append(all, lines(current)...), nil
}

func (e *Engine) keepLog(id string, instance int, log string) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.logs[id] == nil {
		e.logs[id] = logMark{}
	}
	e.logs[id][instance] = log
}

func (e *Engine) podLog(ctx context.Context, ns, name string, previous bool) (string, error) {
	rc, err := e.cs.CoreV1().Pods(ns).GetLogs(name, &corev1.PodLogOptions{Container: mainContainer, Previous: previous}).Stream(ctx)
	if err != nil {
		return "", fail("read the container's log", err)
	}
	defer rc.Close()
	data, err := io.ReadAll(rc)
	return string(data), fail("read the container's log", err)
}

func lines(s string) []string {
	s = strings.TrimSuffix(s, "\n")
	if s == "" {
		return nil
	}
	return strings.Split(s, "\n")
}
