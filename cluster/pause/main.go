// Command pause is the cluster's sandbox image and its test workload.
//
// Without arguments it does what registry.k8s.io/pause does: it holds the
// pod's namespaces, reaps the zombies of a shared process namespace, and
// exits 0 on SIGINT or SIGTERM. No registry is reachable, so the cluster
// builds this one FROM scratch and tags it registry.k8s.io/pause:3.10.
//
// "pause write TOKEN FILE..." first reports on stdout what each FILE holds
// ("FILE: found TOKEN" or "FILE: absent"), then writes TOKEN to it, fsyncs
// the file and its folder, prints "ready", and pauses as above. A test reads
// that report through the pod's log to see what survived the pod before.
package main

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"
)

func main() {
	if len(os.Args) > 1 {
		if err := run(os.Args[1:]); err != nil {
			fmt.Fprintln(os.Stderr, "pause:", err)
			os.Exit(2)
		}
	}
	pause()
}

func run(args []string) error {
	if args[0] != "write" || len(args) < 3 {
		return fmt.Errorf("usage: pause [write TOKEN FILE...]")
	}
	token := []byte(args[1])
	for _, file := range args[2:] {
		old, err := os.ReadFile(file)
		switch {
		case errors.Is(err, fs.ErrNotExist):
			fmt.Printf("%s: absent\n", file)
		case err != nil:
			return fmt.Errorf("read %s: %w", file, err)
		default:
			fmt.Printf("%s: found %s\n", file, bytes.TrimSpace(old))
		}
		if err := write(file, token); err != nil {
			return err
		}
	}
	fmt.Println("ready")
	return nil
}

func write(file string, data []byte) error {
	dir := filepath.Dir(file)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("create %s: %w", dir, err)
	}
	f, err := os.Create(file)
	if err != nil {
		return fmt.Errorf("create %s: %w", file, err)
	}
	_, err = f.Write(append(data, '\n'))
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("write %s: %w", file, err)
	}
	d, err := os.Open(dir)
	if err != nil {
		return fmt.Errorf("sync %s: %w", dir, err)
	}
	defer d.Close()
	if err := d.Sync(); err != nil {
		return fmt.Errorf("sync %s: %w", dir, err)
	}
	return nil
}

// pause blocks until SIGINT or SIGTERM, reaping children on SIGCHLD.
func pause() {
	sigs := make(chan os.Signal, 8)
	signal.Notify(sigs, syscall.SIGINT, syscall.SIGTERM, syscall.SIGCHLD)
	for sig := range sigs {
		if sig != syscall.SIGCHLD {
			os.Exit(0)
		}
		for {
			pid, err := syscall.Wait4(-1, nil, syscall.WNOHANG, nil)
			if pid <= 0 || err != nil {
				break
			}
		}
	}
}
