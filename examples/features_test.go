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

// underLoad is the deadline of each operation here: make test runs the
// other packages beside these, and a psql exec that takes 0.25 s alone
// took up to 1.5 s then, too slow for the default minute to see 50 rows.
const underLoad = 3 * time.Minute

// The examples' features pass: what each database's settings promise, it
// keeps. One database at a time, each with its scenarios side by side:
// running databases side by side too was measured slower in make test,
// where the engine's CPU is already saturated.
func TestFeatures(t *testing.T) {
	ensure(t)
	for _, db := range []string{"postgres", "mariadb", "redis", "sqlite"} {
		t.Run(db, func(t *testing.T) { persistcheck.Run(t, db, persistcheck.Timeout(underLoad)) })
	}
}

// The release gate, run as a release would run it, with the built-in image
// as the candidate (and, PREVIOUS_IMAGE unset, as the release it upgrades).
func TestReleaseGate(t *testing.T) {
	t.Setenv("APP_IMAGE", "persistcheck/app")
	t.Setenv("APP_DATA", "/data")
	persistcheck.Run(t, "release-gate")
}

// Negative controls on real databases: false durability claims fail, with
// the lost numbers named and counted. Each is a run of its own.
func TestFalseDurabilityClaimsFail(t *testing.T) {
	ensure(t)
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
		{"redis with snapshots only keeps its keys through a kill", `Feature: false
  Scenario: snapshots only
    Given a volume "data"
    And a container "cache" from image "persistcheck/redis:7"
    And "cache" mounts volume "data" at "/data"
    And "cache" runs "redis-server --appendonly no --save '3600 1'"
    And "cache" is ready when healthy
    When the container "cache" is started
    And "cache" starts running "redis-cli SET k{n} v{n}" for n from 1 upward
    And "cache" has acknowledged at least 100 records
    And I kill the container "cache"
    And I start the container "cache"
    Then every acknowledged n is listed by "redis-cli --scan --pattern k*" in "cache"
`, `acknowledged n are missing from redis-cli --scan --pattern k* in "cache"`},
		{"postgres without a named volume keeps its rows through a recreate", `Feature: false
  Scenario: the anonymous VOLUME
    Given a container "db" from image "persistcheck/postgres:15"
    And "db" is ready when healthy
    And "db" may take "2m" to become ready
    When the container "db" is started
    And I run "psql -c 'CREATE TABLE t (n int)'" in "db"
    And I run "psql -c 'INSERT INTO t VALUES ({n})'" in "db" for n from 1 to 50
    And I recreate the container "db"
    Then every acknowledged n is listed by "psql -Atc 'SELECT n FROM t'" in "db"
`, `the listing psql -Atc "SELECT n FROM t" in "db" exited 1, so it lists nothing of the 50 acknowledged`},
		{"redis with appendfsync no keeps its keys through a power cut", `Feature: false
  Scenario: appendfsync no
    Given a power-loss volume "data"
    And a container "cache" from image "persistcheck/redis:7"
    And "cache" mounts volume "data" at "/data"
    And "cache" runs "redis-server --appendonly yes --appendfsync no"
    And "cache" is ready when healthy
    When the container "cache" is started
    And "cache" starts running "redis-cli SET k{n} v{n}" for n from 1 upward
    And "cache" has acknowledged at least 200 records
    And I cut the power to "cache"
    And I start the container "cache"
    Then every acknowledged n is listed by "redis-cli --scan --pattern k*" in "cache"
`, ""},
		{"sqlite with synchronous=OFF keeps its rows through a power cut", `Feature: false
  Scenario: synchronous off
    Given a power-loss volume "data"
    And a container "app" from image "persistcheck/sqlite:3"
    And "app" mounts volume "data" at "/data"
    And "app" is ready when healthy
    When the container "app" is started
    And I run "sqlite3 /data/db 'PRAGMA journal_mode=WAL; CREATE TABLE t (n INTEGER)'" in "app"
    And "app" starts running "sqlite3 /data/db 'PRAGMA synchronous=OFF; INSERT INTO t VALUES ({n})'" for n from 1 upward
    And "app" has acknowledged at least 200 records
    And I cut the power to "app"
    And I start the container "app"
    Then every acknowledged n is listed by "sqlite3 /data/db 'SELECT n FROM t'" in "app"
`, ""},
		{"postgres with fsync=off keeps its rows through a power cut", `Feature: false
  Scenario: fsync off
    Given a power-loss volume "pg"
    And a container "db" from image "persistcheck/postgres:15"
    And "db" mounts volume "pg" at "/var/lib/postgresql/pl"
    And "db" has environment "PGDATA=/var/lib/postgresql/pl/data"
    And "db" runs "postgres -c fsync=off"
    And "db" is ready when healthy
    And "db" may take "2m" to become ready
    When the container "db" is started
    And I run "psql -c 'CREATE TABLE t (n int)'" in "db"
    And "db" starts running "psql -c 'INSERT INTO t VALUES ({n})'" for n from 1 upward
    And "db" has acknowledged at least 50 records
    And I cut the power to "db"
    And I start the container "db"
    Then every acknowledged n is listed by "psql -Atc 'SELECT n FROM t'" in "db"
`, ""},
	} {
		t.Run(c.name, func(t *testing.T) {
			dir := t.TempDir()
			f := filepath.Join(dir, "false.feature")
			if err := os.WriteFile(f, []byte(c.feature), 0o644); err != nil {
				t.Fatal(err)
			}
			var out, errOut bytes.Buffer
			res := persistcheck.Execute(context.Background(), persistcheck.Options{
				Paths: []string{f}, Formats: []string{"progress"}, Stdout: &out, Stderr: &errOut, Timeout: underLoad,
			})
			if res.Code != persistcheck.ExitFailed {
				t.Fatalf("exit %d, want 1 (a finding)\n%s\n%s", res.Code, out.String(), errOut.String())
			}
			text := out.String()
			for _, line := range strings.Split(text, "\n") {
				if strings.Contains(line, "acknowledged n are missing") || strings.Contains(line, "lists nothing") ||
					strings.Contains(line, "instead of running") || strings.Contains(line, "instead of ready") {
					t.Log(strings.TrimSpace(line)) // what was lost, measured
					break
				}
			}
			if c.want == "" {
				return // a finding, whatever it is: the claim is false
			}
			if !strings.Contains(text, c.want) {
				t.Errorf("the report lacks %q:\n%s", c.want, text)
			}
			if strings.Contains(c.want, "exited") {
				return // the listing failed: the table is gone, and all with it
			}
			m := regexp.MustCompile(`(\d+) of (\d+) acknowledged n are missing`).FindStringSubmatch(text)
			h := regexp.MustCompile(`attempted \d+, acknowledged (\d+) \(`).FindStringSubmatch(text)
			if m == nil || h == nil || m[1] != m[2] || m[2] != h[1] {
				t.Errorf("want every acknowledged n counted missing, as many as the history acknowledged:\n%s", text)
			}
		})
	}
}
