package powerloss

import (
	"bufio"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"github.com/persistcheck/persistcheck/harness"
)

// source is the mount source of this process's power-loss mounts:
// fsType, the pid and the pid's start time, so that Sweep can tell a
// server that died from one that runs, even once the pid is reused.
func source() string {
	start, _ := startTime(os.Getpid())
	return fmt.Sprintf("%s:%d:%s", fsType, os.Getpid(), start)
}

// served reports whether the process named by a mount source still runs.
func served(src string) bool {
	rest, ok := strings.CutPrefix(src, fsType+":")
	pidText, start, ok2 := strings.Cut(rest, ":")
	pid, err := strconv.Atoi(pidText)
	if !ok || !ok2 || err != nil {
		return false
	}
	now, err := startTime(pid)
	return err == nil && now == start
}

// startTime returns field 22 of /proc/PID/stat: when the process started,
// in clock ticks since boot.
func startTime(pid int) (string, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return "", err
	}
	// The command name, field 2, is in parentheses and may hold spaces.
	i := strings.LastIndexByte(string(b), ')')
	if i < 0 {
		return "", fmt.Errorf("read /proc/%d/stat: unexpected format", pid)
	}
	fields := strings.Fields(string(b[i+1:]))
	if len(fields) < 20 {
		return "", fmt.Errorf("read /proc/%d/stat: unexpected format", pid)
	}
	return fields[19], nil
}

// Sweep unmounts the power-loss mounts at or under root whose serving
// process has died, and returns their mount points. Mounts that a live
// process serves are left alone, this process's own among them. Errors
// are of kind harness.Infrastructure.
func Sweep(root string) ([]string, error) {
	root, err := filepath.Abs(root)
	if err != nil {
		return nil, harness.Wrap("sweep power-loss mounts", harness.Invalid, err)
	}
	mounts, err := mounts()
	if err != nil {
		return nil, harness.Wrap("sweep power-loss mounts", harness.Infrastructure, err)
	}
	var dead []string
	for _, m := range mounts {
		if m.fstype == "fuse."+fsType && within(root, m.point) && !served(m.source) {
			dead = append(dead, m.point)
		}
	}
	// Deepest first, should one have been mounted inside another.
	slices.SortFunc(dead, func(a, b string) int { return strings.Count(b, "/") - strings.Count(a, "/") })
	var swept []string
	var errs []error
	for _, p := range dead {
		if err := unmount(p); err != nil {
			errs = append(errs, err)
			continue
		}
		swept = append(swept, p)
	}
	return swept, harness.Wrap("sweep power-loss mounts", harness.Infrastructure, errors.Join(errs...))
}

// Serving returns the mount points of the power-loss volumes this process
// serves now: after a run has closed its volumes, none. Other processes'
// mounts, live or dead, are not counted.
func Serving() ([]string, error) {
	mounts, err := mounts()
	if err != nil {
		return nil, harness.Wrap("list power-loss mounts", harness.Infrastructure, err)
	}
	own := source()
	var points []string
	for _, m := range mounts {
		if m.fstype == "fuse."+fsType && m.source == own {
			points = append(points, m.point)
		}
	}
	return points, nil
}

func within(root, p string) bool {
	rel, err := filepath.Rel(root, p)
	return err == nil && rel != ".." && !strings.HasPrefix(rel, "../")
}

type mountEntry struct {
	point, fstype, source string
}

// mounts reads this process's mount table.
func mounts() ([]mountEntry, error) {
	f, err := os.Open("/proc/self/mountinfo")
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var out []mountEntry
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if m, ok := parseMountinfo(sc.Text()); ok {
			out = append(out, m)
		}
	}
	return out, sc.Err()
}

// parseMountinfo reads one line of /proc/PID/mountinfo:
//
//	36 35 98:0 /mnt1 /mnt2 rw,noatime master:1 - ext3 /dev/root rw,errors=continue
//
// the mount point is field 5; past the lone "-" come type and source.
func parseMountinfo(line string) (mountEntry, bool) {
	fields := strings.Fields(line)
	sep := slices.Index(fields, "-")
	if len(fields) < 5 || sep < 0 || sep+2 >= len(fields) {
		return mountEntry{}, false
	}
	return mountEntry{point: unescape(fields[4]), fstype: unescape(fields[sep+1]), source: unescape(fields[sep+2])}, true
}

// unescape undoes the octal escapes (\040 for a space) of mountinfo.
func unescape(s string) string {
	if !strings.Contains(s, `\`) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '\\' && i+4 <= len(s) {
			if n, err := strconv.ParseUint(s[i+1:i+4], 8, 8); err == nil {
				b.WriteByte(byte(n))
				i += 3
				continue
			}
		}
		b.WriteByte(s[i])
	}
	return b.String()
}
