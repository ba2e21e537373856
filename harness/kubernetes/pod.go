package kubernetes

import (
	"context"
	"fmt"
	"path"
	"strconv"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/persistcheck/persistcheck/harness"
)

// mainContainer is the name of a pod's one container: the scenario's.
const mainContainer = "app"

// agentVolume is the emptyDir the init container places the agent in, for
// images without it; agentMount is where the init container mounts it.
const (
	agentVolume = "persistcheck-agent"
	agentMount  = "/agent-volume"
)

// pendingPod is a pod created by Create and not yet by Start: Kubernetes
// has no container that exists without running.
type pendingPod struct {
	pod *corev1.Pod
}

// Create makes the pod of spec, and keeps it until Start creates it on the
// cluster. The id it returns is namespace/name.
func (e *Engine) Create(ctx context.Context, spec harness.EngineSpec) (string, error) {
	ns := namespaceOf(spec.Labels)
	pod, err := e.podOf(ctx, ns, spec)
	if err != nil {
		return "", err
	}
	if err := e.ensureNamespace(ctx, ns, spec.Labels); err != nil {
		return "", err
	}
	id := ns + "/" + pod.Name
	e.mu.Lock()
	e.pending[id] = &pendingPod{pod: pod}
	e.mu.Unlock()
	return id, nil
}

// podOf is spec as a pod of one container in namespace ns.
func (e *Engine) podOf(ctx context.Context, ns string, spec harness.EngineSpec) (*corev1.Pod, error) {
	c := corev1.Container{
		Name:            mainContainer,
		Image:           spec.Image,
		Command:         spec.Entrypoint,
		Args:            spec.Cmd,
		WorkingDir:      spec.WorkingDir,
		ImagePullPolicy: e.pullPolicy(),
	}
	for _, kv := range spec.Env {
		k, v, _ := strings.Cut(kv, "=")
		c.Env = append(c.Env, corev1.EnvVar{Name: k, Value: v})
	}
	if spec.User != "" {
		sc, err := securityContextOf(spec.User)
		if err != nil {
			return nil, err
		}
		c.SecurityContext = sc
	}
	if spec.MemoryLimit > 0 {
		q := *resource.NewQuantity(spec.MemoryLimit, resource.BinarySI)
		c.Resources = corev1.ResourceRequirements{
			Limits:   corev1.ResourceList{corev1.ResourceMemory: q},
			Requests: corev1.ResourceList{corev1.ResourceMemory: q},
		}
	}
	probe, err := e.probeOf(ctx, spec)
	if err != nil {
		return nil, err
	}
	c.ReadinessProbe = probe

	restart := corev1.RestartPolicyNever
	if spec.RestartOnFailure {
		restart = corev1.RestartPolicyOnFailure
	}
	no, yes, zero := false, true, int64(0)
	pod := &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: dns(spec.Name), Namespace: ns, Labels: labelsOf(spec.Labels),
			Annotations: map[string]string{annotationName: spec.Name}},
		Spec: corev1.PodSpec{
			RestartPolicy:                 restart,
			EnableServiceLinks:            &no,
			AutomountServiceAccountToken:  &no,
			TerminationGracePeriodSeconds: &zero,
			// The pod's pause process is PID 1, as an init is in Docker:
			// it reaps, and the main process can be killed from inside.
			ShareProcessNamespace: &yes,
		},
	}
	for i, m := range spec.Mounts {
		name := fmt.Sprintf("m%d", i)
		src, err := e.volumeSourceOf(m)
		if err != nil {
			return nil, err
		}
		pod.Spec.Volumes = append(pod.Spec.Volumes, corev1.Volume{Name: name, VolumeSource: src})
		c.VolumeMounts = append(c.VolumeMounts, corev1.VolumeMount{Name: name, MountPath: m.Target})
	}
	if spec.MountAgent {
		builtin, err := e.Image(ctx, harness.BuiltinImage)
		if err != nil {
			return nil, err
		}
		pod.Spec.Volumes = append(pod.Spec.Volumes, corev1.Volume{Name: agentVolume, VolumeSource: corev1.VolumeSource{EmptyDir: &corev1.EmptyDirVolumeSource{}}})
		pod.Spec.InitContainers = []corev1.Container{{
			Name:            agentVolume,
			Image:           builtin.Ref,
			Command:         []string{harness.AgentPath, "install", agentMount},
			ImagePullPolicy: e.pullPolicy(),
			VolumeMounts:    []corev1.VolumeMount{{Name: agentVolume, MountPath: agentMount}},
		}}
		c.VolumeMounts = append(c.VolumeMounts, corev1.VolumeMount{Name: agentVolume, MountPath: path.Dir(harness.AgentPath), ReadOnly: true})
	}
	pod.Spec.Containers = []corev1.Container{c}
	return pod, nil
}

