//go:build !linux

package examples

import (
	"context"
	"errors"
	"io"
)

// make needs debootstrap, which runs on Linux only.
func (r rootfs) make(context.Context, string) error {
	return errors.New("debootstrap runs on Linux only: `docker load` a " + Base + " saved on Linux")
}

func lock(context.Context, string, io.Writer) (func(), error) { return func() {}, nil }
