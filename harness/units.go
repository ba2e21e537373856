package harness

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"syscall"
)

// Sizes the engine accepts for memory limits and volumes, and a size that
// parses.
var (
	minMemory = int64(6 << 20)
	maxMemory = int64(1 << 50) // a petabyte: past any machine
	minVolume = int64(2 << 20) // the least an ext4 file system with a journal wants
	maxVolume = int64(64 << 30)
	sizeRE    = regexp.MustCompile(`^(\d+(?:\.\d+)?)\s*([kmg]?)$`)
)

// ParseMemory parses a memory size the way `docker run -m` does: a number of
// bytes with an optional binary unit b, k, m or g (case-insensitive, an
// optional trailing b or ib: 64m, 64MB, 64MiB, 1g). Sizes below the engine's
// minimum of 6 MiB are Invalid.
func ParseMemory(s string) (int64, error) {
	return parseSize(s, "memory limit", minMemory, maxMemory)
}

// parseSize parses a size as ParseMemory does, within min and max.
func parseSize(s, what string, min, max int64) (int64, error) {
	t := strings.ToLower(strings.TrimSpace(s))
	t = strings.TrimSuffix(strings.TrimSuffix(t, "ib"), "b")
	m := sizeRE.FindStringSubmatch(t)
	if m == nil {
		return 0, Errorf(Invalid, "bad %s %q: write a number with a unit, e.g. 64m or 1g", what, s)
	}
	n, _ := strconv.ParseFloat(m[1], 64)
	n *= map[string]float64{"": 1, "k": 1 << 10, "m": 1 << 20, "g": 1 << 30}[m[2]]
	switch {
	case n > float64(max):
		return 0, Errorf(Invalid, "%s %q is larger than %s", what, s, human(max))
	case n < float64(min):
		return 0, Errorf(Invalid, "%s %q is below the least of %s", what, s, human(min))
	}
	return int64(n), nil
}

// human renders a size in the largest binary unit that divides it.
func human(n int64) string {
	for _, u := range []struct {
		suffix string
		size   int64
	}{{"p", 1 << 50}, {"g", 1 << 30}, {"m", 1 << 20}, {"k", 1 << 10}} {
		if n >= u.size && n%u.size == 0 {
			return fmt.Sprintf("%d%s", n/u.size, u.suffix)
		}
	}
	return fmt.Sprintf("%d bytes", n)
}

// signals are the Linux signal names, by number.
var signals = []string{
	1: "SIGHUP", 2: "SIGINT", 3: "SIGQUIT", 4: "SIGILL", 5: "SIGTRAP", 6: "SIGABRT",
	7: "SIGBUS", 8: "SIGFPE", 9: "SIGKILL", 10: "SIGUSR1", 11: "SIGSEGV", 12: "SIGUSR2",
	13: "SIGPIPE", 14: "SIGALRM", 15: "SIGTERM", 16: "SIGSTKFLT", 17: "SIGCHLD",
	18: "SIGCONT", 19: "SIGSTOP", 20: "SIGTSTP", 21: "SIGTTIN", 22: "SIGTTOU",
	23: "SIGURG", 24: "SIGXCPU", 25: "SIGXFSZ", 26: "SIGVTALRM", 27: "SIGPROF",
	28: "SIGWINCH", 29: "SIGIO", 30: "SIGPWR", 31: "SIGSYS",
}

// Signal is a Linux signal.
type Signal struct {
	Name   string // e.g. SIGTERM
	Number syscall.Signal
}

func (s Signal) String() string { return s.Name }

// terminates reports whether the signal's default action ends a process, so
// that a process without a handler for it exits.
func (s Signal) terminates() bool {
	switch s.Name {
	case "SIGCHLD", "SIGCONT", "SIGSTOP", "SIGTSTP", "SIGTTIN", "SIGTTOU", "SIGURG", "SIGWINCH":
		return false
	}
	return true
}

// SIGKILL is the signal `docker kill` sends by default.
var SIGKILL = Signal{Name: "SIGKILL", Number: syscall.SIGKILL}

// ParseSignal accepts a Linux signal by name (SIGTERM, TERM, sigterm) or by
// number (15). Anything else is Invalid.
func ParseSignal(s string) (Signal, error) {
	t := strings.ToUpper(strings.TrimSpace(s))
	if n, err := strconv.Atoi(t); err == nil {
		if n > 0 && n < len(signals) {
			return Signal{Name: signals[n], Number: syscall.Signal(n)}, nil
		}
	} else {
		if !strings.HasPrefix(t, "SIG") {
			t = "SIG" + t
		}
		for n, name := range signals {
			if name != "" && name == t {
				return Signal{Name: name, Number: syscall.Signal(n)}, nil
			}
		}
	}
	return Signal{}, Errorf(Invalid, "undefined Linux signal %q: use a name such as SIGTERM, SIGINT or SIGKILL, or a number from 1 to %d", s, len(signals)-1)
}

// size renders a byte count for messages.
func size(n int64) string {
	if n == 1 {
		return "1 byte"
	}
	return fmt.Sprintf("%d bytes", n)
}
