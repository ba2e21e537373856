package main

import (
	"context"
	"strings"
	"testing"
)

func TestFlagsAndNames(t *testing.T) {
	for _, c := range []struct {
		args []string
		code int
		out  string // in stdout, or stderr when the code is not 0
	}{
		{[]string{"-h"}, 0, ""},
		{[]string{"-x"}, 2, "flag provided but not defined"},
		{[]string{"sqlite", "oracle"}, 2, `no example image "oracle"`},
	} {
		var stdout, stderr strings.Builder
		code := Main(context.Background(), c.args, &stdout, &stderr)
		out := stdout.String()
		if code != 0 {
			out = stderr.String()
		}
		if code != c.code || !strings.Contains(out, c.out) {
			t.Errorf("images %v: exit code %d, printed:\n%s%s\nwant code %d and %q", c.args, code, stdout.String(), stderr.String(), c.code, c.out)
		}
	}
}
