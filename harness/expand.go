package harness

import (
	"fmt"
	"strings"
)

// Expand replaces ${NAME} and ${NAME:-default} in s with values from lookup.
// Only the braced form is expanded, so `$i` in a shell command stays as it is;
// `$${` stands for a literal `${`. An unset variable without a default is an
// Invalid error that names it.
func Expand(s string, lookup func(string) (string, bool)) (string, error) {
	var out strings.Builder
	for {
		i := strings.Index(s, "${")
		if i < 0 {
			out.WriteString(s)
			return out.String(), nil
		}
		if i > 0 && s[i-1] == '$' {
			out.WriteString(s[:i]) // the first `$` of `$${` is the escape
			out.WriteString("{")
			s = s[i+2:]
			continue
		}
		out.WriteString(s[:i])
		end := closing(s[i:])
		if end < 0 {
			return "", Errorf(Invalid, "unterminated ${ in %q: close it with }, or write $${ for a literal ${", s)
		}
		expr := s[i+2 : i+end]
		name, fallback, hasDefault := strings.Cut(expr, ":-")
		if !isVarName(name) {
			return "", Errorf(Invalid, "bad variable ${%s}: a name is letters, digits and _, not starting with a digit", expr)
		}
		value, ok := lookup(name)
		switch {
		case ok && (value != "" || !hasDefault):
			out.WriteString(value)
		case hasDefault:
			v, err := Expand(fallback, lookup) // a default may name a variable too
			if err != nil {
				return "", err
			}
			out.WriteString(v)
		default:
			return "", Errorf(Invalid, "variable %s is not set: export it, or give a default as ${%s:-value}", name, name)
		}
		s = s[i+end+1:]
	}
}

// closing returns the index of the } that closes the ${ s starts with,
// past any ${...} nested in a default; -1 if none does.
func closing(s string) int {
	depth := 0
	for i := 0; i < len(s); i++ {
		switch {
		case strings.HasPrefix(s[i:], "${"):
			depth++
			i++
		case s[i] == '}':
			depth--
			if depth == 0 {
				return i
			}
		}
	}
	return -1
}

func isVarName(s string) bool {
	if s == "" {
		return false
	}
	for i, r := range s {
		letter := r == '_' || 'a' <= r && r <= 'z' || 'A' <= r && r <= 'Z'
		if !letter && (i == 0 || r < '0' || r > '9') {
			return false
		}
	}
	return true
}

// SplitCommand splits a command line into words the way a POSIX shell would,
// without running one: blanks separate words, single quotes keep everything
// literally, double quotes keep blanks and honour \" \\ \$ and \`, and a
// backslash outside quotes escapes the next character. There is no expansion,
// globbing or redirection.
func SplitCommand(line string) ([]string, error) {
	var (
		words   []string
		word    strings.Builder
		inWord  bool
		quote   rune // 0, '\'' or '"'
		escaped bool
	)
	for _, r := range line {
		switch {
		case escaped:
			if quote == '"' && !strings.ContainsRune("\"\\$`", r) {
				word.WriteRune('\\')
			}
			word.WriteRune(r)
			escaped = false
		case r == '\\' && quote != '\'':
			escaped, inWord = true, true
		case quote != 0 && r == quote:
			quote = 0
		case quote != 0:
			word.WriteRune(r)
		case r == '\'' || r == '"':
			quote, inWord = r, true
		case r == ' ' || r == '\t' || r == '\n':
			if inWord {
				words = append(words, word.String())
				word.Reset()
				inWord = false
			}
		default:
			word.WriteRune(r)
			inWord = true
		}
	}
	switch {
	case quote != 0:
		return nil, Errorf(Invalid, "unterminated %c quote in command %q", quote, line)
	case escaped:
		return nil, Errorf(Invalid, "command %q ends with a lone backslash", line)
	}
	if inWord {
		words = append(words, word.String())
	}
	if len(words) == 0 {
		return nil, Errorf(Invalid, "empty command")
	}
	return words, nil
}

// quoteCommand renders argv for messages, quoting words that need it.
func quoteCommand(argv []string) string {
	parts := make([]string, len(argv))
	for i, a := range argv {
		if a == "" || strings.ContainsAny(a, " \t\n'\"\\$`") {
			a = fmt.Sprintf("%q", a)
		}
		parts[i] = a
	}
	return strings.Join(parts, " ")
}
