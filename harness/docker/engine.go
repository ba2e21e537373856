// Package docker is the harness's Engine on the Docker Engine API. It is the
// only package that speaks testcontainers-go or the moby client.
package docker

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"

	cerrdefs "github.com/containerd/errdefs"
	"github.com/moby/moby/client"
	"github.com/testcontainers/testcontainers-go"
	tclog "github.com/testcontainers/testcontainers-go/log"

	"github.com/persistcheck/persistcheck/harness"
)

// Engine talks to one Docker engine. It is safe for concurrent use.
type Engine struct {
	providerMu sync.Mutex
	provider   *testcontainers.DockerProvider // builds images; made on first use
	cli        client.APIClient
	arch       string // the engine's GOARCH, for the agent
	identity   harness.Identity
	out        io.Writer // build output and testcontainers-go's chatter

	builtinMu  sync.Mutex
	builtin    *harness.Image
	agentMu    sync.Mutex
	agent      []byte // the agent binary, for images without it
	agentVolMu sync.Mutex
	agentVol   string // the agent volume, once checked
	buildsMu   sync.Mutex
	builds     map[string]*build // Dockerfile folders built by this process

	podman *podman // Podman's own API, where the engine is Podman
	anon   *anonymous
}

var _ harness.Engine = (*Engine)(nil)

var setup sync.Once

// New connects to the engine that DOCKER_HOST names, or the local socket:
// Docker's, or Podman's through its Docker-compatible API. An engine that
// does not answer is an Infrastructure error. Build output and
// testcontainers-go's chatter go to logs when it is not nil.
//
// Connecting costs one round trip: the moby client is made straight, and
// testcontainers-go's provider, which builds images, only when an image is
// built. The Ryuk reaper cannot start where no registry is reachable, and
// is not needed (the harness removes what it creates by label): New
// disables it for this process unless TESTCONTAINERS_RYUK_DISABLED is set.
func New(ctx context.Context, logs io.Writer) (*Engine, error) {
	return connect(ctx, logs, "")
}

// PodmanSockets returns where Podman's API service listens by default: for
// root, and for the user whose runtime folder XDG_RUNTIME_DIR names.
func PodmanSockets() []string {
	socks := []string{"/run/podman/podman.sock"}
	if dir := os.Getenv("XDG_RUNTIME_DIR"); dir != "" {
		socks = append(socks, filepath.Join(dir, "podman", "podman.sock"))
	}
	return socks
}

// NewPodman connects to Podman: at DOCKER_HOST when it is set, or else at
// the first of PodmanSockets that exists. An engine there that is not
// Podman is an Invalid error: the run asked for Podman.
func NewPodman(ctx context.Context, logs io.Writer) (*Engine, error) {
	host := os.Getenv("DOCKER_HOST")
	if host == "" {
		for _, sock := range PodmanSockets() {
			if fi, err := os.Stat(sock); err == nil && fi.Mode().Type() == os.ModeSocket {
				host = "unix://" + sock
				break
			}
		}
	}
	if host == "" {
		return nil, harness.Errorf(harness.Infrastructure,
			"connect to Podman: DOCKER_HOST is not set and no Podman socket listens at %s: start Podman's API service (podman system service --time=0 unix:///run/podman/podman.sock) or point DOCKER_HOST at its socket",
			strings.Join(PodmanSockets(), " or "))
	}
	e, err := connect(ctx, logs, host)
	if err != nil {
		return nil, err
	}
	if e.identity.Kind != harness.PodmanKind {
		e.Close()
		return nil, harness.Errorf(harness.Invalid, "the run asks for Podman (--engine podman), and what answers at %s is %s %s: point DOCKER_HOST at Podman's socket, or run with --engine docker", host, e.identity.Name, e.identity.Version)
	}
	return e, nil
}

