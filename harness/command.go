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
// text. It reads a stopped container too (see Container.read). A Finding
// says where the path lives, lists its folder, and shows the container.
func (s *Scenario) FileContains(ctx context.Context, name, path, text string) error {
	f, at, err := s.readFile(ctx, name, path)
	switch {
	case err != nil:
		return err
	case !f.Exists:
		return s.fileFinding(ctx, name, at, "no file %s in %q, expected one containing %q%s", at.path, name, text, paren(f.how))
	case f.Kind != "file":
		return s.fileFinding(ctx, name, at, "%s in %q is a %s, expected a file containing %q", at.path, name, f.Kind, text)
	case !strings.Contains(string(f.Data), text):
		return s.fileFinding(ctx, name, at, "%s in %q holds %s %s, which does not contain %q%s", at.path, name, size(int64(len(f.Data))), excerpt(f.Data), text, paren(f.how))
	}
	return nil
}

// FileAbsent checks that nothing is at path in the container name.
func (s *Scenario) FileAbsent(ctx context.Context, name, path string) error {
	f, at, err := s.readFile(ctx, name, path)
	switch {
	case err != nil:
		return err
	case f.Exists && f.Kind == "file":
		return s.fileFinding(ctx, name, at, "%s exists in %q, holding %s %s; expected no such file%s", at.path, name, size(int64(len(f.Data))), excerpt(f.Data), paren(f.how))
	case f.Exists:
		return s.fileFinding(ctx, name, at, "%s exists in %q as a %s; expected nothing there", at.path, name, f.Kind)
	}
	return nil
}

// fileFinding is a Finding about a file, with where it lives, the listing
// of its folder, and the container's evidence.
func (s *Scenario) fileFinding(ctx context.Context, name string, at spot, format string, args ...any) error {
	c, _ := s.Container(name)
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), evidenceTimeout)
	defer cancel()
	folder := fmt.Sprintf("folder %s: could not be read", at.parent().path)
	if found, err := c.read(ctx, at.parent()); err == nil {
		folder = listing(at.parent().path, found[0].File)
	}
	return Errorf(Finding, "%s\n    where: %s\n    %s\n%s", fmt.Sprintf(format, args...), lives(at.path, at.at), folder, c.evidence(ctx, Status{}))
}

func (s *Scenario) readFile(ctx context.Context, name, path string) (reading, spot, error) {
	p, err := cleanPath(path)
	if err != nil {
		return reading{}, spot{}, err
	}
	c, err := s.Container(name)
	if err != nil {
		return reading{}, spot{}, err
	}
	ctx, cancel := context.WithTimeout(ctx, s.run.opts.Timeout)
	defer cancel()
	at := c.spotOf(p)
	found, err := c.read(ctx, at)
	if err != nil {
		return reading{}, at, Wrap(fmt.Sprintf("read %s in %q", p, name), Unknown, deadline(ctx, err))
	}
	return found[0], at, nil
}

// ExpectLast applies check to the scenario's last command, and adds the
// evidence of the container it ran in to a Finding.
func (s *Scenario) ExpectLast(ctx context.Context, check func(*CommandResult) error) error {
	r, err := s.LastCommand()
	if err != nil {
		return err
	}
	err = check(r)
	if err == nil || KindOf(err) != Finding {
		return err
	}
	c, cerr := s.Container(r.Container)
	if cerr != nil {
		return err
	}
	return Errorf(Finding, "%v\n%s", err, c.evidence(ctx, Status{}))
}

func paren(s string) string {
	if s == "" {
		return ""
	}
	return " (" + s + ")"
}
