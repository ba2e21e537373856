package main

import (
	"flag"
	"fmt"
	"io"
	"strings"
)

// parse parses args with fs, allowing flags after positional arguments as
// in `persistcheck run features/ --tags @fast`, and returns the positional
// ones. Everything after -- is positional. When ok is false the command is
// done, with the exit code code: 0 after -h, 2 after a bad flag (fs has
// said what was wrong).
func parse(fs *flag.FlagSet, args []string, stderr io.Writer) (positional []string, code int, ok bool) {
	positional, err := parseFlags(fs, args, stderr)
	switch {
	case err == flag.ErrHelp:
		return nil, exitPassed, false
	case err != nil:
		return nil, exitInvalid, false
	}
	return positional, 0, true
}

func parseFlags(fs *flag.FlagSet, args []string, stderr io.Writer) ([]string, error) {
	fs.SetOutput(stderr)
	var tail []string
	for i, a := range args {
		if a == "--" {
			args, tail = args[:i], args[i+1:]
			break
		}
	}
	var positional []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, err
		}
		if fs.NArg() == 0 {
			return append(positional, tail...), nil
		}
		positional = append(positional, fs.Arg(0))
		args = fs.Args()[1:]
	}
}

// usageError prints what is wrong and how to see the flags.
func usageError(stderr io.Writer, cmd, format string, args ...any) int {
	fmt.Fprintf(stderr, "persistcheck %s: %s\nrun 'persistcheck %s -h' for its flags\n", cmd, fmt.Sprintf(format, args...), cmd)
	return exitInvalid
}

// list is a flag that may be given several times, or once comma-separated.
type list []string

func (l *list) String() string { return strings.Join(*l, ",") }

func (l *list) Set(v string) error {
	for _, part := range strings.Split(v, ",") {
		if part = strings.TrimSpace(part); part != "" {
			*l = append(*l, part)
		}
	}
	return nil
}
