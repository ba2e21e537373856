package powerloss

import (
	"strings"
	"testing"
)

func TestTearKeepsAPrefixOfTheLastUnsyncedWrite(t *testing.T) {
	tests := []struct {
		name     string
		do       func(x fsx)
		want     string
		kept, of int64
	}{
		{
			name: "one write",
			do:   func(x fsx) { x.appendTo("log", "0123456789", false) },
			want: "head:01234",
			kept: 5, of: 10,
		},
		{
			name: "appends that follow each other make one write",
			do: func(x fsx) {
				x.appendTo("log", "aaa", false)
				x.appendTo("log", "bbb", false)
				x.appendTo("log", "ccc", false)
			},
			want: "head:aaabb",
			kept: 5, of: 9,
		},
		{
			name: "an odd length keeps the larger half",
			do:   func(x fsx) { x.appendTo("log", "abc", false) },
			want: "head:ab",
			kept: 2, of: 3,
		},
		{
			name: "a single byte is kept whole",
			do:   func(x fsx) { x.appendTo("log", "z", false) },
			want: "head:z",
			kept: 1, of: 1,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v := mountT(t, Options{})
			x := fsx{t, v.Path()}
			x.write("other", "", true)
			x.write("log", "head:", true)
			x.write("other", "x", false)
			tt.do(x)
			rep := cut(t, v, true)
			if got := x.read("log"); got != tt.want {
				t.Errorf("log holds %q after a torn cut, want %q", got, tt.want)
			}
			if tr := rep.Tear; tr == nil || tr.Path != "log" || tr.Offset != 5 || tr.Kept != tt.kept || tr.N != tt.of {
				t.Errorf("tear reported as %+v, want log at 5, %d of %d", tr, tt.kept, tt.of)
			}
			if got := x.read("other"); got != "" {
				t.Errorf("other holds %q, want its unsynced write dropped", got)
			}
		})
	}
}

// TestTearOnlyTheLastFile: a tear keeps part of the very last unsynced
// write only; other files lose all their unsynced bytes.
func TestTearOnlyTheLastFile(t *testing.T) {
	v := mountT(t, Options{})
	x := fsx{t, v.Path()}
	x.write("a", "A:", true)
	x.write("b", "B:", true)
	x.appendTo("b", "bbbb", false)
	x.appendTo("a", "aaaa", false)
	rep := cut(t, v, true)
	if a, b := x.read("a"), x.read("b"); a != "A:aa" || b != "B:" {
		t.Errorf("a=%q b=%q after a torn cut, want A:aa and B:", a, b)
	}
	if !strings.Contains(rep.String(), "kept 2 of 4 bytes") {
		t.Errorf("report %q does not tell what the tear kept", rep)
	}
}

// TestTearAfterFsyncTearsNothing: a write made durable is no longer one a
// cut can tear.
func TestTearAfterFsyncTearsNothing(t *testing.T) {
	v := mountT(t, Options{})
	x := fsx{t, v.Path()}
	x.write("log", "all", true)
	rep := cut(t, v, true)
	if rep.Tear != nil || x.read("log") != "all" {
		t.Errorf("tear %+v, log %q; want no tear and all kept", rep.Tear, x.read("log"))
	}
}