// annotationName keeps the engine name the harness gave, which a pod's
// name may not spell the same.
const annotationName = "persistcheck/name"

func (e *Engine) pullPolicy() corev1.PullPolicy {
	if e.local != nil {
		return corev1.PullNever // imported: there is nothing to pull from
	}
	return corev1.PullIfNotPresent
}

// securityContextOf runs the container as user, which Kubernetes takes as
// numbers only: uid or uid:gid.
func securityContextOf(user string) (*corev1.SecurityContext, error) {
	u, g, hasGroup := strings.Cut(user, ":")
	uid, err := strconv.ParseInt(u, 10, 64)
	if err != nil {
		return nil, harness.Errorf(harness.Invalid, "Kubernetes runs a container as a user id, not a name: give %q as a number (e.g. \"999\" or \"999:999\")", user)
	}
	sc := &corev1.SecurityContext{RunAsUser: &uid}
	if hasGroup {
		gid, err := strconv.ParseInt(g, 10, 64)
		if err != nil {
			return nil, harness.Errorf(harness.Invalid, "Kubernetes runs a container as a group id, not a name: give %q as numbers (e.g. \"999:999\")", user)
		}
		sc.RunAsGroup = &gid
	}
	return sc, nil
}

// volumeSourceOf maps a mount to Kubernetes' storage: a claim, an emptyDir
// (in memory for a tmpfs) or a hostPath.
func (e *Engine) volumeSourceOf(m harness.EngineMount) (corev1.VolumeSource, error) {
	switch m.Kind {
	case harness.NamedVolume:
		return corev1.VolumeSource{PersistentVolumeClaim: &corev1.PersistentVolumeClaimVolumeSource{ClaimName: dns(m.Source)}}, nil
	case harness.AnonymousVolume:
		return corev1.VolumeSource{EmptyDir: &corev1.EmptyDirVolumeSource{}}, nil
	case harness.Tmpfs:
		return corev1.VolumeSource{EmptyDir: &corev1.EmptyDirVolumeSource{Medium: corev1.StorageMediumMemory}}, nil
	case harness.HostFolder:
		if e.local == nil {
			return corev1.VolumeSource{}, harness.Errorf(harness.Invalid,
				"a host folder is a hostPath on Kubernetes, which only a single-node cluster on this host can share with the harness; this cluster is not one: use a volume (a claim) instead")
		}
		dir := corev1.HostPathDirectory
		return corev1.VolumeSource{HostPath: &corev1.HostPathVolumeSource{Path: m.Source, Type: &dir}}, nil
	}
	return corev1.VolumeSource{}, harness.Errorf(harness.Invalid, "no Kubernetes storage for a mount of kind %v at %s", m.Kind, m.Target)
}

// probeOf is the readiness probe of the spec's health check, or of its
// image's HEALTHCHECK, which Kubernetes does not run by itself.
func (e *Engine) probeOf(ctx context.Context, spec harness.EngineSpec) (*corev1.Probe, error) {
	h := spec.Health
	if h == nil {
		var err error
		if h, err = e.docker.Healthcheck(ctx, spec.Image); err != nil || h == nil {
			return nil, err
		}
	}
	argv := h.Test
	switch {
	case len(argv) > 0 && argv[0] == "CMD":
		argv = argv[1:]
	case len(argv) == 2 && argv[0] == "CMD-SHELL":
		argv = []string{"/bin/sh", "-c", argv[1]}
	}
	seconds := func(d, def time.Duration) int32 {
		if d <= 0 {
			d = def
		}
		return int32(max(1, (d+time.Second-1)/time.Second))
	}
	return &corev1.Probe{
		ProbeHandler:     corev1.ProbeHandler{Exec: &corev1.ExecAction{Command: argv}},
		PeriodSeconds:    seconds(h.Interval, time.Second),
		TimeoutSeconds:   seconds(h.Timeout, 30*time.Second),
		FailureThreshold: int32(max(1, h.Retries)),
	}, nil
}

