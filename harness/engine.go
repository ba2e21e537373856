package harness

import (
	"context"
	"io/fs"
	"strings"
	"time"
)

// BuiltinImage is the name of the built-in workload image. The engine builds
// it on demand; scenarios may name it with or without the tag latest.
const BuiltinImage = "persistcheck/app"

// AgentPath is where the agent lives in every container the harness touches:
// baked into BuiltinImage, copied into any other container that needs it.
const AgentPath = "/.persistcheck/agent"

// Labels every object the harness creates carries.
const (
	LabelRun      = "persistcheck.run"
	LabelScenario = "persistcheck.scenario"
	LabelOwner    = "persistcheck.owner" // host and process that created it
)

// Engine is what the harness needs from a container engine, by role:
// images, lifecycle, processes, logs, files and cleanup. harness/docker
// implements it on the Docker Engine API, harness/kubernetes on a cluster's;
// unit tests use fakes. An event an engine does not have (Kubernetes has no
// stop, start or pause) fails as Invalid, saying what comes closest.
//
// Errors carry a Kind: Infrastructure when the engine or an image fails,
// Invalid when the request itself cannot be met.
type Engine interface {
	Images
	Lifecycle
	Processes
	Logs
	Files
	Cleanup
}

// Images resolves and builds images; nothing is ever pulled.
type Images interface {
	// Image returns the image ref names. BuiltinImage is built when missing;
	// any other image must already exist, nothing is pulled.
	Image(ctx context.Context, ref string) (Image, error)
	// Build builds the Dockerfile at the root of dir, tags it name when name
	// is not empty, and returns the image.
	Build(ctx context.Context, dir fs.FS, name string) (Image, error)
}

// Lifecycle creates containers and their volumes, and takes them through
// their lifecycle.
type Lifecycle interface {
	// CreateVolume creates a named volume; with size above 0, one whose file
	// system holds that many bytes, so that writes past it fail with ENOSPC.
	CreateVolume(ctx context.Context, name string, size int64, labels map[string]string) error
	// Create creates a container and returns its id. It does not start it.
	Create(ctx context.Context, spec EngineSpec) (string, error)
	Start(ctx context.Context, id string) error
	// Kill sends sig to the container's PID 1 and returns at once.
	Kill(ctx context.Context, id string, sig Signal) error
	// Stop sends SIGTERM and SIGKILL after grace, and returns once stopped.
	Stop(ctx context.Context, id string, grace time.Duration) error
	// Restart is Stop then Start, in one engine call.
	Restart(ctx context.Context, id string, grace time.Duration) error
	Pause(ctx context.Context, id string) error
	Unpause(ctx context.Context, id string) error
	// Remove removes a container in any state; with volumes, its anonymous
	// volumes too.
	Remove(ctx context.Context, id string, volumes bool) error
	// Inspect returns the container's state as the engine reports it now.
	Inspect(ctx context.Context, id string) (Status, error)
	// WaitStopped returns once the container is not running.
	WaitStopped(ctx context.Context, id string) error
}

// Processes runs commands in running containers.
type Processes interface {
	// Exec runs argv in a running container and returns what it did. A
	// command that runs and fails is a result, not an error.
	Exec(ctx context.Context, id string, argv []string) (ExecResult, error)
	// Stream runs argv as Exec does, as user ("" for the container's own),
	// calling line with each line of its standard output as it is written.
	// It returns when argv ends, as it does when its container stops.
	Stream(ctx context.Context, id, user string, argv []string, line func(string)) (ExecResult, error)
}

// Logs reads containers' logs.
type Logs interface {
	// CountLog returns how many lines of the container's log contain text.
	CountLog(ctx context.Context, id, text string) (int, error)
	// WaitLog returns once at least n lines of the log contain text. It fails
	// if the container stops first.
	WaitLog(ctx context.Context, id, text string, n int) error
	// LogTail returns the last n lines of the container's log.
	LogTail(ctx context.Context, id string, n int) (string, error)
}

// Files reads what containers store where exec cannot reach it: stopped,
// paused and removed containers, and images.
type Files interface {
	// ReadFile reads path through the engine's archive API, which works on a
	// stopped or paused container too but does not see into a tmpfs.
	ReadFile(ctx context.Context, id, path string) (File, error)
	// InstallAgent copies the agent into the container at AgentPath.
	InstallAgent(ctx context.Context, id string) error
	// RunBeside runs argv in a short-lived container of BuiltinImage that
	// shares the processes of container id, without a network, and returns
	// what it did. /proc/1/root there is id's root with all its mounts, even
	// while id is paused. The helper carries labels and is removed after.
	RunBeside(ctx context.Context, id string, argv []string, labels map[string]string) (ExecResult, error)
	// ReadVia reads paths in a short-lived container of BuiltinImage that
	// mounts mounts, removed after: storage that outlives the containers
	// that used it can still be read. Volumes are mounted without being
	// seeded from the image.
	ReadVia(ctx context.Context, mounts []EngineMount, paths []string, labels map[string]string) ([]File, error)
	// RunImage runs the agent with args in a short-lived container of the
	// image ref, as a container of it would see its own files (the image's
	// VOLUMEs on fresh volumes, seeded from it), without a network, and
	// returns what it did. The container carries labels and is removed, with
	// its volumes, after.
	RunImage(ctx context.Context, ref string, args []string, labels map[string]string) (ExecResult, error)
}

