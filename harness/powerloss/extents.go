package powerloss

import "sort"

// extent is a run of bytes written at off and not yet durable.
type extent struct {
	off  int64
	data []byte
}

func (e extent) end() int64 { return e.off + int64(len(e.data)) }

// extents are the pending bytes of one file: sorted by offset, neither
// overlapping nor touching (touching runs are merged, so an append grows
// the last run in place).
type extents []extent

// write lays p over the runs at off, keeping no reference to p.
func (x *extents) write(off int64, p []byte) {
	if len(p) == 0 {
		return
	}
	end := off + int64(len(p))
	s := *x
	// Runs i..j-1 overlap or touch [off, end).
	i := sort.Search(len(s), func(k int) bool { return s[k].end() >= off })
	j := sort.Search(len(s), func(k int) bool { return s[k].off > end })
	switch {
	case i == j:
		s = append(s, extent{})
		copy(s[i+1:], s[i:])
		s[i] = extent{off: off, data: append([]byte(nil), p...)}
	case i == j-1 && s[i].off <= off:
		// The common cases: an overwrite inside a run, or an append to it.
		e := &s[i]
		if end > e.end() {
			e.data = append(e.data, make([]byte, end-e.end())...)
		}
		copy(e.data[off-e.off:], p)
	default:
		lo, hi := min(s[i].off, off), max(s[j-1].end(), end)
		buf := make([]byte, hi-lo)
		for _, e := range s[i:j] {
			copy(buf[e.off-lo:], e.data)
		}
		copy(buf[off-lo:], p)
		s[i] = extent{off: lo, data: buf}
		s = append(s[:i+1], s[j:]...)
	}
	*x = s
}

// truncate drops every pending byte at or past size.
func (x *extents) truncate(size int64) {
	s := *x
	i := sort.Search(len(s), func(k int) bool { return s[k].end() > size })
	if i < len(s) && s[i].off < size {
		s[i].data = s[i].data[:size-s[i].off]
		i++
	}
	clear(s[i:])
	*x = s[:i]
}

// overlay copies the pending bytes that fall in [off, off+len(dst)) into dst.
func (x extents) overlay(dst []byte, off int64) {
	end := off + int64(len(dst))
	i := sort.Search(len(x), func(k int) bool { return x[k].end() > off })
	for ; i < len(x) && x[i].off < end; i++ {
		e := x[i]
		lo, hi := max(e.off, off), min(e.end(), end)
		copy(dst[lo-off:hi-off], e.data[lo-e.off:hi-e.off])
	}
}

// bytes returns how many bytes are pending.
func (x extents) bytes() int64 {
	var n int64
	for _, e := range x {
		n += int64(len(e.data))
	}
	return n
}
