package docker

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"net"
	"net/http"
	"net/url"
	"os"
	"path"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/moby/moby/api/types/container"
	"github.com/moby/moby/client"
	"github.com/moby/moby/client/pkg/jsonmessage"
	"golang.org/x/sys/unix"

	"github.com/persistcheck/persistcheck/harness"
)

// Podman serves the Docker Engine API, and differs from Docker in a few
// places that the verdicts depend on. The engine makes up for each here,
// with what Podman itself offers (its own API) or the kernel says:
//
//   - Its compatible image inspection leaves out the HEALTHCHECK, which its
//     own API gives.
//   - It runs HEALTHCHECKs from systemd timers, and where systemd does not
//     run (a CI container) they never run: the engine runs a due check
//     through Podman's API each time it inspects a running container.
//   - It does not tell an OOM kill from another SIGKILL on cgroup v1: the
//     engine looks for the kernel's record of an OOM kill just before the
//     container's exit, in its memory cgroup or of one of its processes.
//   - It says "stopped" for a container that has exited and whose
//     clean-up has not run yet: the engine says "exited", as Docker does.
//   - Its images are its own: one it lacks that the Docker engine on the
//     same host has is copied from there, as `docker save | podman load`.
//   - Its archive API does not mount a volume made with driver options (a
//     size-limited one) for a stopped container, and reads the empty folder
//     under it: such a volume is read by the agent in a helper container
//     that mounts it.
//
// Two more are made up for where all engines are served: anonymous volumes
// that Podman does not label are recorded (anonymous.go), and what a list
// by labels returns is checked label by label (carries).
type podman struct {
	http *http.Client
	base string // the URL of Podman's own API, without the path

	importMu sync.Mutex // one copy of an image from Docker at a time

	mu      sync.Mutex
	checked map[string]time.Time    // containers' last HEALTHCHECK run by the engine
	ooms    map[string]bool         // exits already looked up in the kernel's log
	pids    map[string]map[int]bool // the processes seen in each running container
}

// newPodman returns a client of Podman's own API at host, the engine's
// address (unix:///run/podman/podman.sock, tcp://host:port).
func newPodman(host string) *podman {
	p := &podman{checked: map[string]time.Time{}, ooms: map[string]bool{}, pids: map[string]map[int]bool{}}
	u, err := url.Parse(host)
	if err != nil {
		return p
	}
	tr := &http.Transport{}
	switch u.Scheme {
	case "unix":
		sock := u.Path
		tr.DialContext = func(ctx context.Context, _, _ string) (net.Conn, error) {
			var d net.Dialer
			return d.DialContext(ctx, "unix", sock)
		}
		p.base = "http://podman"
	case "tcp", "http":
		p.base = "http://" + u.Host
	default:
		return p // ssh and others: the compatible API's answers only
	}
	p.http = &http.Client{Transport: tr}
	return p
}

// own reports whether Podman's own API can be reached.
func (p *podman) own() bool { return p != nil && p.http != nil }

// get calls Podman's API at path and decodes its JSON answer into out.
func (p *podman) get(ctx context.Context, path string, out any) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, p.base+"/v4.0.0/libpod"+path, nil)
	if err != nil {
		return err
	}
	res, err := p.http.Do(req)
	if err != nil {
		return err
	}
	defer res.Body.Close()
	if res.StatusCode != http.StatusOK {
		var msg struct{ Message string }
		json.NewDecoder(res.Body).Decode(&msg)
		return &podmanRefusal{path: path, status: res.Status, message: msg.Message}
	}
	return json.NewDecoder(res.Body).Decode(out)
}

// podmanRefusal is an answer of Podman's API other than 200 OK: it was
// reached, and said no.
type podmanRefusal struct{ path, status, message string }

func (r *podmanRefusal) Error() string {
	return fmt.Sprintf("podman: GET %s: %s: %s", r.path, r.status, r.message)
}

