package powerloss

import (
	"strings"
	"testing"
)

// TestCut runs sequences of system calls through a mounted volume, cuts
// the power and checks what a reader finds after, in both modes.
func TestCut(t *testing.T) {
	// durable makes a file whose name and bytes survive a cut in either
	// mode.
	durable := func(x fsx, name, data string) {
		x.write(name, data, true)
		x.fsync(".")
	}
	tests := []struct {
		name   string
		strict bool
		do     func(x fsx)
		want   map[string]string // path -> content after the cut, or none
	}{
		{
			name: "an unsynced overwrite is lost",
			do: func(x fsx) {
				durable(x, "f", "old")
				x.write("f", "new", false)
			},
			want: map[string]string{"f": "old"},
		},
		{
			name: "a synced overwrite is kept",
			do: func(x fsx) {
				durable(x, "f", "old")
				x.write("f", "new", true)
			},
			want: map[string]string{"f": "new"},
		},
		{
			name: "appends fsynced one by one are all kept",
			do: func(x fsx) {
				durable(x, "log", "")
				for _, r := range []string{"r1\n", "r2\n", "r3\n"} {
					x.appendTo("log", r, true)
				}
			},
			want: map[string]string{"log": "r1\nr2\nr3\n"},
		},
		{
			name: "appends without fsync are lost",
			do: func(x fsx) {
				durable(x, "log", "r1\n")
				x.appendTo("log", "r2\n", false)
				x.appendTo("log", "r3\n", false)
			},
			want: map[string]string{"log": "r1\n"},
		},
		{
			name: "an unsynced truncate is undone",
			do: func(x fsx) {
				durable(x, "f", "hello world")
				x.truncate("f", 5)
			},
			want: map[string]string{"f": "hello world"},
		},
		{
			name: "a synced truncate is kept",
			do: func(x fsx) {
				durable(x, "f", "hello world")
				x.truncate("f", 5)
				x.fsync("f")
			},
			want: map[string]string{"f": "hello"},
		},
		{
			name: "a truncate then a write past it shows zeros, not the old bytes",
			do: func(x fsx) {
				durable(x, "f", "abcdef")
				x.truncate("f", 2)
				x.truncate("f", 4)
				x.fsync("f")
			},
			want: map[string]string{"f": "ab\x00\x00"},
		},
		{
			name: "a rename after the fsync is not committed: the old name has the synced bytes",
			do: func(x fsx) {
				x.write("a", "synced", true)
				x.rename("a", "b")
			},
			want: map[string]string{"a": "synced", "b": none},
		},
		{
			name: "a later fsync of another file commits the rename",
			do: func(x fsx) {
				x.write("a", "synced", true)
				x.rename("a", "b")
				x.write("other", "x", true)
			},
			want: map[string]string{"a": none, "b": "synced", "other": "x"},
		},
		{
			name:   "strict: a later fsync of another file does not commit the rename",
			strict: true,
			do: func(x fsx) {
				durable(x, "a", "synced")
				x.rename("a", "b")
				x.write("other", "x", true)
			},
			want: map[string]string{"a": "synced", "b": none, "other": none},
		},
		{
			name:   "strict: the folder's fsync commits a rename",
			strict: true,
			do: func(x fsx) {
				durable(x, "a", "synced")
				x.rename("a", "b")
				x.fsync(".")
			},
			want: map[string]string{"a": none, "b": "synced"},
		},
		{
			name: "a rename over a file without a commit keeps the replaced file",
			do: func(x fsx) {
				durable(x, "conf", "v1")
				x.write("conf.tmp", "v2", true) // commits conf.tmp too
				x.write("conf.tmp", "v2", false)
				x.rename("conf.tmp", "conf")
			},
			want: map[string]string{"conf": "v1", "conf.tmp": "v2"},
		},
		{
			name: "the atomic replace idiom: write, fsync, rename, fsync the folder",
			do: func(x fsx) {
				durable(x, "conf", "v1")
				x.write("conf.tmp", "v2", true)
				x.rename("conf.tmp", "conf")
				x.fsync(".")
			},
			want: map[string]string{"conf": "v2", "conf.tmp": none},
		},
		{
			name: "a replace by rename without fsync of the data gives an empty file",
			do: func(x fsx) {
				durable(x, "conf", "v1")
				x.write("conf.tmp", "v2", false)
				x.rename("conf.tmp", "conf")
				x.fsync(".")
			},
			want: map[string]string{"conf": ""},
		},
		{
			name: "an unlink without a commit is undone",
			do: func(x fsx) {
				durable(x, "f", "data")
				x.remove("f")
			},
			want: map[string]string{"f": "data"},
		},
		{
			name: "an unlink committed by the folder's fsync is kept",
			do: func(x fsx) {
				durable(x, "f", "data")
				x.remove("f")
				x.fsync(".")
			},
			want: map[string]string{"f": none},
		},
		{
			name: "a new file fsynced has a durable name in the default mode",
			do:   func(x fsx) { x.write("new", "data", true) },
			want: map[string]string{"new": "data"},
		},
		{
			name:   "strict: a new file fsynced loses its name without the folder's fsync",
			strict: true,
			do:     func(x fsx) { x.write("new", "data", true) },
			want:   map[string]string{"new": none},
		},
		{
			name:   "strict: a new file fsynced, then its folder, is kept",
			strict: true,
			do: func(x fsx) {
				x.write("new", "data", true)
				x.fsync(".")
			},
			want: map[string]string{"new": "data"},
		},
		{
			name: "a folder fsync alone makes the name durable but not the bytes",
			do: func(x fsx) {
				x.write("new", "data", false)
				x.fsync(".")
			},
			want: map[string]string{"new": ""},
		},
		{
			name:   "strict: a folder fsync commits that folder only",
			strict: true,
			do: func(x fsx) {
				x.mkdir("d")
				x.fsync(".")
				x.write("d/f", "in d", true)
				x.write("g", "in root", true)
				x.fsync("d")
			},
			want: map[string]string{"d/f": "in d", "g": none},
		},
		{
			name:   "strict: a rename across folders is committed by the destination's fsync",
			strict: true,
			do: func(x fsx) {
				x.mkdir("a")
				x.mkdir("b")
				x.fsync(".")
				x.write("a/x", "data", true)
				x.fsync("a")
				x.rename("a/x", "b/y")
				x.fsync("b")
			},
			want: map[string]string{"a/x": none, "b/y": "data"},
		},
		{
			name:   "strict: the source folder's fsync alone keeps the old name",
			strict: true,
			do: func(x fsx) {
				x.mkdir("a")
				x.mkdir("b")
				x.fsync(".")
				x.write("a/x", "data", true)
				x.fsync("a")
				x.rename("a/x", "b/y")
				x.fsync("a")
			},
			want: map[string]string{"a/x": "data", "b/y": none},
		},
		{
			name: "a new folder and a file in it, committed by the file's fsync",
			do: func(x fsx) {
				x.mkdir("d")
				x.mkdir("d/e")
				x.write("d/e/f", "deep", true)
			},
			want: map[string]string{"d/e/f": "deep"},
		},
		{
			name: "a new folder without a commit is lost with what it holds",
			do: func(x fsx) {
				x.mkdir("d")
				x.write("d/f", "data", false)
			},
			want: map[string]string{"d": none, "d/f": none},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v := mountT(t, Options{Strict: tt.strict})
			x := fsx{t, v.Path()}
			tt.do(x)
			rep := cut(t, v, false)
			for name, want := range tt.want {
				if got := x.read(name); got != want {
					t.Errorf("after the cut %s holds %q, want %q (cut: %v)", name, got, want, rep)
				}
			}
		})
	}
}

// TestWithoutCut checks that what the tests above lose was there until
// the cut: a kill keeps it.
func TestWithoutCut(t *testing.T) {
	v := mountT(t, Options{})
	x := fsx{t, v.Path()}
	x.write("log", "r1\n", false)
	x.appendTo("log", "r2\n", false)
	x.rename("log", "log2")
	if got := x.read("log2"); got != "r1\nr2\n" {
		t.Fatalf("log2 holds %q before any cut", got)
	}
	rep := cut(t, v, false)
	if got := x.read("log2"); got != none {
		t.Errorf("log2 holds %q after the cut, want it gone", got)
	}
	if len(rep.Lost) != 1 || rep.Lost[0] != "log2" || rep.Bytes != 6 {
		t.Errorf("report %+v, want log2 lost with 6 bytes", rep)
	}
	if !strings.Contains(rep.String(), `"log2"`) {
		t.Errorf("report text %q does not name log2", rep)
	}
}
