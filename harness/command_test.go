package harness

import (
	"strings"
	"testing"
)

func TestCommandResultExpectations(t *testing.T) {
	result := func(code int, stdout, stderr string) *CommandResult {
		return &CommandResult{
			Container:  "app",
			Argv:       []string{"sh", "-c", "cat /data/x"},
			ExecResult: ExecResult{ExitCode: code, Stdout: []byte(stdout), Stderr: []byte(stderr)},
		}
	}
	success := func(r *CommandResult) error { return r.ExpectSuccess() }
	failure := func(r *CommandResult) error { return r.ExpectFailure() }
	output := func(want string) func(*CommandResult) error {
		return func(r *CommandResult) error { return r.ExpectOutput(want) }
	}
	contains := func(part string) func(*CommandResult) error {
		return func(r *CommandResult) error { return r.ExpectOutputContains(part) }
	}

	tests := []struct {
		name     string
		r        *CommandResult
		expect   func(*CommandResult) error
		ok       bool
		mentions []string // parts of the finding besides the command and container
		absent   []string
	}{
		{"success on exit 0", result(0, "", ""), success, true, nil, nil},
		{"success on exit 1", result(1, "", "cat: /data/x: No such file\n"), success, false,
			[]string{"exited 1, expected success", "stderr", "cat: /data/x: No such file"}, nil},
		{"success on exit 137 without stderr", result(137, "", ""), success, false,
			[]string{"exited 137"}, []string{"stderr"}},
		{"stderr of blanks only is not quoted", result(2, "", " \n\t"), success, false,
			[]string{"exited 2"}, []string{"stderr"}},
		{"failure on exit 2", result(2, "", ""), failure, true, nil, nil},
		{"failure on exit 0", result(0, "hello\n", ""), failure, false,
			[]string{"succeeded, expected it to fail"}, nil},
		{"failure on exit 0 with stderr", result(0, "", "warning: deprecated\n"), failure, false,
			[]string{"succeeded", "warning: deprecated"}, nil},
		{"output trimmed", result(0, "  hello world \n", ""), output("hello world"), true, nil, nil},
		{"output ignores the exit code", result(3, "hello\n", ""), output("hello"), true, nil, nil},
		{"output differs", result(0, "hello\n", ""), output("bye"), false,
			[]string{`printed "hello", expected "bye"`}, nil},
		{"output is not a prefix match", result(0, "hello world\n", ""), output("hello"), false,
			[]string{`expected "hello"`}, nil},
		{"output differs, with stderr", result(0, "", "oops\n"), output("x"), false,
			[]string{`printed "", expected "x"`, "oops"}, nil},
		{"inner blanks count", result(0, "a  b", ""), output("a b"), false, nil, nil},
		{"contains", result(0, "line1\nready: yes\nline3\n", ""), contains("ready: yes"), true, nil, nil},
		{"contains across a newline", result(0, "a\nb", ""), contains("a\nb"), true, nil, nil},
		{"contains empty", result(0, "", ""), contains(""), true, nil, nil},
		{"does not contain", result(0, "ready: no\n", ""), contains("ready: yes"), false,
			[]string{`printed "ready: no", expected it to contain "ready: yes"`}, nil},
		{"does not contain, with stderr", result(1, "", "denied\n"), contains("x"), false,
			[]string{"denied"}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.expect(tt.r)
			if tt.ok {
				if err != nil {
					t.Errorf("got %v, want nil", err)
				}
				return
			}
			if err == nil {
				t.Fatalf("got nil, want a finding")
			}
			if KindOf(err) != Finding {
				t.Errorf("kind = %v, want %v", KindOf(err), Finding)
			}
			msg := err.Error()
			for _, part := range append([]string{`command sh -c "cat /data/x" in "app"`}, tt.mentions...) {
				if !strings.Contains(msg, part) {
					t.Errorf("message %q does not mention %q", msg, part)
				}
			}
			for _, part := range tt.absent {
				if strings.Contains(msg, part) {
					t.Errorf("message %q has %q", msg, part)
				}
			}
		})
	}
}

func TestCommandResultOutput(t *testing.T) {
	r := &CommandResult{ExecResult: ExecResult{Stdout: []byte("\n  42 \n\n")}}
	if got := r.Output(); got != "42" {
		t.Errorf("Output() = %q, want %q", got, "42")
	}
}

func TestIndent(t *testing.T) {
	if got, want := indent("a\nb\n"), "    a\n    b"; got != want {
		t.Errorf("indent = %q, want %q", got, want)
	}
}
