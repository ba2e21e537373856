package harness

import (
	"bytes"
	"fmt"
	"strconv"
	"strings"
)

// State is what a check found of a sentinel.
type State uint8

const (
	// Intact: the file holds exactly the bytes written.
	Intact State = iota + 1
	// Gone: there is no file at the path.
	Gone
	// Corrupted: something is at the path, but not the bytes written.
	Corrupted
)

func (s State) String() string {
	switch s {
	case Intact:
		return "intact"
	case Gone:
		return "gone"
	case Corrupted:
		return "corrupted"
	}
	return "unknown"
}

// ParseState parses intact, gone or corrupted.
func ParseState(s string) (State, error) {
	for _, st := range []State{Intact, Gone, Corrupted} {
		if strings.EqualFold(strings.TrimSpace(s), st.String()) {
			return st, nil
		}
	}
	return 0, Errorf(Invalid, "unknown sentinel state %q: use intact, gone or corrupted", s)
}

// Verdict is the outcome of checking one sentinel in one container.
type Verdict struct {
	Sentinel  string
	Container string
	Path      string
	State     State
	Found     File   // what was at the path
	Written   int    // how many bytes were written
	Writer    string // the container that wrote it
	WrittenAt string // the path the write named, when links took it elsewhere
	spot      spot   // where it was looked for, and the storage there
	How       string // how it was read, when that matters to the reader
}

func judge(sn *sentinel, container string, sp spot, f File, how string) Verdict {
	v := Verdict{
		Sentinel: sn.name, Container: container, Path: sp.path, Found: f,
		Written: len(sn.content), Writer: sn.writer, How: how, spot: sp,
	}
	if sn.path != sn.real {
		v.WrittenAt = sn.path
	}
	switch {
	case !f.Exists:
		v.State = Gone
	case f.Kind == "file" && bytes.Equal(f.Data, sn.content):
		v.State = Intact
	default:
		v.State = Corrupted
	}
	return v
}

// Expect returns nil when the verdict is want, and otherwise a Finding that
// says which sentinel, where, what was expected and what was found.
func (v Verdict) Expect(want State) error {
	if v.State == want {
		return nil
	}
	msg := fmt.Sprintf("sentinel %q in %q is %s, expected %s: %s", v.Sentinel, v.Container, v.State, want, v.found())
	if v.How != "" {
		msg += " (" + v.How + ")"
	}
	return Errorf(Finding, "%s", msg)
}

// found describes what the check saw at the path.
func (v Verdict) found() string {
	written := fmt.Sprintf("the %s written in %q", size(int64(v.Written)), v.Writer)
	if v.WrittenAt != "" {
		written = fmt.Sprintf("the %s written in %q to %s", size(int64(v.Written)), v.Writer, v.WrittenAt)
	}
	switch {
	case v.State == Gone:
		return fmt.Sprintf("no file at %s, where %s should be", v.Path, written)
	case v.State == Intact:
		return fmt.Sprintf("%s holds exactly %s", v.Path, written)
	case v.Found.Kind != "file":
		return fmt.Sprintf("%s is a %s, not a file holding %s", v.Path, v.Found.Kind, written)
	}
	return fmt.Sprintf("%s holds %s %s instead of %s", v.Path, size(int64(len(v.Found.Data))), excerpt(v.Found.Data), written)
}

// excerpt quotes the start of data for a message.
func excerpt(data []byte) string {
	const max = 64
	if len(data) <= max {
		return strconv.Quote(string(data))
	}
	return strconv.Quote(string(data[:max])) + "..."
}
