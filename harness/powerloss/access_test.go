package powerloss

import (
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"
)

// asUser runs a shell command as uid and gid, as a container's process of
// another user would reach the volume, and returns its output.
func asUser(t *testing.T, uid, gid uint32, script string) (string, error) {
	t.Helper()
	cmd := exec.Command("/bin/sh", "-c", script)
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: uid, Gid: gid}}
	cmd.Dir = "/"
	out, err := cmd.CombinedOutput()
	return strings.TrimSpace(string(out)), err
}

// TestOtherUser: root hands a folder to uid 999, as a PostgreSQL
// entrypoint does before initdb; that user then works in it, and the
// permission bits hold against it elsewhere.
func TestOtherUser(t *testing.T) {
	v := mountT(t, Options{})
	x := fsx{t, v.Path()}
	openToOthers(t, v.Path())
	x.mkdir("pgdata")
	x.must(os.Chown(x.p("pgdata"), 999, 999))
	x.must(os.Chmod(x.p("pgdata"), 0o700))
	x.fsync(".")

	out, err := asUser(t, 999, 999, "cd "+x.p("pgdata")+" && echo row > table && mkdir base && ln -s table link && cat link")
	if err != nil || out != "row" {
		t.Fatalf("uid 999 could not work in its folder: %v: %s", err, out)
	}
	if out, err := asUser(t, 999, 999, "echo x > "+x.p("forbidden")); err == nil {
		t.Errorf("uid 999 wrote into a folder of root's with mode 0755: %s", out)
	}
	if out, err := asUser(t, 1000, 1000, "ls "+x.p("pgdata")); err == nil {
		t.Errorf("uid 1000 listed a folder of uid 999's with mode 0700: %s", out)
	}
	var st syscall.Stat_t
	x.must(syscall.Stat(x.p("pgdata/table"), &st))
	if st.Uid != 999 || st.Gid != 999 {
		t.Errorf("a file uid 999 made is owned by %d:%d", st.Uid, st.Gid)
	}
	// Root may do anything, as root in a container may.
	x.write("pgdata/by-root", "r", false)
}

// TestAttributesAreMetadata: chown and chmod become durable with the next
// commit, not before.
func TestAttributesAreMetadata(t *testing.T) {
	for _, commit := range []bool{false, true} {
		v := mountT(t, Options{})
		x := fsx{t, v.Path()}
		x.write("f", "data", true)
		x.must(os.Chown(x.p("f"), 999, 998))
		x.must(os.Chmod(x.p("f"), 0o600))
		if commit {
			x.write("other", "", true)
		}
		cut(t, v, false)
		var st syscall.Stat_t
		x.must(syscall.Stat(x.p("f"), &st))
		got := [3]uint32{st.Uid, st.Gid, st.Mode & 0o7777}
		want := [3]uint32{0, 0, 0o644}
		if commit {
			want = [3]uint32{999, 998, 0o600}
		}
		if got != want {
			t.Errorf("committed=%v: owner and mode after the cut %v, want %v", commit, got, want)
		}
	}
}

// TestSetGID: a folder with the set-group-ID bit hands its group to what
// is made in it, and the bit to new folders, as on a local file system.
func TestSetGID(t *testing.T) {
	v := mountT(t, Options{})
	x := fsx{t, v.Path()}
	x.mkdir("shared")
	x.must(os.Chown(x.p("shared"), 0, 50))
	x.must(syscall.Chmod(x.p("shared"), 0o2775)) // os.Chmod would drop the bit
	x.write("shared/f", "", false)
	x.mkdir("shared/d")
	var f, d syscall.Stat_t
	x.must(syscall.Stat(x.p("shared/f"), &f))
	x.must(syscall.Stat(x.p("shared/d"), &d))
	if f.Gid != 50 || d.Gid != 50 || d.Mode&syscall.S_ISGID == 0 {
		t.Errorf("file group %d, folder group %d and mode %o; want group 50 and the bit on the folder", f.Gid, d.Gid, d.Mode)
	}
}