// connect connects to the engine at host, or DOCKER_HOST's when host is "".
func connect(ctx context.Context, logs io.Writer, host string) (*Engine, error) {
	setup.Do(func() {
		if _, set := os.LookupEnv("TESTCONTAINERS_RYUK_DISABLED"); !set {
			os.Setenv("TESTCONTAINERS_RYUK_DISABLED", "true")
		}
		if logs == nil {
			tclog.SetDefault(tclog.NewNoopLogger())
		}
	})
	if logs == nil {
		logs = io.Discard
	}
	opts := []client.Opt{client.FromEnv}
	if host != "" {
		opts = append(opts, client.WithHost(host))
	}
	cli, err := client.New(opts...)
	if err != nil {
		return nil, unreachable(hostErr(host, err))
	}
	e := &Engine{cli: cli, out: logs, builds: map[string]*build{}}
	v, err := e.cli.ServerVersion(ctx, client.ServerVersionOptions{})
	if err != nil {
		cli.Close()
		return nil, unreachable(hostErr(host, err))
	}
	e.arch = v.Arch
	e.identity = harness.Identity{Kind: harness.DockerKind, Name: "Docker Engine", Version: v.Version, Where: cli.DaemonHost()}
	if version, ok := podmanVersion(v); ok {
		e.identity.Kind, e.identity.Name, e.identity.Version = harness.PodmanKind, "Podman", version
		e.podman = newPodman(cli.DaemonHost())
	}
	e.anon = anonymousIn(filepath.Join(os.TempDir(), "persistcheck-anonymous", e.identity.Kind))
	return e, nil
}

// podmanVersion returns Podman's version when the engine that answered v
// is Podman, which names itself among the components.
func podmanVersion(v client.ServerVersionResult) (string, bool) {
	for _, c := range v.Components {
		if strings.Contains(c.Name, "Podman") {
			return c.Version, true
		}
	}
	return "", false
}

// local reports whether the engine listens on a socket of this host, which
// size-limited volumes, power-loss volumes and the kernel's log need.
func (e *Engine) local() bool { return strings.HasPrefix(e.cli.DaemonHost(), "unix://") }

// Identity says whether the engine is Docker's or Podman's, which version,
// and where it listens.
func (e *Engine) Identity() harness.Identity { return e.identity }

// hostErr names the engine that did not answer: DOCKER_HOST's, which is
// never quietly exchanged for another, or the local socket.
func hostErr(host string, err error) error {
	if host != "" {
		return fmt.Errorf("%s does not answer, and persistcheck does not fall back to another engine: %w", host, err)
	}
	if host := os.Getenv("DOCKER_HOST"); host != "" {
		return fmt.Errorf("DOCKER_HOST=%s does not answer, and persistcheck does not fall back to another engine: %w", host, err)
	}
	return err
}

// builder returns testcontainers-go's provider, which builds images, made
// on first use.
func (e *Engine) builder() (*testcontainers.DockerProvider, error) {
	e.providerMu.Lock()
	defer e.providerMu.Unlock()
	if e.provider != nil {
		return e.provider, nil
	}
	p, err := testcontainers.NewDockerProvider(testcontainers.WithLogger(logger{e.out}))
	if err != nil {
		return nil, unreachable(err)
	}
	e.provider = p
	return p, nil
}

func unreachable(err error) error {
	return harness.Wrap("connect to the Docker engine", harness.Infrastructure,
		fmt.Errorf("%w\n    is dockerd running, and is DOCKER_HOST right? `docker info` should answer", err))
}

// Close releases the engine's connections.
func (e *Engine) Close() error {
	e.providerMu.Lock()
	defer e.providerMu.Unlock()
	var err error
	if e.provider != nil {
		err = e.provider.Close()
	}
	if e.podman.own() {
		e.podman.http.CloseIdleConnections()
	}
	return errors.Join(err, e.cli.Close())
}

// logger adapts an io.Writer to testcontainers-go's logger.
type logger struct{ w io.Writer }

func (l logger) Printf(format string, args ...any) { fmt.Fprintf(l.w, format+"\n", args...) }

// fail wraps an engine error as Infrastructure with the operation.
func fail(op string, err error) error {
	if err == nil {
		return nil
	}
	return harness.Wrap(op, harness.Infrastructure, err)
}

// isGone reports whether err says the object does not exist (any more).
func isGone(err error) bool {
	return cerrdefs.IsNotFound(err) || errors.Is(err, cerrdefs.ErrNotFound)
}

// carries reports whether have holds every one of want; a label of an
// empty value in want matches any value. Podman's volume list matches any
// one of several label filters, not all of them: what a list returns is
// checked again with carries.
func carries(have, want map[string]string) bool {
	for k, v := range want {
		if got, ok := have[k]; !ok || v != "" && got != v {
			return false
		}
	}
	return true
}

// labelFilter returns a list filter matching every one of labels; a label
// of an empty value matches any value.
func labelFilter(labels map[string]string) client.Filters {
	f := client.Filters{}
	for k, v := range labels {
		if v == "" {
			f.Add("label", k)
			continue
		}
		f.Add("label", k+"="+v)
	}
	return f
}