// Cleanup removes what the harness created.
type Cleanup interface {
	// RemoveLabelled removes every container, then every volume, carrying all
	// of labels, and returns the names of what it removed.
	RemoveLabelled(ctx context.Context, labels map[string]string) ([]string, error)
}

// Truthful is an engine whose ground truth differs from Docker's: what
// survives which event there. Engines that are not use DockerTruth.
type Truthful interface {
	Truth() Truth
}

// Image is an image on the engine.
type Image struct {
	Ref      string   // what to create containers from
	Volumes  []string // the paths the image declares as VOLUME
	HasAgent bool     // the agent is at AgentPath
	Health   bool     // the image declares a HEALTHCHECK

	Entrypoint []string // what its containers run
	Cmd        []string
	WorkingDir string
}

// EngineSpec is a container to create, with every name resolved to the engine's.
type EngineSpec struct {
	Name             string
	Image            string
	Entrypoint       []string // empty: the image's
	Cmd              []string // empty: the image's
	User             string   // empty: the image's
	WorkingDir       string   // empty: the image's
	Health           *Healthcheck
	Env              []string
	Labels           map[string]string
	Mounts           []EngineMount
	MemoryLimit      int64 // bytes, swap included; 0 means none
	RestartOnFailure bool
	Init             bool // an init process as PID 1 that reaps and forwards signals
	Network          bool // a network; without one, only loopback
	MountAgent       bool // the agent mounted read-only at AgentPath, for images without it
}

// EngineMount is a mount with engine names. An AnonymousVolume has no
// Source; its Labels are set on the volume the engine creates for it.
type EngineMount struct {
	Kind   MountKind
	Source string // volume name or host path
	Target string
	Labels map[string]string
}

// ExecResult is what a command run in a container did.
type ExecResult struct {
	ExitCode int
	Stdout   []byte
	Stderr   []byte
}

// File is what was found at a path in a container.
type File struct {
	Exists  bool
	Kind    string  // file, folder or other
	Data    []byte  // the content of a file
	Entries []Entry // the first entries of a folder, by name
	Total   int     // how many entries the folder has
}

// Entry is a file in a folder.
type Entry struct {
	Name string
	Kind string // file, folder, link or other
	Size int64
}

// Engine kinds, which are also the tags that keep a scenario to them: a
// scenario tagged with any of @docker, @podman or @kubernetes runs only on
// the engines it names; one with none of them runs on every engine.
const (
	DockerKind     = "docker"
	PodmanKind     = "podman"
	KubernetesKind = "kubernetes"
)

// EngineKinds are the engine kinds, in the order the docs give them.
var EngineKinds = []string{DockerKind, PodmanKind, KubernetesKind}

// Identity says which engine a run talks to, for its first line of output
// and its reports.
type Identity struct {
	Kind    string `json:"kind"`    // DockerKind, PodmanKind or KubernetesKind
	Name    string `json:"name"`    // "Docker Engine", "Podman", "Kubernetes"
	Version string `json:"version"` // as the engine reports it
	Where   string `json:"where"`   // its address: a socket, a cluster's server and context
}

func (id Identity) String() string {
	s := id.Name
	if id.Version != "" {
		s += " " + id.Version
	}
	if id.Where != "" {
		s += " at " + id.Where
	}
	return s
}

// Identified is an engine that says which it is. Engines that are not are
// taken for Docker.
type Identified interface {
	Identity() Identity
}

// IdentityOf returns engine's identity.
func IdentityOf(engine any) Identity {
	if e, ok := engine.(Identified); ok {
		return e.Identity()
	}
	return Identity{Kind: DockerKind, Name: "Docker Engine"}
}

// EngineTags returns the godog tag expression that keeps the scenarios for
// an engine of kind: those tagged for it, and those tagged for no engine.
// godog reads "," as or between groups of "&&".
func EngineTags(kind string) string {
	var none []string
	for _, other := range EngineKinds {
		if other != kind {
			none = append(none, "~@"+other)
		}
	}
	return "@" + kind + "," + strings.Join(none, " && ")
}

// AndTags returns the godog tag expression that matches what both a and b
// match; "" matches everything.
func AndTags(a, b string) string {
	if strings.TrimSpace(a) == "" {
		return b
	}
	if strings.TrimSpace(b) == "" {
		return a
	}
	var or []string
	for _, x := range strings.Split(a, ",") {
		for _, y := range strings.Split(b, ",") {
			or = append(or, strings.TrimSpace(x)+" && "+strings.TrimSpace(y))
		}
	}
	return strings.Join(or, ",")
}
