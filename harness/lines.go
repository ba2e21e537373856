package harness

import (
	"bytes"
	"io"
)

// LineWriter returns a writer that calls line with each complete line
// written to it, without its newline: a command's output as it comes.
func LineWriter(line func(string)) io.Writer { return &lineWriter{line: line} }

type lineWriter struct {
	line func(string)
	buf  []byte
}

func (w *lineWriter) Write(p []byte) (int, error) {
	w.buf = append(w.buf, p...)
	for {
		i := bytes.IndexByte(w.buf, '\n')
		if i < 0 {
			return len(p), nil
		}
		w.line(string(w.buf[:i]))
		w.buf = w.buf[i+1:]
	}
}