// imageHealth returns the HEALTHCHECK the image ref declares, or nil.
func (p *podman) imageHealth(ctx context.Context, ref string) (*harness.Healthcheck, error) {
	var img struct{ HealthCheck *container.HealthConfig }
	if err := p.get(ctx, "/images/"+url.PathEscape(ref)+"/json", &img); err != nil {
		return nil, err
	}
	return healthcheckOf(img.HealthCheck), nil
}

// checkHealth runs the HEALTHCHECK of running container id when its
// interval has passed since the engine last ran it, and updates st with
// the result.
func (p *podman) checkHealth(ctx context.Context, id string, interval time.Duration, st *harness.Status) error {
	if interval <= 0 {
		interval = 30 * time.Second // the engine's default
	}
	p.mu.Lock()
	due := time.Since(p.checked[id]) >= interval
	if due {
		p.checked[id] = time.Now()
	}
	p.mu.Unlock()
	if !due {
		return nil
	}
	var res struct {
		Status string
		Log    []struct {
			ExitCode int
			Output   string
		}
	}
	if err := p.get(ctx, "/containers/"+id+"/healthcheck", &res); err != nil {
		// Podman refuses the run when the probe could not finish: it
		// outlasted the HEALTHCHECK's timeout (under load, a database's
		// client can), or the container stopped meanwhile. Podman counts
		// that as a failed probe, as Docker does: what the probe found,
		// not a fault of the engine, and no reason to fail a step that
		// only inspects.
		var refused *podmanRefusal
		if errors.As(err, &refused) && ctx.Err() == nil {
			st.HealthLog = "the probe did not finish: " + refused.message
			return nil
		}
		return err
	}
	st.Health = res.Status
	if n := len(res.Log); n > 0 {
		st.HealthLog = fmt.Sprintf("exit code %d: %s", res.Log[n-1].ExitCode, strings.TrimSpace(res.Log[n-1].Output))
	}
	return nil
}

// oomKilled reports whether the kernel's log records an OOM kill in
// container id just before it exited at finished: the kill and the exit
// are milliseconds apart. The log is read once per exit; where it cannot
// be read (not root), the answer is no.
func (p *podman) oomKilled(id string, finished time.Time) bool {
	key := id + "@" + finished.String()
	p.mu.Lock()
	found, ok := p.ooms[key]
	pids := maps.Clone(p.pids[id])
	p.mu.Unlock()
	if ok {
		return found
	}
	found = oomInKernelLog(id, pids, finished.Add(-3*time.Second), finished.Add(2*time.Second))
	p.mu.Lock()
	p.ooms[key] = found
	p.mu.Unlock()
	return found
}

