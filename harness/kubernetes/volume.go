package kubernetes

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/google/uuid"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"

	"github.com/persistcheck/persistcheck/harness"
)

// annotationOwner keeps the owner label's value as the harness wrote it
// (host:pid), which a label value cannot hold: sweep asks it.
const annotationOwner = "persistcheck/owner"

// namespaceOf is the run's own namespace, from its labels.
func namespaceOf(l map[string]string) string {
	return dns("persistcheck-" + l[harness.LabelRun])
}

// ensureNamespace creates the run's namespace, once, with the default
// service account its pods need (made here rather than awaited from the
// controller that would make it).
func (e *Engine) ensureNamespace(ctx context.Context, ns string, l map[string]string) error {
	e.mu.Lock()
	done := e.namespaces[ns]
	e.mu.Unlock()
	if done {
		return nil
	}
	run := map[string]string{harness.LabelRun: l[harness.LabelRun], harness.LabelOwner: l[harness.LabelOwner]}
	_, err := e.cs.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{
		Name: ns, Labels: labelsOf(run), Annotations: map[string]string{annotationOwner: l[harness.LabelOwner]},
	}}, metav1.CreateOptions{})
	if err != nil && !apierrors.IsAlreadyExists(err) {
		return fail("create namespace "+ns, err)
	}
	_, err = e.cs.CoreV1().ServiceAccounts(ns).Create(ctx, &corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Name: "default"}}, metav1.CreateOptions{})
	if err != nil && !apierrors.IsAlreadyExists(err) {
		return fail("create the default service account of namespace "+ns, err)
	}
	e.mu.Lock()
	e.namespaces[ns] = true
	e.mu.Unlock()
	return nil
}

// claimSize is what a claim asks for; the local cluster's volumes are
// folders, which hold what the host's disk does.
const claimSize = "1Gi"

// CreateVolume creates a PersistentVolumeClaim. On the local cluster it
// provides the claim's volume too, a hostPath folder bound to it alone,
// and returns once the claim is bound; elsewhere the StorageClass's
// provisioner does, when a pod first uses the claim.
func (e *Engine) CreateVolume(ctx context.Context, name string, size int64, l map[string]string) error {
	if size > 0 {
		return harness.Errorf(harness.Invalid, "a volume of a size is a loop device on a Docker host; on Kubernetes a claim's size is what its StorageClass enforces, which the harness cannot promise: fill a volume without a size, or run this scenario on Docker")
	}
	ns := namespaceOf(l)
	if err := e.ensureNamespace(ctx, ns, l); err != nil {
		return err
	}
	claim := &corev1.PersistentVolumeClaim{
		ObjectMeta: metav1.ObjectMeta{Name: dns(name), Namespace: ns, Labels: labelsOf(l)},
		Spec: corev1.PersistentVolumeClaimSpec{
			AccessModes: []corev1.PersistentVolumeAccessMode{corev1.ReadWriteOnce},
			Resources:   corev1.VolumeResourceRequirements{Requests: corev1.ResourceList{corev1.ResourceStorage: resource.MustParse(claimSize)}},
		},
	}
	if class := e.storageClass(); class != "" {
		claim.Spec.StorageClassName = &class
	}
	if e.local != nil {
		pv, err := e.createLocalVolume(ctx, ns, claim.Name, l)
		if err != nil {
			return err
		}
		claim.Spec.VolumeName = pv
	}
	if _, err := e.cs.CoreV1().PersistentVolumeClaims(ns).Create(ctx, claim, metav1.CreateOptions{}); err != nil {
		return fail("create claim "+ns+"/"+claim.Name, err)
	}
	if e.local == nil {
		return nil
	}
	for pause := 20 * time.Millisecond; ; pause = min(2*pause, 250*time.Millisecond) {
		got, err := e.cs.CoreV1().PersistentVolumeClaims(ns).Get(ctx, claim.Name, metav1.GetOptions{})
		if err != nil {
			return fail("wait for claim "+ns+"/"+claim.Name, err)
		}
		if got.Status.Phase == corev1.ClaimBound {
			return nil
		}
		select {
		case <-ctx.Done():
			return harness.Errorf(harness.Infrastructure, "claim %s/%s was not bound to its volume before the deadline (it is %s)", ns, claim.Name, got.Status.Phase)
		case <-time.After(pause):
		}
	}
}

func (e *Engine) storageClass() string {
	if e.opts.StorageClass == "" && e.local != nil {
		return e.local.StorageClass
	}
	return e.opts.StorageClass
}

