// Package cluster reaches the project's local single-node Kubernetes cluster
// (started by cluster/cluster up) through the apiserver's REST API, with the
// standard library only: no client-go in the main module.
//
// The cluster describes itself in cluster.json in its folder
// ($PERSISTCHECK_CLUSTER_DIR, default /var/lib/persistcheck/cluster): the
// apiserver, an admin token, the node, the StorageClass for claims and the
// folder their hostPath volumes live in.
package cluster

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// DefaultDir is where cluster/cluster keeps the cluster unless
// PERSISTCHECK_CLUSTER_DIR says otherwise.
const DefaultDir = "/var/lib/persistcheck/cluster"

// Dir returns the cluster's folder: $PERSISTCHECK_CLUSTER_DIR or DefaultDir.
func Dir() string {
	if d := os.Getenv("PERSISTCHECK_CLUSTER_DIR"); d != "" {
		return d
	}
	return DefaultDir
}

// Cluster is a running cluster as cluster.json describes it.
type Cluster struct {
	Server           string `json:"server"`
	CAFile           string `json:"caFile"`
	TokenFile        string `json:"tokenFile"`
	Kubeconfig       string `json:"kubeconfig"`
	Node             string `json:"node"`
	ContainerdSocket string `json:"containerdSocket"`
	StorageClass     string `json:"storageClass"`
	VolumesDir       string `json:"volumesDir"`
	KubeletRoot      string `json:"kubeletRoot"`
	WorkloadImage    string `json:"workloadImage"`

	token  string
	client *http.Client
}

// Load reads dir/cluster.json and the credentials it names. It does not
// contact the apiserver: Ready does.
func Load(dir string) (*Cluster, error) {
	data, err := os.ReadFile(filepath.Join(dir, "cluster.json"))
	if err != nil {
		return nil, fmt.Errorf("read cluster description: %w", err)
	}
	c := &Cluster{}
	if err := json.Unmarshal(data, c); err != nil {
		return nil, fmt.Errorf("parse %s: %w", filepath.Join(dir, "cluster.json"), err)
	}
	token, err := os.ReadFile(c.TokenFile)
	if err != nil {
		return nil, fmt.Errorf("read admin token: %w", err)
	}
	c.token = strings.TrimSpace(string(token))
	ca, err := os.ReadFile(c.CAFile)
	if err != nil {
		return nil, fmt.Errorf("read cluster CA: %w", err)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(ca) {
		return nil, fmt.Errorf("read cluster CA: no certificate in %s", c.CAFile)
	}
	c.client = &http.Client{Transport: &http.Transport{
		TLSClientConfig: &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12},
		Proxy:           nil, // every address is local
	}}
	return c, nil
}

// Ready returns nil when the apiserver answers /readyz and the node is Ready.
func (c *Cluster) Ready(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	if _, err := c.Raw(ctx, http.MethodGet, "/readyz"); err != nil {
		return fmt.Errorf("ask apiserver readiness: %w", err)
	}
	var node struct {
		Status struct {
			Conditions []struct{ Type, Status string }
		}
	}
	if err := c.Do(ctx, http.MethodGet, "/api/v1/nodes/"+c.Node, nil, &node); err != nil {
		return fmt.Errorf("get node: %w", err)
	}
	for _, cond := range node.Status.Conditions {
		if cond.Type == "Ready" && cond.Status == "True" {
			return nil
		}
	}
	return fmt.Errorf("node %s is not Ready", c.Node)
}
