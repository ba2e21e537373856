package powerloss

import (
	"bufio"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"

	"github.com/persistcheck/persistcheck/harness"
)

// TestCloseIsACleanShutdown: Close makes everything pending durable, and a
// new Mount of the same folder shows it; a cut before shows only what was
// durable then.
func TestCloseIsACleanShutdown(t *testing.T) {
	if err := Check(); err != nil {
		t.Skipf("power-loss volumes cannot be served here: %v", err)
	}
	tmp := t.TempDir()
	dir, mp := filepath.Join(tmp, "state"), filepath.Join(tmp, "mnt")
	v, err := Mount(dir, mp, Options{Strict: true})
	if err != nil {
		t.Fatal(err)
	}
	x := fsx{t, mp}
	x.write("kept", "durable", true)
	x.fsync(".")
	x.write("cut", "lost", false)
	cut(t, v, false)
	x.mkdir("d")
	x.write("d/pending", "made durable by Close", false)
	x.must(os.Chown(x.p("d/pending"), 7, 8))
	if err := v.Close(); err != nil {
		t.Fatal(err)
	}
	if err := v.Close(); err != nil {
		t.Errorf("a second Close: %v", err)
	}

	v, err = Mount(dir, mp, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer v.Close()
	for name, want := range map[string]string{"kept": "durable", "cut": none, "d/pending": "made durable by Close"} {
		if got := x.read(name); got != want {
			t.Errorf("after Close and Mount %s holds %q, want %q", name, got, want)
		}
	}
	var st syscall.Stat_t
	x.must(syscall.Stat(x.p("d/pending"), &st))
	if st.Uid != 7 || st.Gid != 8 {
		t.Errorf("d/pending is owned by %d:%d after Close and Mount, want 7:8", st.Uid, st.Gid)
	}
}

func TestMountErrors(t *testing.T) {
	if _, err := Mount("", "", Options{}); harness.KindOf(err) != harness.Invalid {
		t.Errorf("Mount without folders: %v (kind %v), want invalid input", err, harness.KindOf(err))
	}
	v := mountT(t, Options{})
	_, err := Mount(v.Dir(), filepath.Join(t.TempDir(), "other"), Options{})
	if harness.KindOf(err) != harness.Invalid || !errors.Is(err, errInUse) {
		t.Errorf("a second Mount of a folder in use: %v (kind %v), want invalid input", err, harness.KindOf(err))
	}
}

// TestCheck: the prerequisites are checked before anything is mounted,
// and a missing one is the machine's problem, not the scenario's.
func TestCheck(t *testing.T) {
	err := Check()
	if os.Geteuid() != 0 && !errors.Is(err, ErrNotRoot) {
		t.Errorf("Check as uid %d: %v, want ErrNotRoot", os.Geteuid(), err)
	}
	if err != nil && harness.KindOf(err) != harness.Infrastructure {
		t.Errorf("Check: %v is of kind %v, want infrastructure", err, harness.KindOf(err))
	}
}

// startChild starts a process that serves a volume of dir at mp until it
// is killed, and returns a function that kills it with SIGKILL: a
// persistcheck process that dies with its volume mounted.
func startChild(t *testing.T, dir, mp string) (kill func()) {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), childEnv+"="+dir+" "+mp)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	kill = func() {
		cmd.Process.Kill()
		cmd.Wait()
	}
	t.Cleanup(func() { unmount(mp) }) // should the test not get to Sweep
	line, err := bufio.NewReader(out).ReadString('\n')
	if err != nil || line != "ready\n" {
		kill()
		t.Fatalf("the child did not mount: %q %v", line, err)
	}
	return kill
}

// TestCheckNamesWhatIsMissing runs Check in a process of another user,
// which is not root.
func TestCheckNamesWhatIsMissing(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root to run a process as another user")
	}
	bin, err := os.ReadFile(os.Args[0])
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	openToOthers(t, dir)
	x := fsx{t, dir}
	x.must(os.WriteFile(x.p("powerloss.test"), bin, 0o755))
	cmd := exec.Command(x.p("powerloss.test"), "-test.run=^$")
	cmd.Env = append(os.Environ(), childEnv+"=check")
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: 999, Gid: 999}}
	out, err := cmd.Output()
	if want := "not root"; err != nil || !strings.Contains(string(out), want) {
		t.Errorf("Check as uid 999 said %q (%v), want it to say %q", out, err, want)
	}
}

