package docker

import (
	"bufio"
	"bytes"
	"context"
	"io"
	"strconv"
	"strings"

	"github.com/moby/moby/api/pkg/stdcopy"
	"github.com/moby/moby/client"

	"github.com/persistcheck/persistcheck/harness"
)

// logs opens the container's log, stdout and stderr merged, from its first
// line. With follow, the stream lasts until the container stops.
func (e *Engine) logs(ctx context.Context, id string, follow bool, tail string) (io.ReadCloser, error) {
	rc, err := e.cli.ContainerLogs(ctx, id, client.ContainerLogsOptions{
		ShowStdout: true, ShowStderr: true, Follow: follow, Tail: tail,
	})
	if err != nil {
		return nil, fail("read the container's log", err)
	}
	// Containers run without a TTY, so the stream is multiplexed.
	pr, pw := io.Pipe()
	go func() {
		_, err := stdcopy.StdCopy(pw, pw, rc)
		pw.CloseWithError(err)
	}()
	return readCloser{pr, rc}, nil
}

// readCloser reads the demultiplexed pipe; closing it closes both ends, so
// the copying goroutine ends whether it was reading or writing.
type readCloser struct {
	*io.PipeReader
	stream io.Closer
}

func (r readCloser) Close() error {
	r.PipeReader.Close()
	return r.stream.Close()
}

// CountLog counts the lines of the log that contain text.
func (e *Engine) CountLog(ctx context.Context, id, text string) (int, error) {
	n := 0
	err := e.scanLog(ctx, id, false, func(line string) bool {
		if strings.Contains(line, text) {
			n++
		}
		return true
	})
	return n, err
}

// WaitLog follows the log until n lines contain text. The stream ends when
// the container stops; if the count is short then, the container died first.
func (e *Engine) WaitLog(ctx context.Context, id, text string, n int) error {
	seen := 0
	err := e.scanLog(ctx, id, true, func(line string) bool {
		if strings.Contains(line, text) {
			seen++
		}
		return seen < n
	})
	switch {
	case err != nil:
		return err
	case seen < n:
		return harness.Errorf(harness.Finding, "the container stopped before its log showed %q", text)
	}
	return nil
}

// scanLog calls keep with each line of the log until it returns false.
func (e *Engine) scanLog(ctx context.Context, id string, follow bool, keep func(string) bool) error {
	rc, err := e.logs(ctx, id, follow, "all")
	if err != nil {
		return err
	}
	defer rc.Close()
	sc := bufio.NewScanner(rc)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		if !keep(sc.Text()) {
			return nil
		}
	}
	if ctx.Err() != nil {
		return fail("read the container's log", ctx.Err())
	}
	return fail("read the container's log", sc.Err())
}

// LogTail returns the last n lines of the log.
func (e *Engine) LogTail(ctx context.Context, id string, n int) (string, error) {
	rc, err := e.logs(ctx, id, false, strconv.Itoa(n))
	if err != nil {
		return "", err
	}
	defer rc.Close()
	var buf bytes.Buffer
	_, err = io.Copy(&buf, rc)
	return buf.String(), fail("read the container's log", err)
}
