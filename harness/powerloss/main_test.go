package powerloss

import (
	"bytes"
	"fmt"
	"os"
	"os/signal"
	"runtime"
	"strings"
	"syscall"
	"testing"
	"time"
)

// childEnv, when set to "DIR MOUNTPOINT", makes the test binary a child
// that serves a volume until it is killed: a process that dies with its
// mount, for the tests of Sweep. Set to "check", it prints what Check
// returns.
const childEnv = "POWERLOSS_TEST_CHILD"

func TestMain(m *testing.M) {
	switch arg := os.Getenv(childEnv); arg {
	case "":
	case "check":
		fmt.Println(Check())
		return
	default:
		serveChild(arg)
		return
	}
	code := m.Run()
	if err := leaks(); err != nil {
		fmt.Fprintln(os.Stderr, err)
		code = 1
	}
	os.Exit(code)
}

func serveChild(arg string) {
	dir, mp, _ := strings.Cut(arg, " ")
	v, err := Mount(dir, mp, Options{})
	if err != nil {
		fmt.Println("error:", err)
		os.Exit(1)
	}
	fmt.Println("ready")
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, syscall.SIGTERM)
	<-sig
	v.Close()
}

// leaks reports mounts this process still serves, and goroutines of the
// FUSE server still running, once every test is done.
func leaks() error {
	ms, err := mounts()
	if err != nil {
		return err
	}
	own := source()
	for _, m := range ms {
		if m.fstype == "fuse."+fsType && m.source == own {
			return fmt.Errorf("leak: a power-loss mount is still served at %s", m.point)
		}
	}
	// Serve loops end a moment after the unmount that ends them.
	deadline := time.Now().Add(5 * time.Second)
	for {
		buf := make([]byte, 1<<20)
		buf = buf[:runtime.Stack(buf, true)]
		if !bytes.Contains(buf, []byte("hanwen/go-fuse")) {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("leak: FUSE goroutines still run:\n%s", buf)
		}
		time.Sleep(10 * time.Millisecond)
	}
}
