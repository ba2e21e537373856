package powerloss

import (
	"os/exec"
	"strings"
	"testing"
)

// TestSQLite runs a real application through a volume: SQLite in WAL mode,
// whose -shm file is a shared writable mapping. Commits made with
// synchronous=FULL survive a cut, those made with synchronous=OFF do not,
// and the database is intact either way.
func TestSQLite(t *testing.T) {
	if err := exec.Command("python3", "-c", "import sqlite3").Run(); err != nil {
		t.Skipf("no python3 with sqlite3 here: %v", err)
	}
	for _, strict := range []bool{false, true} {
		v := mountT(t, Options{Strict: strict})
		db := v.Path() + "/app.db"
		const write = `
import sqlite3, sys
db = sqlite3.connect(sys.argv[1])
db.execute("pragma journal_mode=wal")
db.execute("pragma synchronous=full")
db.execute("create table t (x)")
db.commit()
for i in range(50):
    db.execute("insert into t values (?)", (i,))
    db.commit()
db.execute("pragma synchronous=off")
for i in range(50, 80):
    db.execute("insert into t values (?)", (i,))
    db.commit()
print(db.execute("select count(*) from t").fetchone()[0])
`
		out, err := exec.Command("python3", "-c", write, db).CombinedOutput()
		if err != nil || strings.TrimSpace(string(out)) != "80" {
			t.Fatalf("strict=%v: writing the database: %v: %s", strict, err, out)
		}
		rep := cut(t, v, false)
		const check = `
import sqlite3, sys
db = sqlite3.connect(sys.argv[1])
print(db.execute("pragma integrity_check").fetchone()[0], db.execute("select count(*) from t").fetchone()[0])
`
		out, err = exec.Command("python3", "-c", check, db).CombinedOutput()
		if got := strings.TrimSpace(string(out)); err != nil || got != "ok 50" {
			t.Errorf("strict=%v: after the cut the database says %q (%v), want ok and the 50 rows committed with synchronous=FULL (cut: %v)", strict, got, err, rep)
		}
	}
}
