package harness

import (
	"bytes"
	"context"
	"fmt"
	"strings"
)

// CommandResult is what a command run in a container did.
type CommandResult struct {
	Container string
	Argv      []string
	ExecResult
}

// RunCommand splits line like a shell would and runs it, without a shell, in
// the running container name. The result is kept for the assertions that
// follow; a command that fails is a result, not an error. A command that
// cannot start (no such executable) is Invalid.
func (s *Scenario) RunCommand(ctx context.Context, name, line string) error {
	argv, err := SplitCommand(line)
	if err != nil {
		return err
	}
	c, err := s.Container(name)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, s.run.opts.Timeout)
	defer cancel()
	if _, err := c.require(ctx, "run a command in", "running"); err != nil {
		return err
	}
	res, err := c.engine().Exec(ctx, c.id, argv)
	if err != nil {
		return Wrap(fmt.Sprintf("run %s in %q", quoteCommand(argv), name), Unknown, deadline(ctx, err))
	}
	s.last = &CommandResult{Container: name, Argv: argv, ExecResult: res}
	return nil
}

// LastCommand returns the result of the scenario's last command.
func (s *Scenario) LastCommand() (*CommandResult, error) {
	if s.last == nil {
		return nil, Errorf(Invalid, `no command was run in this scenario; run one first: When I run "..." in "..."`)
	}
	return s.last, nil
}

// Output returns stdout without surrounding blanks.
func (r *CommandResult) Output() string { return strings.TrimSpace(string(r.Stdout)) }

// ExpectSuccess is nil when the command exited 0, and a Finding otherwise.
func (r *CommandResult) ExpectSuccess() error {
	if r.ExitCode == 0 {
		return nil
	}
	return r.finding("exited %d, expected success", r.ExitCode)
}

// ExpectFailure is nil when the command exited non-zero, and a Finding
// otherwise.
func (r *CommandResult) ExpectFailure() error {
	if r.ExitCode != 0 {
		return nil
	}
	return r.finding("succeeded, expected it to fail")
}

// ExpectOutput is nil when the trimmed stdout is want.
func (r *CommandResult) ExpectOutput(want string) error {
	if r.Output() == want {
		return nil
	}
	return r.finding("printed %q, expected %q", r.Output(), want)
}

// ExpectOutputContains is nil when stdout contains part.
func (r *CommandResult) ExpectOutputContains(part string) error {
	if strings.Contains(string(r.Stdout), part) {
		return nil
	}
	return r.finding("printed %q, expected it to contain %q", r.Output(), part)
}

func (r *CommandResult) finding(format string, args ...any) error {
	msg := fmt.Sprintf("command %s in %q ", quoteCommand(r.Argv), r.Container) + fmt.Sprintf(format, args...)
	if errOut := bytes.TrimSpace(r.Stderr); len(errOut) > 0 {
		msg += "; it wrote to stderr:\n" + indent(string(errOut))
	}
	return Errorf(Finding, "%s", msg)
}

// FileContains checks that path in the container name is a file containing
// text. It reads a stopped container too (see Container.read).
func (s *Scenario) FileContains(ctx context.Context, name, path, text string) error {
	f, err := s.readFile(ctx, name, path)
	switch {
	case err != nil:
		return err
	case !f.Exists:
		return Errorf(Finding, "no file %s in %q, expected one containing %q%s", path, name, text, paren(f.how))
	case f.Kind != "file":
		return Errorf(Finding, "%s in %q is a %s, expected a file containing %q", path, name, f.Kind, text)
	case !strings.Contains(string(f.Data), text):
		return Errorf(Finding, "%s in %q holds %s %s, which does not contain %q%s", path, name, size(int64(len(f.Data))), excerpt(f.Data), text, paren(f.how))
	}
	return nil
}

// FileAbsent checks that nothing is at path in the container name.
func (s *Scenario) FileAbsent(ctx context.Context, name, path string) error {
	f, err := s.readFile(ctx, name, path)
	switch {
	case err != nil:
		return err
	case f.Exists && f.Kind == "file":
		return Errorf(Finding, "%s exists in %q, holding %s %s; expected no such file%s", path, name, size(int64(len(f.Data))), excerpt(f.Data), paren(f.how))
	case f.Exists:
		return Errorf(Finding, "%s exists in %q as a %s; expected nothing there", path, name, f.Kind)
	}
	return nil
}

func (s *Scenario) readFile(ctx context.Context, name, path string) (reading, error) {
	p, err := cleanPath(path)
	if err != nil {
		return reading{}, err
	}
	c, err := s.Container(name)
	if err != nil {
		return reading{}, err
	}
	ctx, cancel := context.WithTimeout(ctx, s.run.opts.Timeout)
	defer cancel()
	found, err := c.read(ctx, c.spotOf(p))
	if err != nil {
		return reading{}, Wrap(fmt.Sprintf("read %s in %q", p, name), Unknown, deadline(ctx, err))
	}
	return found[0], nil
}

func paren(s string) string {
	if s == "" {
		return ""
	}
	return " (" + s + ")"
}
