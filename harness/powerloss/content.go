package powerloss

import (
	"fmt"
	"io"
	"os"
)

// content is the bytes of one regular file: what is durable lies in a file
// on the real disk, what is not yet durable is held in memory over it.
type content struct {
	path    string   // the durable bytes
	file    *os.File // path, opened when first needed
	durable int64    // size of the durable bytes
	base    int64    // durable bytes below base still show; past it a truncate cut them off
	size    int64    // size as the live file system shows it
	pending extents
}

func newContent(path string, durable int64) *content {
	return &content{path: path, durable: durable, base: durable, size: durable}
}

// dirty reports whether anything written or truncated is not yet durable.
func (c *content) dirty() bool {
	return c.size != c.durable || c.base != c.durable || len(c.pending) > 0
}

func (c *content) open() (*os.File, error) {
	if c.file == nil {
		f, err := os.OpenFile(c.path, os.O_RDWR|os.O_CREATE, 0o600)
		if err != nil {
			return nil, err
		}
		c.file = f
	}
	return c.file, nil
}

// close lets go of the durable file until it is needed again.
func (c *content) close() error {
	if c.file == nil {
		return nil
	}
	err := c.file.Close()
	c.file = nil
	return err
}

// read fills dst with the live bytes at off and returns how many there are.
func (c *content) read(dst []byte, off int64) (int, error) {
	if off >= c.size {
		return 0, nil
	}
	dst = dst[:min(int64(len(dst)), c.size-off)]
	clear(dst)
	if shown := min(c.base, c.durable); off < shown {
		f, err := c.open()
		if err != nil {
			return 0, err
		}
		part := dst[:min(int64(len(dst)), shown-off)]
		if _, err := f.ReadAt(part, off); err != nil && err != io.EOF {
			return 0, err
		}
	}
	c.pending.overlay(dst, off)
	return len(dst), nil
}

func (c *content) write(p []byte, off int64) {
	c.pending.write(off, p)
	c.size = max(c.size, off+int64(len(p)))
}

// truncate sets the live size: bytes past it are gone, and growing again
// shows zeros, not what the durable bytes held there.
func (c *content) truncate(size int64) {
	if size < c.size {
		c.pending.truncate(size)
		c.base = min(c.base, size)
	}
	c.size = size
}

// sync makes the live bytes durable.
func (c *content) sync() error {
	if !c.dirty() {
		return nil
	}
	f, err := c.open()
	if err != nil {
		return err
	}
	if c.base < c.durable {
		if err := f.Truncate(c.base); err != nil {
			return err
		}
	}
	for _, e := range c.pending {
		if _, err := f.WriteAt(e.data, e.off); err != nil {
			return err
		}
	}
	if err := f.Truncate(c.size); err != nil {
		return err
	}
	c.durable, c.base, c.pending = c.size, c.size, nil
	return nil
}

// drop forgets everything not durable and returns how many written bytes
// that was.
func (c *content) drop() int64 {
	n := c.pending.bytes()
	c.size, c.base, c.pending = c.durable, c.durable, nil
	return n
}

// tear makes the live bytes in [off, off+n) durable on their own, as a
// disk that lost power in the middle of writing them back would have kept
// them, and drops everything else not durable.
func (c *content) tear(off, n int64) error {
	buf := make([]byte, n)
	got, err := c.read(buf, off)
	if err != nil {
		return err
	}
	c.drop()
	if got == 0 {
		return nil
	}
	f, err := c.open()
	if err != nil {
		return err
	}
	if _, err := f.WriteAt(buf[:got], off); err != nil {
		return fmt.Errorf("write torn bytes: %w", err)
	}
	c.durable = max(c.durable, off+int64(got))
	c.size, c.base = c.durable, c.durable
	return nil
}
