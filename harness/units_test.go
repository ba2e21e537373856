package harness

import (
	"strings"
	"syscall"
	"testing"
)

func TestParseMemory(t *testing.T) {
	const (
		k = int64(1) << 10
		m = int64(1) << 20
		g = int64(1) << 30
	)
	tests := []struct {
		in   string
		want int64
	}{
		{"64m", 64 * m},
		{"64M", 64 * m},
		{"64MB", 64 * m},
		{"64mb", 64 * m},
		{"64MiB", 64 * m},
		{"64mib", 64 * m},
		{" 64m ", 64 * m},
		{"1g", g},
		{"1G", g},
		{"1GiB", g},
		{"1.5g", g + g/2},
		{"0.5g", g / 2},
		{"8192k", 8 * m},
		{"8192KB", 8 * m},
		{"6m", 6 * m}, // the minimum itself
		{"10485760", 10 * m},
		{"10485760b", 10 * m},
		{"10485760B", 10 * m},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := ParseMemory(tt.in)
			if err != nil {
				t.Fatalf("ParseMemory(%q) error: %v", tt.in, err)
			}
			if got != tt.want {
				t.Errorf("ParseMemory(%q) = %d, want %d", tt.in, got, tt.want)
			}
		})
	}
}

func TestParseMemoryErrors(t *testing.T) {
	tests := []struct {
		in      string
		mention string
	}{
		{"512k", "below"},
		{"5m", "below"},
		{"6291455", "below"}, // one byte short of 6m
		{"64", "below"},      // bytes, not megabytes
		{"0.001g", "below"},
		{"0", "below"},
		{"0m", "below"},
		{"9000000000g", "larger than 1p"},
		{"1e30g", "bad memory limit"},
		{"inf", "bad memory limit"},
		{"NaN", "bad memory limit"},
		{"1e3m", "bad memory limit"},
		{"1_000m", "bad memory limit"},
		{"-64m", "bad memory limit"},
		{"-1", "bad memory limit"},
		{"", "bad memory limit"},
		{"m", "bad memory limit"},
		{"mb", "bad memory limit"},
		{"lots", "bad memory limit"},
		{"64x", "bad memory limit"},
		{"64mm", "bad memory limit"},
		{"64 megabytes", "bad memory limit"},
		{"1,5g", "bad memory limit"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := ParseMemory(tt.in)
			if err == nil {
				t.Fatalf("ParseMemory(%q) = %d, want an error", tt.in, got)
			}
			if k := KindOf(err); k != Invalid {
				t.Errorf("ParseMemory(%q) error kind = %v, want %v", tt.in, k, Invalid)
			}
			if !strings.Contains(err.Error(), tt.mention) || !strings.Contains(err.Error(), `"`+tt.in+`"`) {
				t.Errorf("ParseMemory(%q) error %q does not mention %q and the input", tt.in, err, tt.mention)
			}
		})
	}
}

func TestParseSignal(t *testing.T) {
	tests := []struct {
		in     string
		name   string
		number syscall.Signal
	}{
		{"SIGTERM", "SIGTERM", syscall.SIGTERM},
		{"TERM", "SIGTERM", syscall.SIGTERM},
		{"sigterm", "SIGTERM", syscall.SIGTERM},
		{"term", "SIGTERM", syscall.SIGTERM},
		{" SigTerm ", "SIGTERM", syscall.SIGTERM},
		{"15", "SIGTERM", syscall.SIGTERM},
		{"9", "SIGKILL", syscall.SIGKILL},
		{"KILL", "SIGKILL", syscall.SIGKILL},
		{"1", "SIGHUP", syscall.SIGHUP},
		{"SIGINT", "SIGINT", syscall.SIGINT},
		{"USR1", "SIGUSR1", syscall.SIGUSR1},
		{"SIGCHLD", "SIGCHLD", syscall.SIGCHLD},
		{"28", "SIGWINCH", syscall.SIGWINCH},
		{"31", "SIGSYS", syscall.SIGSYS},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := ParseSignal(tt.in)
			if err != nil {
				t.Fatalf("ParseSignal(%q) error: %v", tt.in, err)
			}
			if got.Name != tt.name || got.Number != tt.number {
				t.Errorf("ParseSignal(%q) = {%s %d}, want {%s %d}", tt.in, got.Name, got.Number, tt.name, tt.number)
			}
			if got.String() != tt.name {
				t.Errorf("ParseSignal(%q).String() = %q, want %q", tt.in, got.String(), tt.name)
			}
		})
	}
}

// Kill compares the signal with SIGKILL to know it must wait for the stop:
// every spelling of SIGKILL must be equal to it.
func TestParseSignalKillIsSIGKILL(t *testing.T) {
	for _, in := range []string{"9", "KILL", "kill", "SIGKILL", "sigkill"} {
		got, err := ParseSignal(in)
		if err != nil {
			t.Fatalf("ParseSignal(%q) error: %v", in, err)
		}
		if got != SIGKILL {
			t.Errorf("ParseSignal(%q) = %+v, want SIGKILL %+v", in, got, SIGKILL)
		}
	}
}

func TestParseSignalErrors(t *testing.T) {
	for _, in := range []string{"0", "32", "64", "-9", "SIGFOO", "FOO", "SIG", "", "SIGKILLX", "9x", "SIGRTMIN"} {
		t.Run(in, func(t *testing.T) {
			got, err := ParseSignal(in)
			if err == nil {
				t.Fatalf("ParseSignal(%q) = %+v, want an error", in, got)
			}
			if k := KindOf(err); k != Invalid {
				t.Errorf("ParseSignal(%q) error kind = %v, want %v", in, k, Invalid)
			}
			if !strings.Contains(err.Error(), `"`+in+`"`) {
				t.Errorf("ParseSignal(%q) error %q does not quote the input", in, err)
			}
		})
	}
}

func TestSignalTerminates(t *testing.T) {
	tests := []struct {
		name string
		want bool
	}{
		{"SIGTERM", true},
		{"SIGINT", true},
		{"SIGHUP", true},
		{"SIGKILL", true},
		{"SIGUSR1", true},
		{"SIGQUIT", true},
		{"SIGCHLD", false},
		{"SIGWINCH", false},
		{"SIGCONT", false},
		{"SIGURG", false},
		{"SIGSTOP", false},
		{"SIGTSTP", false},
	}
	for _, tt := range tests {
		sig, err := ParseSignal(tt.name)
		if err != nil {
			t.Fatalf("ParseSignal(%q) error: %v", tt.name, err)
		}
		if got := sig.terminates(); got != tt.want {
			t.Errorf("%s.terminates() = %v, want %v", tt.name, got, tt.want)
		}
	}
}

func TestSize(t *testing.T) {
	tests := []struct {
		n    int64
		want string
	}{
		{0, "0 bytes"},
		{1, "1 byte"},
		{2, "2 bytes"},
		{1024, "1024 bytes"},
	}
	for _, tt := range tests {
		if got := size(tt.n); got != tt.want {
			t.Errorf("size(%d) = %q, want %q", tt.n, got, tt.want)
		}
	}
}