// TestSweep kills a process that serves a volume, and checks that Sweep
// unmounts what it left and nothing of a live volume.
func TestSweep(t *testing.T) {
	live := mountT(t, Options{})
	root := t.TempDir()
	mp := filepath.Join(root, "mnt")
	startChild(t, filepath.Join(root, "state"), mp)()
	if !mounted(t, mp) {
		t.Fatal("the dead child's mount is not in the mount table")
	}
	if _, err := os.ReadDir(mp); !errors.Is(err, syscall.ENOTCONN) {
		t.Errorf("the dead child's mount answers %v, want ENOTCONN", err)
	}

	swept, err := Sweep(filepath.Dir(root))
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(swept, []string{mp}) {
		t.Errorf("Sweep unmounted %v, want only %s", swept, mp)
	}
	if mounted(t, mp) {
		t.Error("the dead child's mount is still there after Sweep")
	}
	if !mounted(t, live.Path()) {
		t.Error("Sweep unmounted the live volume")
	}
}

// TestServingCountsOnlyThisProcess: Serving lists this process's volumes
// while they are mounted, none once closed, and never another process's.
func TestServingCountsOnlyThisProcess(t *testing.T) {
	if err := Check(); err != nil {
		t.Skipf("power-loss volumes cannot be served here: %v", err)
	}
	root := t.TempDir()
	other := filepath.Join(root, "other")
	startChild(t, filepath.Join(root, "other-state"), other)()
	t.Cleanup(func() { Sweep(root) })
	v, err := Mount(filepath.Join(root, "state"), filepath.Join(root, "mnt"), Options{})
	if err != nil {
		t.Fatal(err)
	}
	if got, err := Serving(); err != nil || !slices.Equal(got, []string{v.Path()}) {
		t.Errorf("Serving with a volume mounted: %v, %v; want only %s", got, err, v.Path())
	}
	if err := v.Close(); err != nil {
		t.Fatal(err)
	}
	if got, err := Serving(); err != nil || len(got) > 0 {
		t.Errorf("Serving once the volume is closed: %v, %v; want none", got, err)
	}
	if !mounted(t, other) {
		t.Error("the other process's mount is not in the mount table: the test shows nothing")
	}
}

// TestDurableStateOutlivesTheProcess: a process that dies while serving
// a volume loses what was pending, as a machine that loses power does, and
// nothing that was durable.
func TestDurableStateOutlivesTheProcess(t *testing.T) {
	if err := Check(); err != nil {
		t.Skipf("power-loss volumes cannot be served here: %v", err)
	}
	root := t.TempDir()
	dir, mp := filepath.Join(root, "state"), filepath.Join(root, "mnt")
	kill := startChild(t, dir, mp)
	x := fsx{t, mp}
	x.mkdir("d")
	x.write("d/synced", "kept", true)
	x.write("d/log", "r1\n", true)
	x.appendTo("d/log", "r2\n", false)
	x.write("d/unsynced", "lost", false)
	x.rename("d/synced", "d/renamed")
	kill()
	if _, err := Sweep(root); err != nil {
		t.Fatal(err)
	}

	v, err := Mount(dir, mp, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer v.Close()
	for name, want := range map[string]string{"d/synced": "kept", "d/renamed": none, "d/log": "r1\n", "d/unsynced": none} {
		if got := x.read(name); got != want {
			t.Errorf("after the process died %s holds %q, want %q", name, got, want)
		}
	}
}

func mounted(t *testing.T, path string) bool {
	t.Helper()
	ms, err := mounts()
	if err != nil {
		t.Fatal(err)
	}
	return slices.ContainsFunc(ms, func(m mountEntry) bool { return m.point == path })
}

func TestParseMountinfo(t *testing.T) {
	line := `612 35 0:57 / /tmp/a\040b rw,nosuid,nodev,relatime shared:301 - fuse.persistcheck-powerloss persistcheck-powerloss:42:1234 rw,user_id=0,group_id=0,default_permissions,allow_other`
	m, ok := parseMountinfo(line)
	want := mountEntry{point: "/tmp/a b", fstype: "fuse.persistcheck-powerloss", source: "persistcheck-powerloss:42:1234"}
	if !ok || m != want {
		t.Errorf("parsed %+v, want %+v", m, want)
	}
	if served("persistcheck-powerloss:999999999:1") {
		t.Error("a pid that does not exist is taken as serving")
	}
	if !served(source()) {
		t.Error("this process is not taken as serving")
	}
}

// TestCutWithAFileOpen: a process that still holds a file when the power
// is cut finds it gone (ENOTCONN), and the cut neither fails nor waits
// for it.
func TestCutWithAFileOpen(t *testing.T) {
	v := mountT(t, Options{})
	x := fsx{t, v.Path()}
	x.write("f", "durable", true)
	f, err := os.OpenFile(x.p("f"), os.O_RDWR, 0)
	x.must(err)
	defer f.Close()
	_, err = f.WriteString("pending")
	x.must(err)
	cutWhileHeld(t, v, "a file still open")
	if _, err := f.Write([]byte("more")); !errors.Is(err, syscall.ENOTCONN) {
		t.Errorf("a write to a file held across the cut: %v, want ENOTCONN", err)
	}
	if got := x.read("f"); got != "durable" {
		t.Errorf("after the cut f holds %q", got)
	}
}
