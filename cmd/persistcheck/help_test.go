package main

import (
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// --help and the README say the same of this version: the same commands,
// and the same flags of run.
func TestHelpAndREADMEAgree(t *testing.T) {
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	_, help, _ := run(t, "--help")
	for _, line := range regexp.MustCompile(`(?m)^  (persistcheck \S+ .*?)\s{2,}\S`).FindAllStringSubmatch(help, -1) {
		if !strings.Contains(string(readme), line[1]) {
			t.Errorf("--help lists %q, the README does not", line[1])
		}
	}
	_, _, runHelp := run(t, "run", "-h")
	var helpFlags, readmeFlags []string
	for _, m := range regexp.MustCompile(`(?m)^  -(\S+)`).FindAllStringSubmatch(runHelp, -1) {
		helpFlags = append(helpFlags, m[1])
	}
	for _, m := range regexp.MustCompile("(?m)^\\| `--?([a-z-]+)[^`]*` \\|").FindAllStringSubmatch(string(readme), -1) {
		readmeFlags = append(readmeFlags, m[1])
	}
	slices.Sort(helpFlags)
	slices.Sort(readmeFlags)
	if !slices.Equal(helpFlags, readmeFlags) {
		t.Errorf("run -h has the flags %v, the README's table %v", helpFlags, readmeFlags)
	}
}