// Start creates the pod Create made and returns once its container runs,
// or has already ended. A pod that exists is never started again:
// Kubernetes has no such event.
func (e *Engine) Start(ctx context.Context, id string) error {
	e.mu.Lock()
	p := e.pending[id]
	delete(e.pending, id)
	e.mu.Unlock()
	if p == nil {
		return errNoEvent("start", `the kubelet starts a crashed container again by itself when it restarts on failure (When the main process of %[1]q crashes); for a new pod: When I recreate the container %[1]q`)
	}
	if _, err := e.cs.CoreV1().Pods(p.pod.Namespace).Create(ctx, p.pod, metav1.CreateOptions{}); err != nil {
		return fail("create pod "+id, err)
	}
	return e.waitStarted(ctx, id)
}

// waitStarted waits until the pod's container has started, or its pod
// cannot start it: an image that is not there, a claim that is not bound.
func (e *Engine) waitStarted(ctx context.Context, id string) error {
	var refused time.Time // when the scheduler first said it cannot place the pod
	return e.poll(ctx, id, "start", func(pod *corev1.Pod) (bool, error) {
		cs := containerStatus(pod)
		switch {
		case pod.Status.Phase == corev1.PodFailed || pod.Status.Phase == corev1.PodSucceeded:
			return true, nil
		case cs == nil:
			return false, unschedulable(pod, &refused)
		case cs.State.Running != nil || cs.State.Terminated != nil || cs.LastTerminationState.Terminated != nil:
			return true, nil
		case cs.State.Waiting != nil && cannotStart[cs.State.Waiting.Reason]:
			return false, harness.Errorf(harness.Infrastructure, "pod %s cannot start its container: %s: %s", id, cs.State.Waiting.Reason, cs.State.Waiting.Message)
		}
		return false, initFailed(pod)
	})
}

// cannotStart are the reasons a container waits that no waiting mends.
var cannotStart = map[string]bool{
	"ErrImageNeverPull": true, "InvalidImageName": true, "CreateContainerConfigError": true,
	"CreateContainerError": true, "ErrImagePull": true, "ImagePullBackOff": true, "RunContainerError": true,
}

// schedulingGrace is how long the scheduler may refuse a pod before that
// counts as final: its cache can lag a claim bound a moment earlier ("pod
// has unbound immediate PersistentVolumeClaims"), and it tries again.
const schedulingGrace = 15 * time.Second

// unschedulable says why a pod without a container status waits, once that
// has lasted schedulingGrace since *refused, the first time it was seen.
func unschedulable(pod *corev1.Pod, refused *time.Time) error {
	for _, c := range pod.Status.Conditions {
		if c.Type == corev1.PodScheduled && c.Status == corev1.ConditionFalse && c.Reason == corev1.PodReasonUnschedulable {
			if refused.IsZero() {
				*refused = time.Now()
			}
			if time.Since(*refused) < schedulingGrace {
				return nil
			}
			return harness.Errorf(harness.Infrastructure, "pod %s/%s cannot be scheduled, for %s now: %s", pod.Namespace, pod.Name, schedulingGrace, c.Message)
		}
	}
	return initFailed(pod)
}

// initFailed says why the agent's init container failed, if it did.
func initFailed(pod *corev1.Pod) error {
	for _, s := range pod.Status.InitContainerStatuses {
		if t := s.State.Terminated; t != nil && t.ExitCode != 0 {
			return harness.Errorf(harness.Infrastructure, "pod %s/%s: the init container that places the agent failed (exit code %d): %s", pod.Namespace, pod.Name, t.ExitCode, t.Message)
		}
		if w := s.State.Waiting; w != nil && cannotStart[w.Reason] {
			return harness.Errorf(harness.Infrastructure, "pod %s/%s cannot start the init container that places the agent: %s: %s", pod.Namespace, pod.Name, w.Reason, w.Message)
		}
	}
	return nil
}