// createLocalVolume makes the hostPath PersistentVolume of a claim on the
// local cluster: a folder of its own in the cluster's volumes folder,
// bound in advance to the claim and kept (Retain) until cleanup removes
// both. It returns the volume's name.
func (e *Engine) createLocalVolume(ctx context.Context, ns, claim string, l map[string]string) (string, error) {
	name := ns + "-" + claim
	dir := filepath.Join(e.local.VolumesDir, name)
	if err := os.MkdirAll(dir, 0o777); err != nil {
		return "", harness.Wrap("create the folder of volume "+name, harness.Infrastructure, err)
	}
	if err := os.Chmod(dir, 0o777); err != nil { // any user may write, as in a fresh volume
		return "", harness.Wrap("create the folder of volume "+name, harness.Infrastructure, err)
	}
	dirType := corev1.HostPathDirectory
	pv := &corev1.PersistentVolume{
		ObjectMeta: metav1.ObjectMeta{Name: name, Labels: labelsOf(l), Annotations: map[string]string{annotationOwner: l[harness.LabelOwner]}},
		Spec: corev1.PersistentVolumeSpec{
			Capacity:                      corev1.ResourceList{corev1.ResourceStorage: resource.MustParse(claimSize)},
			AccessModes:                   []corev1.PersistentVolumeAccessMode{corev1.ReadWriteOnce},
			PersistentVolumeReclaimPolicy: corev1.PersistentVolumeReclaimRetain,
			StorageClassName:              e.local.StorageClass,
			ClaimRef:                      &corev1.ObjectReference{Namespace: ns, Name: claim},
			PersistentVolumeSource:        corev1.PersistentVolumeSource{HostPath: &corev1.HostPathVolumeSource{Path: dir, Type: &dirType}},
		},
	}
	if _, err := e.cs.CoreV1().PersistentVolumes().Create(ctx, pv, metav1.CreateOptions{}); err != nil {
		os.Remove(dir)
		return "", fail("create volume "+name, err)
	}
	return name, nil
}

// RemoveLabelled deletes every pod carrying all of labels and waits until
// they are gone, then their claims, then the volumes provided for those
// claims and their folders. Given a run's label alone, it deletes the
// run's namespace too.
func (e *Engine) RemoveLabelled(ctx context.Context, l map[string]string) ([]string, error) {
	ns := namespaceOf(l)
	removed, err := e.removeInNamespace(ctx, ns, labels.SelectorFromSet(labelsOf(l)).String())
	if len(l) == 1 && l[harness.LabelRun] != "" {
		// The run's end: whatever is left in its namespace goes with it.
		err = errors.Join(err, e.deleteNamespace(ctx, ns))
	}
	return removed, err
}

// removeInNamespace deletes the pods, then the claims, then the volumes
// provided for them that selector matches.
func (e *Engine) removeInNamespace(ctx context.Context, ns, selector string) ([]string, error) {
	var removed []string
	var errs []error
	pods, err := e.cs.CoreV1().Pods(ns).List(ctx, metav1.ListOptions{LabelSelector: selector})
	if err != nil {
		return nil, fail("list pods", err)
	}
	for _, p := range pods.Items {
		if err := e.deletePod(ctx, ns, p.Name); err != nil {
			errs = append(errs, err)
			continue
		}
		removed = append(removed, "pod "+ns+"/"+p.Name)
		e.forget(ns + "/" + p.Name)
	}
	claims, err := e.cs.CoreV1().PersistentVolumeClaims(ns).List(ctx, metav1.ListOptions{LabelSelector: selector})
	if err != nil {
		return removed, errors.Join(append(errs, fail("list claims", err))...)
	}
	for _, c := range claims.Items {
		claims := e.cs.CoreV1().PersistentVolumeClaims(ns)
		err := claims.Delete(ctx, c.Name, metav1.DeleteOptions{})
		if err == nil {
			err = waitGone(ctx, "claim "+ns+"/"+c.Name, func() error { _, err := claims.Get(ctx, c.Name, metav1.GetOptions{}); return err })
		}
		if err != nil && !apierrors.IsNotFound(err) {
			errs = append(errs, fail("delete claim "+ns+"/"+c.Name, err))
			continue
		}
		removed = append(removed, "claim "+ns+"/"+c.Name)
	}
	gone, err := e.removeVolumes(ctx, selector)
	removed = append(removed, gone...)
	errs = append(errs, err)
	return removed, errors.Join(errs...)
}

