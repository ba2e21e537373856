package harness

import (
	"reflect"
	"strings"
	"testing"
)

// env is a lookup over a fixed set of variables, some of them set but empty.
func env(vars map[string]string) func(string) (string, bool) {
	return func(name string) (string, bool) {
		v, ok := vars[name]
		return v, ok
	}
}

func TestExpand(t *testing.T) {
	lookup := env(map[string]string{"HOST": "db", "PORT": "5432", "EMPTY": "", "_X1": "u"})
	tests := []struct {
		name string
		in   string
		want string
	}{
		{"no variables", "plain text", "plain text"},
		{"braced variable", "${HOST}", "db"},
		{"variables within text", "postgres://${HOST}:${PORT}/x", "postgres://db:5432/x"},
		{"underscore and digits in a name", "${_X1}", "u"},
		{"set variable ignores its default", "${HOST:-other}", "db"},
		{"set but empty variable takes the default", "${EMPTY:-fallback}", "fallback"},
		{"set but empty variable without default is empty", "[${EMPTY}]", "[]"},
		{"unset variable takes the default", "${NOPE:-fallback}", "fallback"},
		{"unset variable takes an empty default", "[${NOPE:-}]", "[]"},
		{"default may hold blanks and colons", "${NOPE:-a b:c}", "a b:c"},
		{"unbraced loop variable stays", "for i in 1 2; do echo $i; done", "for i in 1 2; do echo $i; done"},
		{"unbraced set variable stays", "$HOST", "$HOST"},
		{"lone dollar stays", "cost: 5$", "cost: 5$"},
		{"escaped brace is literal", "$${X}", "${X}"},
		{"escaped brace of a set variable is literal", "a $${HOST} b ${HOST}", "a ${HOST} b db"},
		{"escaped brace without a closing brace", "echo $${", "echo ${"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Expand(tt.in, lookup)
			if err != nil {
				t.Fatalf("Expand(%q) error: %v", tt.in, err)
			}
			if got != tt.want {
				t.Errorf("Expand(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

func TestExpandErrors(t *testing.T) {
	lookup := env(map[string]string{"HOST": "db"})
	tests := []struct {
		name     string
		in       string
		mentions []string // parts the message must have
	}{
		{"unset without default", "connect ${DB_PASSWORD} now", []string{"DB_PASSWORD", "not set"}},
		{"unset after a set one", "${HOST}:${PORT}", []string{"PORT"}},
		{"unterminated", "echo ${HOST", []string{"unterminated"}},
		{"unterminated after an expansion", "${HOST} ${", []string{"unterminated"}},
		{"name starting with a digit", "${1A}", []string{"bad variable ${1A}"}},
		{"name starting with a digit, with default", "${1A:-x}", []string{"bad variable ${1A:-x}"}},
		{"empty name", "${}", []string{"bad variable"}},
		{"empty name with default", "${:-x}", []string{"bad variable"}},
		{"name with a dash", "${A-B}", []string{"bad variable ${A-B}"}},
		{"name with a blank", "${A B}", []string{"bad variable ${A B}"}},
		{"name with a dot", "${A.B}", []string{"bad variable ${A.B}"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Expand(tt.in, lookup)
			if err == nil {
				t.Fatalf("Expand(%q) = %q, want an error", tt.in, got)
			}
			if k := KindOf(err); k != Invalid {
				t.Errorf("Expand(%q) error kind = %v, want %v (%v)", tt.in, k, Invalid, err)
			}
			for _, part := range tt.mentions {
				if !strings.Contains(err.Error(), part) {
					t.Errorf("Expand(%q) error %q does not mention %q", tt.in, err, part)
				}
			}
		})
	}
}

func TestExpandLooksUpOnlyBracedNames(t *testing.T) {
	var asked []string
	lookup := func(name string) (string, bool) {
		asked = append(asked, name)
		return "v", true
	}
	if _, err := Expand("$A ${B} $${C} ${D:-d}", lookup); err != nil {
		t.Fatal(err)
	}
	if want := []string{"B", "D"}; !reflect.DeepEqual(asked, want) {
		t.Errorf("looked up %q, want %q", asked, want)
	}
}

func TestSplitCommand(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want []string
	}{
		{"one word", "ls", []string{"ls"}},
		{"blanks separate", "ls -l /data", []string{"ls", "-l", "/data"}},
		{"runs of blanks and tabs", "  ls \t -l\t\t/data  ", []string{"ls", "-l", "/data"}},
		{"newline separates", "a\nb", []string{"a", "b"}},
		{"single quotes keep blanks", "echo 'a  b'", []string{"echo", "a  b"}},
		{"single quotes keep everything literally", `echo '\n $HOME "x" \'`, []string{"echo", `\n $HOME "x" \`}},
		{"double quotes keep blanks", `echo "a  b"`, []string{"echo", "a  b"}},
		{"double quotes honour escaped quote", `echo "say \"hi\""`, []string{"echo", `say "hi"`}},
		{"double quotes honour escaped backslash", `echo "a\\b"`, []string{"echo", `a\b`}},
		{"double quotes honour escaped dollar", `echo "\$HOME"`, []string{"echo", "$HOME"}},
		{"double quotes honour escaped backquote", "echo \"\\`x\\`\"", []string{"echo", "`x`"}},
		{"double quotes keep other backslashes", `echo "a\nb\tc"`, []string{"echo", `a\nb\tc`}},
		{"double quotes keep single quotes", `echo "it's"`, []string{"echo", "it's"}},
		{"single quotes keep double quotes", `echo 'say "hi"'`, []string{"echo", `say "hi"`}},
		{"backslash escapes a blank", `touch a\ b`, []string{"touch", "a b"}},
		{"backslash escapes a quote", `echo \'x\"`, []string{"echo", `'x"`}},
		{"backslash escapes a backslash", `echo a\\b`, []string{"echo", `a\b`}},
		{"backslash before a letter drops", `echo \n`, []string{"echo", "n"}},
		{"empty single-quoted word", "printf '' x", []string{"printf", "", "x"}},
		{"empty double-quoted word", `printf "" x`, []string{"printf", "", "x"}},
		{"empty word at the end", "a ''", []string{"a", ""}},
		{"adjacent quoted parts join", `a'b'"c"`, []string{"abc"}},
		{"quoted part inside a word", `--name="my app" x`, []string{"--name=my app", "x"}},
		{"dollar is not expanded", "sh -c 'echo $1' ${X}", []string{"sh", "-c", "echo $1", "${X}"}},
		{"no globbing or redirection", "ls * > out", []string{"ls", "*", ">", "out"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := SplitCommand(tt.in)
			if err != nil {
				t.Fatalf("SplitCommand(%q) error: %v", tt.in, err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("SplitCommand(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

func TestSplitCommandErrors(t *testing.T) {
	tests := []struct {
		name    string
		in      string
		mention string
	}{
		{"unterminated single quote", "echo 'abc", "unterminated '"},
		{"unterminated double quote", `echo "abc`, `unterminated "`},
		{"escaped closing double quote", `echo "abc\"`, `unterminated "`},
		{"trailing lone backslash", `echo abc\`, "lone backslash"},
		{"lone backslash only", `\`, "lone backslash"},
		{"empty line", "", "empty command"},
		{"blank line", " \t \n", "empty command"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := SplitCommand(tt.in)
			if err == nil {
				t.Fatalf("SplitCommand(%q) = %q, want an error", tt.in, got)
			}
			if k := KindOf(err); k != Invalid {
				t.Errorf("SplitCommand(%q) error kind = %v, want %v (%v)", tt.in, k, Invalid, err)
			}
			if !strings.Contains(err.Error(), tt.mention) {
				t.Errorf("SplitCommand(%q) error %q does not mention %q", tt.in, err, tt.mention)
			}
		})
	}
}

func TestQuoteCommand(t *testing.T) {
	tests := []struct {
		argv []string
		want string
	}{
		{[]string{"ls", "-l"}, "ls -l"},
		{[]string{"echo", "a b"}, `echo "a b"`},
		{[]string{"printf", ""}, `printf ""`},
		{[]string{"echo", `say "hi"`}, `echo "say \"hi\""`},
		{[]string{"echo", "$HOME"}, `echo "$HOME"`},
	}
	for _, tt := range tests {
		if got := quoteCommand(tt.argv); got != tt.want {
			t.Errorf("quoteCommand(%q) = %q, want %q", tt.argv, got, tt.want)
		}
	}
}

func TestExpandNestedDefault(t *testing.T) {
	lookup := func(k string) (string, bool) {
		v, ok := map[string]string{"APP_IMAGE": "myapp:2"}[k]
		return v, ok
	}
	for in, want := range map[string]string{
		"${PREVIOUS:-${APP_IMAGE}}":     "myapp:2",
		"${APP_IMAGE:-${PREVIOUS}}":     "myapp:2",
		"x${PREVIOUS:-a${APP_IMAGE}b}y": "xamyapp:2by",
	} {
		if got, err := Expand(in, lookup); err != nil || got != want {
			t.Errorf("Expand(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	if _, err := Expand("${PREVIOUS:-${MISSING}}", lookup); err == nil {
		t.Error("a default naming an unset variable expanded")
	}
}
