package powerloss

import (
	"fmt"
	"strings"
)

// CutReport says what a power cut threw away. Paths are relative to the
// root of the volume, with forward slashes.
type CutReport struct {
	// Files lost bytes written or a size set since their last fsync, by
	// the path they had before the cut; a file whose name was lost too is
	// also among Lost.
	Files []FileLoss
	// Bytes is how many written bytes were dropped in all.
	Bytes int64
	// Lost are names the cut took away: created, linked or renamed to
	// without being committed. Under a lost folder only the folder is
	// listed.
	Lost []string
	// Back are names the cut brought back: removed or renamed away without
	// being committed.
	Back []string
	// Tear, when the cut tore a write, says what it kept of it.
	Tear *Tear
}

// FileLoss is what one file lost.
type FileLoss struct {
	Path    string
	Bytes   int64 // written bytes dropped
	Size    int64 // size before the cut
	Durable int64 // size after it
}

// Tear is the write a cut tore: of N bytes written at Offset, the first
// Kept survived.
type Tear struct {
	Path   string
	Offset int64
	Kept   int64
	N      int64
}

// Empty reports whether the cut found nothing pending.
func (r CutReport) Empty() bool {
	return len(r.Files) == 0 && len(r.Lost) == 0 && len(r.Back) == 0 && r.Tear == nil
}

// String says what was lost in one line, for messages.
func (r CutReport) String() string {
	if r.Empty() {
		return "nothing was pending"
	}
	var parts []string
	if len(r.Files) > 0 {
		var fs []string
		for _, f := range r.Files {
			fs = append(fs, fmt.Sprintf("%q (%d bytes, size %d -> %d)", f.Path, f.Bytes, f.Size, f.Durable))
		}
		parts = append(parts, fmt.Sprintf("dropped %d unsynced bytes in %s", r.Bytes, strings.Join(fs, ", ")))
	}
	if len(r.Lost) > 0 {
		parts = append(parts, "lost names "+quoteAll(r.Lost))
	}
	if len(r.Back) > 0 {
		parts = append(parts, "brought back names "+quoteAll(r.Back))
	}
	if t := r.Tear; t != nil {
		parts = append(parts, fmt.Sprintf("tore the write to %q at offset %d: kept %d of %d bytes", t.Path, t.Offset, t.Kept, t.N))
	}
	return strings.Join(parts, "; ")
}

func quoteAll(ss []string) string {
	q := make([]string, len(ss))
	for i, s := range ss {
		q[i] = fmt.Sprintf("%q", s)
	}
	return strings.Join(q, ", ")
}