// seeProcesses records the processes of running container id, whose first
// process is pid on this host, read from its memory cgroup. The kernel
// names the cgroup of an OOM kill's victim in a summary it leaves out when
// OOM kills come fast (it limits their rate), and always names the
// victim's process id.
func (p *podman) seeProcesses(id string, pid int) {
	cgroups, err := os.ReadFile(fmt.Sprintf("/proc/%d/cgroup", pid))
	if err != nil {
		return
	}
	var procs []byte
	for _, line := range strings.Split(string(cgroups), "\n") {
		parts := strings.SplitN(line, ":", 3)
		switch {
		case len(parts) < 3:
		case parts[1] == "memory": // cgroup v1
			procs, err = os.ReadFile("/sys/fs/cgroup/memory" + parts[2] + "/cgroup.procs")
		case parts[0] == "0" && parts[1] == "" && procs == nil: // cgroup v2
			procs, err = os.ReadFile("/sys/fs/cgroup" + parts[2] + "/cgroup.procs")
		}
	}
	if err != nil || procs == nil {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	seen := p.pids[id]
	if seen == nil {
		seen = map[int]bool{}
		p.pids[id] = seen
	}
	for _, f := range strings.Fields(string(procs)) {
		if n, err := strconv.Atoi(f); err == nil {
			seen[n] = true
		}
	}
}

// The kernel's records of an OOM kill: a summary naming the victim's
// memory cgroup, and the kill naming its process; each with its time since
// boot.
var (
	oomLine    = regexp.MustCompile(`\[\s*(\d+\.\d+)\] oom-kill:.*task_memcg=([^,\s]+)`)
	killedLine = regexp.MustCompile(`\[\s*(\d+\.\d+)\] .*out of memory: Killed process (\d+) `)
)

// oomInKernelLog reports whether the kernel's log records, between from
// and to, an OOM kill in a memory cgroup named after id or of one of pids.
// The kernel stamps its records with the time since boot, which the
// monotonic clock also counts.
func oomInKernelLog(id string, pids map[int]bool, from, to time.Time) bool {
	size, err := unix.Klogctl(unix.SYSLOG_ACTION_SIZE_BUFFER, nil)
	if err != nil || size <= 0 {
		return false
	}
	buf := make([]byte, size)
	n, err := unix.Klogctl(unix.SYSLOG_ACTION_READ_ALL, buf)
	if err != nil {
		return false
	}
	var ts unix.Timespec
	if unix.ClockGettime(unix.CLOCK_MONOTONIC, &ts) != nil {
		return false
	}
	boot := time.Now().Add(-time.Duration(ts.Nano()))
	within := func(stamp string) bool {
		secs, _ := strconv.ParseFloat(stamp, 64)
		at := boot.Add(time.Duration(secs * float64(time.Second)))
		return at.After(from) && at.Before(to)
	}
	sc := bufio.NewScanner(bytes.NewReader(buf[:n]))
	for sc.Scan() {
		if m := oomLine.FindStringSubmatch(sc.Text()); m != nil && strings.Contains(m[2], id) && within(m[1]) {
			return true
		}
		if m := killedLine.FindStringSubmatch(sc.Text()); m != nil && within(m[1]) {
			if pid, _ := strconv.Atoi(m[2]); pids[pid] {
				return true
			}
		}
	}
	return false
}

// optionVolumeAt returns the volume mount of stopped container id that
// holds p when it is one the engine mounts only while a container runs: a
// volume made with driver options.
func (e *Engine) optionVolumeAt(ctx context.Context, id, p string) (harness.EngineMount, map[string]string, bool, error) {
	res, err := e.cli.ContainerInspect(ctx, id, client.ContainerInspectOptions{})
	if err != nil {
		return harness.EngineMount{}, nil, false, err
	}
	c := res.Container
	if c.State != nil && (c.State.Running || c.State.Paused) {
		return harness.EngineMount{}, nil, false, nil
	}
	best := -1
	for i, m := range c.Mounts {
		if under(p, m.Destination) && (best < 0 || len(m.Destination) > len(c.Mounts[best].Destination)) {
			best = i
		}
	}
	if best < 0 || c.Mounts[best].Type != "volume" {
		return harness.EngineMount{}, nil, false, nil
	}
	m := harness.EngineMount{Kind: harness.NamedVolume, Source: c.Mounts[best].Name, Target: c.Mounts[best].Destination}
	if ok, err := e.optionVolumes(ctx, []harness.EngineMount{m}); !ok || err != nil {
		return harness.EngineMount{}, nil, false, err
	}
	var labels map[string]string
	if c.Config != nil {
		labels = c.Config.Labels
	}
	return m, labels, true, nil
}

// optionVolumes reports whether any of mounts is a volume made with driver
// options.
func (e *Engine) optionVolumes(ctx context.Context, mounts []harness.EngineMount) (bool, error) {
	for _, m := range mounts {
		if m.Kind != harness.NamedVolume {
			continue
		}
		v, err := e.cli.VolumeInspect(ctx, m.Source, client.VolumeInspectOptions{})
		if err != nil && !isGone(err) {
			return false, fail("inspect volume "+m.Source, err)
		}
		if err == nil && len(v.Volume.Options) > 0 {
			return true, nil
		}
	}
	return false, nil
}

// readStarted reads paths with the agent in a helper container that
// mounts mounts and runs, so that the engine mounts them, and is removed
// after.
func (e *Engine) readStarted(ctx context.Context, mounts []harness.EngineMount, paths []string, labels map[string]string) ([]harness.File, error) {
	id, err := e.createHelper(ctx, helper{labels: labels, mounts: mounts, argv: append([]string{harness.AgentPath, "read"}, paths...)})
	if err != nil {
		return nil, fail("create a container to read storage through", err)
	}
	defer e.cli.ContainerRemove(context.WithoutCancel(ctx), id, client.ContainerRemoveOptions{Force: true, RemoveVolumes: true})
	res, err := e.runToEnd(ctx, id, "that reads "+strings.Join(paths, " "))
	if err != nil {
		return nil, err
	}
	if res.ExitCode != 0 {
		return nil, harness.Errorf(harness.Infrastructure, "the agent could not read %s (exit code %d): %s", strings.Join(paths, " "), res.ExitCode, bytes.TrimSpace(res.Stderr))
	}
	files := make([]harness.File, 0, len(paths))
	dec := json.NewDecoder(bytes.NewReader(res.Stdout))
	for range paths {
		var f harness.File
		if err := dec.Decode(&f); err != nil {
			return nil, harness.Errorf(harness.Infrastructure, "the agent's answer for %s: %v", strings.Join(paths, " "), err)
		}
		files = append(files, f)
	}
	return files, nil
}

// under reports whether p is dir or below it.
func under(p, dir string) bool {
	p, dir = path.Clean(p), path.Clean(dir)
	return p == dir || dir == "/" || strings.HasPrefix(p, dir+"/")
}

// dockerSocket is where a Docker engine on this host listens, which Podman
// copies images from.
const dockerSocket = "/var/run/docker.sock"

// fromDocker copies image ref, which Podman lacks, from the Docker engine on
// the same host when that has it, as `docker save ref | podman load` would:
// on a host with both engines, an image built on Docker is there for
// Podman too. Nothing is pulled. It reports whether it copied the image.
func (e *Engine) fromDocker(ctx context.Context, ref string) (bool, error) {
	if fi, err := os.Stat(dockerSocket); err != nil || fi.Mode().Type() != os.ModeSocket || !e.local() {
		return false, nil
	}
	d, err := client.New(client.WithHost("unix://" + dockerSocket))
	if err != nil {
		return false, nil
	}
	defer d.Close()
	v, err := d.ServerVersion(ctx, client.ServerVersionOptions{})
	if _, podman := podmanVersion(v); err != nil || podman {
		return false, nil // no Docker there, or Podman itself
	}
	if _, err := d.ImageInspect(ctx, ref); err != nil {
		return false, nil
	}
	e.podman.importMu.Lock()
	defer e.podman.importMu.Unlock()
	if _, err := e.cli.ImageInspect(ctx, ref); err == nil {
		return true, nil // copied meanwhile
	}
	fmt.Fprintf(e.out, "persistcheck: copying image %s from the Docker engine at %s to Podman\n", ref, dockerSocket)
	saved, err := d.ImageSave(ctx, []string{ref})
	if err != nil {
		return false, fail("save image "+ref+" on the Docker engine", err)
	}
	defer saved.Close()
	loaded, err := e.cli.ImageLoad(ctx, saved, client.ImageLoadWithQuiet(true))
	if err != nil {
		return false, fail("load image "+ref+" into Podman", err)
	}
	defer loaded.Close()
	// The engine reports a failure inside the stream, not as a status code.
	if err := jsonmessage.DisplayStream(loaded, io.Discard); err != nil {
		return false, fail("load image "+ref+" into Podman", err)
	}
	return true, nil
}