// removeVolumes deletes the PersistentVolumes the harness provided that
// selector matches, and their folders.
func (e *Engine) removeVolumes(ctx context.Context, selector string) ([]string, error) {
	if e.local == nil {
		return nil, nil
	}
	pvs, err := e.cs.CoreV1().PersistentVolumes().List(ctx, metav1.ListOptions{LabelSelector: selector})
	if err != nil {
		return nil, fail("list volumes", err)
	}
	var removed []string
	var errs []error
	for _, pv := range pvs.Items {
		volumes := e.cs.CoreV1().PersistentVolumes()
		err := volumes.Delete(ctx, pv.Name, metav1.DeleteOptions{})
		if err == nil {
			err = waitGone(ctx, "volume "+pv.Name, func() error { _, err := volumes.Get(ctx, pv.Name, metav1.GetOptions{}); return err })
		}
		if err != nil && !apierrors.IsNotFound(err) {
			errs = append(errs, fail("delete volume "+pv.Name, err))
			continue
		}
		if hp := pv.Spec.HostPath; hp != nil && filepath.Dir(hp.Path) == filepath.Clean(e.local.VolumesDir) {
			if err := os.RemoveAll(hp.Path); err != nil {
				errs = append(errs, harness.Wrap("remove the folder of volume "+pv.Name, harness.Infrastructure, err))
			}
		}
		removed = append(removed, "volume "+pv.Name)
	}
	return removed, errors.Join(errs...)
}

// deleteNamespace deletes ns, which cleanup has emptied already: the
// namespace controller takes some seconds to finish, and is not waited for.
func (e *Engine) deleteNamespace(ctx context.Context, ns string) error {
	err := e.cs.CoreV1().Namespaces().Delete(ctx, ns, metav1.DeleteOptions{})
	if err != nil && !apierrors.IsNotFound(err) {
		return fail("delete namespace "+ns, err)
	}
	e.mu.Lock()
	delete(e.namespaces, ns)
	e.mu.Unlock()
	return nil
}

// waitGone returns once get says NotFound: deleting an object with
// finalizers (a claim in use, a bound volume, a namespace) only marks it.
func waitGone(ctx context.Context, what string, get func() error) error {
	for pause := 20 * time.Millisecond; ; pause = min(2*pause, 250*time.Millisecond) {
		err := get()
		switch {
		case apierrors.IsNotFound(err):
			return nil
		case err != nil && ctx.Err() == nil:
			return fail("wait for "+what+" to go", err)
		}
		select {
		case <-ctx.Done():
			return harness.Errorf(harness.Infrastructure, "%s was not gone before the deadline: %v", what, ctx.Err())
		case <-time.After(pause):
		}
	}
}

func (e *Engine) forget(id string) {
	e.mu.Lock()
	delete(e.pending, id)
	delete(e.logs, id)
	e.mu.Unlock()
}

// Sweep deletes the namespaces, and the volumes provided with them, of
// runs whose owner is not alive by the given test, and returns what it
// removed.
func (e *Engine) Sweep(ctx context.Context, alive func(owner string) bool) ([]string, error) {
	nss, err := e.cs.CoreV1().Namespaces().List(ctx, metav1.ListOptions{LabelSelector: harness.LabelRun})
	if err != nil {
		return nil, fail("list namespaces", err)
	}
	var removed []string
	var errs []error
	for _, ns := range nss.Items {
		if alive(ns.Annotations[annotationOwner]) {
			continue
		}
		gone, err := e.RemoveLabelled(ctx, map[string]string{harness.LabelRun: ns.Labels[harness.LabelRun]})
		removed = append(removed, gone...)
		removed = append(removed, "namespace "+ns.Name)
		errs = append(errs, err)
	}
	// Volumes whose namespace is gone already.
	pvs, err := e.cs.CoreV1().PersistentVolumes().List(ctx, metav1.ListOptions{LabelSelector: harness.LabelRun})
	if err != nil {
		return removed, errors.Join(append(errs, fail("list volumes", err))...)
	}
	for _, pv := range pvs.Items {
		if alive(pv.Annotations[annotationOwner]) {
			continue
		}
		gone, err := e.removeVolumes(ctx, labels.SelectorFromSet(map[string]string{harness.LabelRun: pv.Labels[harness.LabelRun]}).String())
		removed = append(removed, gone...)
		errs = append(errs, err)
	}
	sort.Strings(removed)
	return removed, errors.Join(errs...)
}

// randomSuffix tells apart the short-lived pods of one scenario.
func randomSuffix() string { return strings.SplitN(uuid.NewString(), "-", 2)[0] }
