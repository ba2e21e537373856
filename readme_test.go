package persistcheck

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// The README's example for Go users compiles as written, imports included,
// in a module of its own that uses this one.
func TestREADMEGoExampleCompiles(t *testing.T) {
	readme, err := os.ReadFile("README.md")
	if err != nil {
		t.Fatal(err)
	}
	blocks := regexp.MustCompile("(?s)```go\n(.*?)```").FindAllStringSubmatch(string(readme), -1)
	var example string
	for _, b := range blocks {
		if strings.Contains(b[1], "persistcheck.Run(t,") {
			example = b[1]
		}
	}
	if example == "" || !strings.HasPrefix(example, "package ") {
		t.Fatalf("the README has no complete Go example calling persistcheck.Run (package clause, imports and all)")
	}
	if testing.Short() {
		t.Skip("compiling a module of its own takes seconds")
	}
	root, err := filepath.Abs(".")
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	gosum, err := os.ReadFile("go.sum")
	if err != nil {
		t.Fatal(err)
	}
	goVersion := regexp.MustCompile(`(?m)^go (\S+)`).FindStringSubmatch(string(must(os.ReadFile("go.mod"))))[1]
	files := map[string]string{
		"go.mod":              "module example.com/myservice\n\ngo " + goVersion + "\n\nrequire github.com/persistcheck/persistcheck v0.0.0\n\nreplace github.com/persistcheck/persistcheck => " + root + "\n",
		"go.sum":              string(gosum),
		"persistence_test.go": example,
	}
	for name, content := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	cmd := exec.Command("go", "vet", "./...")
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "GOFLAGS=-mod=mod", "GOWORK=off")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Errorf("the README's Go example does not compile: %v\n%s\n%s", err, out, example)
	}
}

func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}