// poll gets the pod until done says so, fails, or ctx ends; what it last
// saw goes into the error of a deadline.
func (e *Engine) poll(ctx context.Context, id, what string, done func(*corev1.Pod) (bool, error)) error {
	ns, name := splitID(id)
	var last string
	for pause := 20 * time.Millisecond; ; pause = min(2*pause, 250*time.Millisecond) {
		pod, err := e.cs.CoreV1().Pods(ns).Get(ctx, name, metav1.GetOptions{})
		if err != nil {
			if ctx.Err() != nil {
				return harness.Errorf(harness.Infrastructure, "%s pod %s: %v (last seen: %s)", what, id, ctx.Err(), last)
			}
			return fail(what+" pod "+id, err)
		}
		if ok, err := done(pod); ok || err != nil {
			return err
		}
		last = podSummary(pod)
		select {
		case <-ctx.Done():
			return harness.Errorf(harness.Infrastructure, "%s pod %s: %v (last seen: %s)", what, id, ctx.Err(), last)
		case <-time.After(pause):
		}
	}
}

// podSummary is a pod's phase and its container's state, for messages.
func podSummary(pod *corev1.Pod) string {
	s := string(pod.Status.Phase)
	if cs := containerStatus(pod); cs != nil {
		switch st := cs.State; {
		case st.Waiting != nil:
			s += ", container waiting: " + st.Waiting.Reason
		case st.Running != nil:
			s += ", container running"
		case st.Terminated != nil:
			s += fmt.Sprintf(", container terminated: %s (exit code %d)", st.Terminated.Reason, st.Terminated.ExitCode)
		}
	}
	return s
}

func containerStatus(pod *corev1.Pod) *corev1.ContainerStatus {
	for i := range pod.Status.ContainerStatuses {
		if pod.Status.ContainerStatuses[i].Name == mainContainer {
			return &pod.Status.ContainerStatuses[i]
		}
	}
	return nil
}

func splitID(id string) (ns, name string) {
	ns, name, _ = strings.Cut(id, "/")
	return ns, name
}

// Inspect maps the pod to a container's state: created until its
// container starts, running, restarting while the kubelet waits to start a
// crashed one again, exited once it ended for good.
func (e *Engine) Inspect(ctx context.Context, id string) (harness.Status, error) {
	e.mu.Lock()
	p := e.pending[id]
	e.mu.Unlock()
	if p != nil {
		return harness.Status{State: "created"}, nil
	}
	ns, name := splitID(id)
	pod, err := e.cs.CoreV1().Pods(ns).Get(ctx, name, metav1.GetOptions{})
	if err != nil {
		return harness.Status{}, fail("inspect pod "+id, err)
	}
	st := statusOf(pod)
	if probe := pod.Spec.Containers[0].ReadinessProbe; probe != nil && st.State == "running" && st.Health != "healthy" {
		st.HealthLog = e.lastProbe(ctx, pod)
	}
	return st, nil
}

// statusOf maps a pod to the harness's container state.
func statusOf(pod *corev1.Pod) harness.Status {
	st := harness.Status{State: "created", Mounts: mountsOf(pod)}
	cs := containerStatus(pod)
	if cs == nil {
		return st
	}
	st.RestartCount = int(cs.RestartCount)
	last := cs.LastTerminationState.Terminated
	switch s := cs.State; {
	case s.Running != nil:
		st.State, st.StartedAt = "running", s.Running.StartedAt.Time
	case s.Terminated != nil:
		last = s.Terminated
		st.State = "exited"
		if pod.Spec.RestartPolicy == corev1.RestartPolicyOnFailure && s.Terminated.ExitCode != 0 {
			st.State = "restarting"
		}
	case s.Waiting != nil && last != nil:
		st.State = "restarting" // the kubelet's back-off before it starts the container again
		st.Error = s.Waiting.Message
	case s.Waiting != nil:
		st.Error = strings.TrimSpace(s.Waiting.Reason + ": " + s.Waiting.Message)
	}
	if last != nil {
		st.ExitCode, st.OOMKilled = int(last.ExitCode), last.Reason == "OOMKilled"
		st.FinishedAt = last.FinishedAt.Time
		if st.StartedAt.IsZero() {
			st.StartedAt = last.StartedAt.Time
		}
	}
	if pod.Spec.Containers[0].ReadinessProbe != nil && st.State == "running" {
		st.Health = "starting"
		if cs.Ready {
			st.Health = "healthy"
		}
	}
	return st
}

