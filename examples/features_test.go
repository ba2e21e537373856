package examples_test

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/persistcheck/persistcheck"
	"github.com/persistcheck/persistcheck/examples"
	"github.com/persistcheck/persistcheck/harness/docker"
)

// ensure builds the images named, once per test binary.
func ensure(t *testing.T, names ...string) {
	t.Helper()
	if testing.Short() {
		t.Skip("builds Debian and database images on the engine, minutes the first time: not with -short")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Minute)
	defer cancel()
	eng, err := docker.New(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer eng.Close()
	var log bytes.Buffer
	if err := examples.Ensure(ctx, eng, &log, names...); err != nil {
		t.Fatalf("%v\n%s", err, log.String())
	}
}

// The examples' features pass: what each database's settings promise, it
// keeps.
func TestFeatures(t *testing.T) {
	ensure(t, "redis")
	persistcheck.Run(t, "redis")
}

// Negative controls on real databases: false durability claims fail, with
// the lost numbers named and counted.
func TestFalseDurabilityClaimsFail(t *testing.T) {
	ensure(t, "redis")
	for _, c := range []struct {
		name, feature, want string
	}{
		{"redis without persistence keeps its keys through a kill", `Feature: false
  Scenario: no persistence
    Given a container "cache" from image "persistcheck/redis:7"
    And "cache" runs "redis-server --save '' --appendonly no"
    And "cache" is ready when healthy
    When the container "cache" is started
    And "cache" starts running "redis-cli SET k{n} v{n}" for n from 1 upward
    And "cache" has acknowledged at least 100 records
    And I kill the container "cache"
    And I start the container "cache"
    Then every acknowledged n is listed by "redis-cli --scan --pattern k*" in "cache"
`, `acknowledged n are missing from redis-cli --scan --pattern k* in "cache"`},
	} {
		t.Run(c.name, func(t *testing.T) {
			dir := t.TempDir()
			f := filepath.Join(dir, "false.feature")
			if err := os.WriteFile(f, []byte(c.feature), 0o644); err != nil {
				t.Fatal(err)
			}
			var out, errOut bytes.Buffer
			res := persistcheck.Execute(context.Background(), persistcheck.Options{
				Paths: []string{f}, Formats: []string{"progress"}, Stdout: &out, Stderr: &errOut,
			})
			if res.Code != persistcheck.ExitFailed {
				t.Fatalf("exit %d, want 1 (a finding)\n%s\n%s", res.Code, out.String(), errOut.String())
			}
			text := out.String()
			if !strings.Contains(text, c.want) {
				t.Errorf("the report lacks %q:\n%s", c.want, text)
			}
			m := regexp.MustCompile(`(\d+) of (\d+) acknowledged n are missing`).FindStringSubmatch(text)
			h := regexp.MustCompile(`attempted \d+, acknowledged (\d+) \(`).FindStringSubmatch(text)
			if m == nil || h == nil || m[1] != m[2] || m[2] != h[1] {
				t.Errorf("want every acknowledged n counted missing, as many as the history acknowledged:\n%s", text)
			}
		})
	}
}
