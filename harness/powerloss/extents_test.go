package powerloss

import (
	"bytes"
	"testing"
)

// TestExtents checks the pending bytes of a file against a plain byte
// slice that takes the same writes and truncates.
func TestExtents(t *testing.T) {
	type op struct {
		off  int64
		data string // empty: truncate to off
	}
	tests := []struct {
		name string
		ops  []op
		runs int
	}{
		{"appends merge", []op{{0, "ab"}, {2, "cd"}, {4, "ef"}}, 1},
		{"disjoint stay apart", []op{{0, "ab"}, {10, "cd"}}, 2},
		{"a write bridging two runs joins them", []op{{0, "ab"}, {6, "gh"}, {1, "XXXXXX"}}, 1},
		{"a write before a run touching it joins it", []op{{4, "ef"}, {2, "cd"}}, 1},
		{"an overwrite inside a run", []op{{0, "abcdef"}, {2, "XY"}}, 1},
		{"a write covering several runs", []op{{2, "a"}, {5, "b"}, {8, "c"}, {0, "0123456789"}}, 1},
		{"a truncate cuts a run", []op{{0, "abcdef"}, {3, ""}}, 1},
		{"a truncate drops runs past it", []op{{0, "ab"}, {10, "cd"}, {5, ""}}, 1},
		{"a truncate then a write past it", []op{{0, "abcdef"}, {2, ""}, {4, "x"}}, 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var x extents
			var want []byte
			var written []bool
			for _, o := range tt.ops {
				if o.data == "" {
					x.truncate(o.off)
					want, written = want[:min(int64(len(want)), o.off)], written[:min(int64(len(written)), o.off)]
					continue
				}
				x.write(o.off, []byte(o.data))
				for end := o.off + int64(len(o.data)); int64(len(want)) < end; {
					want, written = append(want, 0), append(written, false)
				}
				copy(want[o.off:], o.data)
				for i := range o.data {
					written[o.off+int64(i)] = true
				}
			}
			got := make([]byte, len(want))
			x.overlay(got, 0)
			if !bytes.Equal(got, want) {
				t.Errorf("pending bytes %q, want %q", got, want)
			}
			if len(x) != tt.runs {
				t.Errorf("%d runs, want %d: %v", len(x), tt.runs, x)
			}
			var n int64
			for _, w := range written {
				if w {
					n++
				}
			}
			if x.bytes() != n {
				t.Errorf("%d bytes pending, want %d", x.bytes(), n)
			}
			for i := 1; i < len(x); i++ {
				if x[i-1].end() >= x[i].off {
					t.Errorf("runs %d and %d overlap or touch: %v", i-1, i, x)
				}
			}
		})
	}
}
