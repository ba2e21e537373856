package cluster

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
)

// Volume is a claim and the hostPath PersistentVolume made for it alone.
//
// The convention: the volume is named <namespace>-<claim>, its folder is
// VolumesDir/<volume name> on the host, it belongs to the cluster's
// StorageClass (no provisioner, Retain) and is bound to its claim in advance
// from both sides (claimRef on the volume, volumeName on the claim), so no
// other claim can take it. Deleting the claim leaves the volume Released and
// the folder in place; DeleteVolume removes both.
type Volume struct {
	Namespace string
	Claim     string
	Name      string // the PersistentVolume's
	Path      string // the folder on the host
}

// CreateVolume creates the folder, the PersistentVolume and the claim, and
// waits until the claim is Bound or ctx ends.
func (c *Cluster) CreateVolume(ctx context.Context, namespace, claim, size string) (Volume, error) {
	v := Volume{Namespace: namespace, Claim: claim, Name: namespace + "-" + claim}
	v.Path = filepath.Join(c.VolumesDir, v.Name)
	if err := os.MkdirAll(v.Path, 0o755); err != nil {
		return v, fmt.Errorf("create volume folder: %w", err)
	}
	pv := map[string]any{
		"apiVersion": "v1", "kind": "PersistentVolume",
		"metadata": map[string]any{"name": v.Name, "labels": map[string]string{
			"persistcheck.namespace": namespace, "persistcheck.claim": claim}},
		"spec": map[string]any{
			"capacity":                      map[string]string{"storage": size},
			"accessModes":                   []string{"ReadWriteOnce"},
			"persistentVolumeReclaimPolicy": "Retain",
			"storageClassName":              c.StorageClass,
			"claimRef":                      map[string]string{"namespace": namespace, "name": claim},
			"hostPath":                      map[string]string{"path": v.Path, "type": "Directory"},
		},
	}
	if err := c.Do(ctx, http.MethodPost, "/api/v1/persistentvolumes", pv, nil); err != nil {
		return v, fmt.Errorf("create volume %s: %w", v.Name, err)
	}
	pvc := map[string]any{
		"apiVersion": "v1", "kind": "PersistentVolumeClaim",
		"metadata": map[string]any{"name": claim, "namespace": namespace},
		"spec": map[string]any{
			"accessModes":      []string{"ReadWriteOnce"},
			"storageClassName": c.StorageClass,
			"volumeName":       v.Name,
			"resources":        map[string]any{"requests": map[string]string{"storage": size}},
		},
	}
	path := "/api/v1/namespaces/" + namespace + "/persistentvolumeclaims"
	if err := c.Do(ctx, http.MethodPost, path, pvc, nil); err != nil {
		return v, fmt.Errorf("create claim %s/%s: %w", namespace, claim, err)
	}
	err := poll(ctx, "claim "+namespace+"/"+claim+" to be Bound", func(ctx context.Context) (string, bool, error) {
		var got struct{ Status struct{ Phase string } }
		err := c.Do(ctx, http.MethodGet, path+"/"+claim, nil, &got)
		return got.Status.Phase, got.Status.Phase == "Bound", err
	})
	return v, err
}

// DeleteVolume deletes the claim (if it is still there), the
// PersistentVolume and the folder. Run it after the pods that mount it are
// gone, or the folder is removed under them.
func (c *Cluster) DeleteVolume(ctx context.Context, v Volume) error {
	var errs []error
	err := c.Do(ctx, http.MethodDelete, "/api/v1/namespaces/"+v.Namespace+"/persistentvolumeclaims/"+v.Claim, nil, nil)
	if err != nil && !IsNotFound(err) {
		errs = append(errs, fmt.Errorf("delete claim: %w", err))
	}
	err = c.Do(ctx, http.MethodDelete, "/api/v1/persistentvolumes/"+v.Name, nil, nil)
	if err != nil && !IsNotFound(err) {
		errs = append(errs, fmt.Errorf("delete volume: %w", err))
	}
	if v.Path != "" && filepath.Dir(v.Path) == filepath.Clean(c.VolumesDir) {
		if err := os.RemoveAll(v.Path); err != nil {
			errs = append(errs, fmt.Errorf("remove volume folder: %w", err))
		}
	}
	return errors.Join(errs...)
}
