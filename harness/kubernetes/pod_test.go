package kubernetes

import (
	"reflect"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/persistcheck/persistcheck/harness"
)

func podWith(policy corev1.RestartPolicy, cs corev1.ContainerStatus) *corev1.Pod {
	cs.Name = mainContainer
	return &corev1.Pod{
		Spec:   corev1.PodSpec{RestartPolicy: policy, Containers: []corev1.Container{{Name: mainContainer}}},
		Status: corev1.PodStatus{ContainerStatuses: []corev1.ContainerStatus{cs}},
	}
}

func TestStatusOf(t *testing.T) {
	t0 := metav1.NewTime(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
	oom := &corev1.ContainerStateTerminated{ExitCode: 137, Reason: "OOMKilled", StartedAt: t0, FinishedAt: t0}
	for _, c := range []struct {
		name string
		pod  *corev1.Pod
		want harness.Status
	}{
		{"not yet started", podWith(corev1.RestartPolicyNever, corev1.ContainerStatus{State: corev1.ContainerState{Waiting: &corev1.ContainerStateWaiting{Reason: "ContainerCreating"}}}),
			harness.Status{State: "created", Error: "ContainerCreating:"}},
		{"running after a restart", podWith(corev1.RestartPolicyOnFailure, corev1.ContainerStatus{RestartCount: 1,
			State: corev1.ContainerState{Running: &corev1.ContainerStateRunning{StartedAt: t0}}, LastTerminationState: corev1.ContainerState{Terminated: oom}}),
			harness.Status{State: "running", RestartCount: 1, ExitCode: 137, OOMKilled: true, StartedAt: t0.Time, FinishedAt: t0.Time}},
		{"backing off before a restart", podWith(corev1.RestartPolicyOnFailure, corev1.ContainerStatus{RestartCount: 2,
			State: corev1.ContainerState{Waiting: &corev1.ContainerStateWaiting{Reason: "CrashLoopBackOff", Message: "back-off 10s"}}, LastTerminationState: corev1.ContainerState{Terminated: oom}}),
			harness.Status{State: "restarting", RestartCount: 2, ExitCode: 137, OOMKilled: true, StartedAt: t0.Time, FinishedAt: t0.Time, Error: "back-off 10s"}},
		{"ended for good", podWith(corev1.RestartPolicyNever, corev1.ContainerStatus{State: corev1.ContainerState{Terminated: &corev1.ContainerStateTerminated{ExitCode: 3, StartedAt: t0, FinishedAt: t0}}}),
			harness.Status{State: "exited", ExitCode: 3, StartedAt: t0.Time, FinishedAt: t0.Time}},
	} {
		got := statusOf(c.pod)
		got.Mounts = nil
		if !reflect.DeepEqual(got, c.want) {
			t.Errorf("%s: got %+v, want %+v", c.name, got, c.want)
		}
	}
}

func TestNames(t *testing.T) {
	for in, want := range map[string]string{
		"pc-3f2a_App.1": "pc-3f2a-app-1",
		"persistcheck-" + "0123456789abcdef0123456789abcdef0123456789abcdef0123456789": "persistcheck-0123456789abcdef0123456789abcdef0123456789abcdef01",
	} {
		if got := dns(in); got != want {
			t.Errorf("dns(%q) = %q, want %q", in, got, want)
		}
	}
	if got := labelValue("host:1234"); got != "host_1234" {
		t.Errorf("labelValue(host:1234) = %q", got)
	}
}

func TestSecurityContextOf(t *testing.T) {
	sc, err := securityContextOf("999:998")
	if err != nil || *sc.RunAsUser != 999 || *sc.RunAsGroup != 998 {
		t.Errorf("999:998: %+v, %v", sc, err)
	}
	if _, err := securityContextOf("postgres"); harness.KindOf(err) != harness.Invalid {
		t.Errorf("a user name: %v, want an Invalid error", err)
	}
}

// A scheduler's refusal is waited out for a while, since its cache can lag
// a claim just bound; one that lasts is an infrastructure error that quotes
// the scheduler.
func TestUnschedulable(t *testing.T) {
	pod := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Namespace: "ns", Name: "app"}, Status: corev1.PodStatus{Conditions: []corev1.PodCondition{{
		Type: corev1.PodScheduled, Status: corev1.ConditionFalse, Reason: corev1.PodReasonUnschedulable,
		Message: "0/1 nodes are available: pod has unbound immediate PersistentVolumeClaims.",
	}}}}
	var refused time.Time
	if err := unschedulable(pod, &refused); err != nil || refused.IsZero() {
		t.Fatalf("first refusal: got %v (first seen %v), want a wait that notes when it began", err, refused)
	}
	refused = time.Now().Add(-schedulingGrace - time.Second)
	err := unschedulable(pod, &refused)
	if harness.KindOf(err) != harness.Infrastructure || !strings.Contains(err.Error(), "unbound immediate PersistentVolumeClaims") {
		t.Fatalf("a lasting refusal: got %v, want an infrastructure error quoting the scheduler", err)
	}
	if err := unschedulable(&corev1.Pod{}, new(time.Time)); err != nil {
		t.Fatalf("a pod the scheduler has not refused: got %v", err)
	}
}
