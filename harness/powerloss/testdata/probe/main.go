// Command probe runs in a container built FROM scratch and writes or reads
// files under /data, for the end-to-end tests of power-loss volumes.
//
//	probe write        write /data/synced with fsync (file and folder) and
//	                   /data/unsynced without, print "written", then wait
//	                   to be killed
//	probe read NAME... print NAME=CONTENT (quoted) for each, or NAME=<none>
//	probe cycle        write /data/sentinel, fsync it, read it back, print ok
package main

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	if err := run(os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "probe:", err)
		os.Exit(1)
	}
}

func run(args []string) error {
	if len(args) == 0 {
		return errors.New("usage: probe write|read NAME...|cycle")
	}
	switch args[0] {
	case "write":
		if err := write("/data/synced", "synced\n", true); err != nil {
			return err
		}
		if err := syncDir("/data"); err != nil {
			return err
		}
		if err := write("/data/unsynced", "unsynced\n", false); err != nil {
			return err
		}
		fmt.Println("written")
		sig := make(chan os.Signal, 1)
		signal.Notify(sig, syscall.SIGTERM)
		<-sig
		return nil
	case "read":
		for _, name := range args[1:] {
			b, err := os.ReadFile("/data/" + name)
			switch {
			case errors.Is(err, fs.ErrNotExist):
				fmt.Printf("%s=<none>\n", name)
			case err != nil:
				return err
			default:
				fmt.Printf("%s=%q\n", name, b)
			}
		}
		return nil
	case "cycle":
		if err := write("/data/sentinel", "sentinel", true); err != nil {
			return err
		}
		b, err := os.ReadFile("/data/sentinel")
		if err != nil || string(b) != "sentinel" {
			return fmt.Errorf("read back %q: %v", b, err)
		}
		fmt.Println("ok")
		return nil
	}
	return fmt.Errorf("unknown command %q", args[0])
}

func write(path, data string, sync bool) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if _, err := f.WriteString(data); err != nil {
		f.Close()
		return err
	}
	if sync {
		if err := f.Sync(); err != nil {
			f.Close()
			return err
		}
	}
	return f.Close()
}

func syncDir(path string) error {
	d, err := os.Open(path)
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}
