package cluster

import (
	"context"
	"fmt"
	"net/http"
)

// CreateNamespace creates namespace name.
func (c *Cluster) CreateNamespace(ctx context.Context, name string) error {
	ns := map[string]any{"apiVersion": "v1", "kind": "Namespace", "metadata": map[string]string{"name": name}}
	if err := c.Do(ctx, http.MethodPost, "/api/v1/namespaces", ns, nil); err != nil {
		return fmt.Errorf("create namespace %s: %w", name, err)
	}
	return nil
}

// DeleteNamespace deletes namespace name and waits until it and everything
// in it is gone, or ctx ends.
func (c *Cluster) DeleteNamespace(ctx context.Context, name string) error {
	return c.deleteAndWait(ctx, "namespace "+name, "/api/v1/namespaces/"+name)
}

// CreatePod creates pod, a Pod object as JSON-encodable value, in namespace.
func (c *Cluster) CreatePod(ctx context.Context, namespace string, pod any) error {
	if err := c.Do(ctx, http.MethodPost, "/api/v1/namespaces/"+namespace+"/pods", pod, nil); err != nil {
		return fmt.Errorf("create pod in %s: %w", namespace, err)
	}
	return nil
}

// WaitRunning waits until every container of the pod runs, or ctx ends. A
// pod that failed or succeeded is an error at once.
func (c *Cluster) WaitRunning(ctx context.Context, namespace, name string) error {
	return poll(ctx, "pod "+namespace+"/"+name+" to run", func(ctx context.Context) (string, bool, error) {
		var pod struct {
			Status struct {
				Phase             string
				ContainerStatuses []struct {
					Ready bool
					State map[string]struct{ Reason, Message string }
				}
			}
		}
		if err := c.Do(ctx, http.MethodGet, podPath(namespace, name), nil, &pod); err != nil {
			return "", false, err
		}
		st := pod.Status
		if st.Phase == "Failed" || st.Phase == "Succeeded" {
			return st.Phase, false, fmt.Errorf("pod %s/%s ended: %s", namespace, name, st.Phase)
		}
		state := st.Phase
		for _, cs := range st.ContainerStatuses {
			for k, v := range cs.State {
				state += fmt.Sprintf(", container %s %s %s", k, v.Reason, v.Message)
			}
			if !cs.Ready {
				return state, false, nil
			}
		}
		return state, st.Phase == "Running" && len(st.ContainerStatuses) > 0, nil
	})
}

// DeletePod deletes the pod and waits until the object is gone, or ctx ends.
func (c *Cluster) DeletePod(ctx context.Context, namespace, name string) error {
	return c.deleteAndWait(ctx, "pod "+namespace+"/"+name, podPath(namespace, name))
}

// Log returns the log of the pod's only container.
func (c *Cluster) Log(ctx context.Context, namespace, name string) (string, error) {
	data, err := c.Raw(ctx, http.MethodGet, podPath(namespace, name)+"/log")
	if err != nil {
		return "", fmt.Errorf("read log of pod %s/%s: %w", namespace, name, err)
	}
	return string(data), nil
}

func podPath(namespace, name string) string {
	return "/api/v1/namespaces/" + namespace + "/pods/" + name
}

func (c *Cluster) deleteAndWait(ctx context.Context, what, path string) error {
	if err := c.Do(ctx, http.MethodDelete, path, nil, nil); err != nil {
		if IsNotFound(err) {
			return nil
		}
		return fmt.Errorf("delete %s: %w", what, err)
	}
	return poll(ctx, what+" to be gone", func(ctx context.Context) (string, bool, error) {
		err := c.Do(ctx, http.MethodGet, path, nil, nil)
		if IsNotFound(err) {
			return "gone", true, nil
		}
		if err != nil {
			return err.Error(), false, nil
		}
		return "still there", false, nil
	})
}