// mountsOf are the pod's mounts in the engine's words.
func mountsOf(pod *corev1.Pod) []harness.MountStatus {
	sources := map[string]corev1.VolumeSource{}
	for _, v := range pod.Spec.Volumes {
		sources[v.Name] = v.VolumeSource
	}
	var out []harness.MountStatus
	for _, m := range pod.Spec.Containers[0].VolumeMounts {
		ms := harness.MountStatus{Destination: m.MountPath, RW: !m.ReadOnly}
		switch src := sources[m.Name]; {
		case src.PersistentVolumeClaim != nil:
			ms.Type, ms.Name = "claim", src.PersistentVolumeClaim.ClaimName
		case src.EmptyDir != nil && src.EmptyDir.Medium == corev1.StorageMediumMemory:
			ms.Type = "emptyDir (memory)"
		case src.EmptyDir != nil:
			ms.Type = "emptyDir"
		case src.HostPath != nil:
			ms.Type, ms.Source = "hostPath", src.HostPath.Path
		}
		if m.Name == agentVolume {
			continue
		}
		out = append(out, ms)
	}
	return out
}

// lastProbe is the message of the pod's last failed readiness probe.
func (e *Engine) lastProbe(ctx context.Context, pod *corev1.Pod) string {
	events, err := e.cs.CoreV1().Events(pod.Namespace).List(ctx, metav1.ListOptions{
		FieldSelector: "involvedObject.name=" + pod.Name + ",reason=Unhealthy",
	})
	if err != nil || len(events.Items) == 0 {
		return ""
	}
	last := events.Items[0]
	for _, ev := range events.Items[1:] {
		if ev.LastTimestamp.After(last.LastTimestamp.Time) {
			last = ev
		}
	}
	return strings.TrimSpace(last.Message)
}

// WaitStopped returns once the pod's container is not running: ended, or
// waiting to be started again.
func (e *Engine) WaitStopped(ctx context.Context, id string) error {
	return e.poll(ctx, id, "wait for the container of", func(pod *corev1.Pod) (bool, error) {
		return statusOf(pod).State != "running", nil
	})
}

// Remove deletes the pod at once, as `docker rm -f` does, and returns once
// it is gone; its emptyDirs go with it.
func (e *Engine) Remove(ctx context.Context, id string, volumes bool) error {
	e.mu.Lock()
	_, pending := e.pending[id]
	delete(e.pending, id)
	delete(e.logs, id)
	e.mu.Unlock()
	if pending {
		return nil
	}
	ns, name := splitID(id)
	return e.deletePod(ctx, ns, name)
}

func (e *Engine) deletePod(ctx context.Context, ns, name string) error {
	zero := int64(0)
	err := e.cs.CoreV1().Pods(ns).Delete(ctx, name, metav1.DeleteOptions{GracePeriodSeconds: &zero})
	if apierrors.IsNotFound(err) {
		return nil
	}
	if err != nil {
		return fail("delete pod "+ns+"/"+name, err)
	}
	return waitGone(ctx, "pod "+ns+"/"+name, func() error { _, err := e.cs.CoreV1().Pods(ns).Get(ctx, name, metav1.GetOptions{}); return err })
}

// The events Kubernetes does not have.

func (e *Engine) Kill(ctx context.Context, id string, sig harness.Signal) error {
	return errNoEvent("kill through the engine", `When the main process of %[1]q crashes (killed from inside, as the kernel kills), or When I recreate the container %[1]q`)
}

func (e *Engine) Stop(ctx context.Context, id string, grace time.Duration) error {
	return errNoEvent("stop", `When I recreate the container %[1]q (the pod is deleted and created again), or When I remove the container %[1]q`)
}

func (e *Engine) Restart(ctx context.Context, id string, grace time.Duration) error {
	return errNoEvent("restart", `When the main process of %[1]q crashes, with Given %[1]q restarts on failure: the kubelet starts the container again in the same pod`)
}

func (e *Engine) Pause(ctx context.Context, id string) error {
	return errNoEvent("pause", "nothing: a pod's processes are never frozen by hand%.0[1]s")
}

func (e *Engine) Unpause(ctx context.Context, id string) error {
	return errNoEvent("unpause", "nothing: a pod's processes are never frozen by hand%.0[1]s")
}

// fail wraps a cluster's error as Infrastructure with the operation.
func fail(op string, err error) error {
	if err == nil {
		return nil
	}
	return harness.Wrap(op, harness.Infrastructure, err)
}
