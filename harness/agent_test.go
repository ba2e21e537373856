package harness

import (
	"reflect"
	"strings"
	"testing"
)

// The agent's answers are its protocol: these tests feed the container the
// agent's JSON as literal text, so that a renamed field fails them.
func TestReadAgentAnswers(t *testing.T) {
	abc := "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad" // sha256("abc")
	tests := []struct {
		name     string
		answer   ExecResult
		want     File
		wantKind Kind // of the error; Unknown for none
		wantErr  string
	}{
		{"a file", ExecResult{Stdout: []byte(`{"path":"/data/s1","exists":true,"kind":"file","size":3,"sha256":"` + abc + `","data":"YWJj"}` + "\n")},
			File{Exists: true, Kind: "file", Data: []byte("abc")}, Unknown, ""},
		{"nothing", ExecResult{Stdout: []byte(`{"exists":false}`)}, File{}, Unknown, ""},
		{"a folder", ExecResult{Stdout: []byte(`{"exists":true,"kind":"folder","size":4096}`)}, File{Exists: true, Kind: "folder"}, Unknown, ""},
		{"bytes lost on the way", ExecResult{Stdout: []byte(`{"exists":true,"kind":"file","size":3,"sha256":"` + abc + `","data":"YWI="}`)},
			File{}, Infrastructure, "sha256 mismatch"},
		{"not JSON", ExecResult{Stdout: []byte("Segmentation fault\n")}, File{}, Infrastructure, `answered "Segmentation fault\n"`},
		{"storage refused", ExecResult{ExitCode: 1, Stderr: []byte("persistcheck-agent: read /data/s1: input/output error\n")},
			File{}, Finding, "read /data/s1: input/output error"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fake, _, s := newScenario(t)
			id := launchRunning(t, s, map[string][]Mount{"app": nil})["app"]
			fake.answers["read "+fileKey(id, "/data/s1")] = tt.answer
			c, _ := s.Container("app")
			got, err := c.read(t.Context(), c.spotOf("/data/s1"))
			if tt.wantErr == "" {
				must(t, err)
				if len(got) != 1 || !reflect.DeepEqual(got[0].File, tt.want) || got[0].how != "" {
					t.Errorf("read = %+v; want %+v", got, tt.want)
				}
				return
			}
			if err == nil {
				t.Fatalf("read = %+v, want an error", got)
			}
			if KindOf(err) != tt.wantKind || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("read error = %v (kind %v), want %v with %q", err, KindOf(err), tt.wantKind, tt.wantErr)
			}
			if strings.Contains(err.Error(), "persistcheck-agent:") {
				t.Errorf("read error %q keeps the agent's prefix", err)
			}
		})
	}
}

func TestWriteAgentAnswerChecked(t *testing.T) {
	tests := []struct {
		name     string
		answer   ExecResult
		wantKind Kind
		wantErr  string
	}{
		{"wrong size and checksum", ExecResult{Stdout: []byte(`{"size":3,"sha256":"abc"}`)}, Infrastructure, "wrote 3 bytes with sha256 abc"},
		{"nothing written", ExecResult{Stdout: []byte(`{}`)}, Infrastructure, "wrote 0 bytes"},
		{"storage full", ExecResult{ExitCode: 1, Stderr: []byte("persistcheck-agent: write /data/s1: no space left on device\n")}, Finding, "no space left on device"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fake, _, s := newScenario(t)
			id := launchRunning(t, s, map[string][]Mount{"app": nil})["app"]
			fake.answers["write "+fileKey(id, "/data/s1")] = tt.answer
			err := s.WriteSentinels(t.Context(), "app", SentinelAt{"s1", "/data/s1"})
			if err == nil {
				t.Fatal("WriteSentinels succeeded, want an error")
			}
			if KindOf(err) != tt.wantKind || !strings.Contains(err.Error(), tt.wantErr) || !strings.Contains(err.Error(), `write sentinel "s1" to /data/s1 in "app"`) {
				t.Errorf("WriteSentinels error = %v (kind %v), want %v with %q", err, KindOf(err), tt.wantKind, tt.wantErr)
			}
			if _, ok := s.sentinels["s1"]; ok {
				t.Errorf("a sentinel whose write failed was recorded")
			}
		})
	}
}

// One run of the agent reads, or writes, many files: its answers come one
// line per file, in order, and a short answer is the engine's fault.
func TestAgentBatches(t *testing.T) {
	fake, _, s := newScenario(t)
	launchRunning(t, s, map[string][]Mount{"app": nil})
	must(t, s.WriteSentinels(t.Context(), "app", SentinelAt{"a", "/a"}, SentinelAt{"b", "/b"}, SentinelAt{"c", "/c"}))
	if n := fake.count("Exec"); n != 1 {
		t.Errorf("three sentinels took %d runs of the agent, want 1", n)
	}
	verdicts, err := s.CheckSentinels(t.Context(), "app", "c", "a", "b")
	must(t, err)
	for i, name := range []string{"c", "a", "b"} {
		if verdicts[i].Sentinel != name || verdicts[i].State != Intact {
			t.Errorf("verdict %d = %+v, want %s intact", i, verdicts[i], name)
		}
	}
	if n := fake.count("Exec"); n != 2 {
		t.Errorf("checking three sentinels took %d more runs of the agent, want 1", n-1)
	}
	c, _ := s.Container("app")
	var answers []agentFound
	fake.answers["read "+fileKey(c.id, "/x")] = ExecResult{Stdout: []byte(`{"exists":false}` + "\n")}
	err = c.agentDo(t.Context(), &answers, 2, "read", "/x", "/y")
	if KindOf(err) != Infrastructure || !strings.Contains(err.Error(), "1 answers for 2 files") {
		t.Errorf("a short answer: %v, want an infrastructure error counting answers", err)
	}
}

// Beside a paused container the agent runs in a helper: its failure says
// nothing about the container's storage, so it is never a finding.
func TestRefusalBesideIsNotAFinding(t *testing.T) {
	fake, _, s := newScenario(t)
	id := launchRunning(t, s, map[string][]Mount{"app": {{Kind: Tmpfs, Target: "/scratch"}}})["app"]
	c, _ := s.Container("app")
	fake.setState(id, "paused")
	// The fake's RunBeside drops /proc/1/root before it answers.
	fake.answers["read "+fileKey(id, "/scratch/s")] = ExecResult{ExitCode: 1, Stderr: []byte("persistcheck-agent: stat /proc/1/root/scratch/s: permission denied\n")}
	_, err := c.read(t.Context(), c.spotOf("/scratch/s"))
	if KindOf(err) != Infrastructure || !strings.Contains(err.Error(), "permission denied") {
		t.Errorf("a refusal beside: %v (kind %v), want an infrastructure error with the reason", err, KindOf(err))
	}
}

// A pause is undone by an unpause, and only a paused container can be.
func TestPauseUndo(t *testing.T) {
	fake, _, s := newScenario(t)
	id := launchRunning(t, s, map[string][]Mount{"app": nil})["app"]
	c, _ := s.Container("app")
	p := Pause()
	must(t, p.Inject(t.Context(), c))
	must(t, p.Undo(t.Context(), c))
	if fake.states[id] != "running" || fake.count("Unpause") != 1 {
		t.Errorf("after pause and undo: %s, calls %q; want running after one unpause", fake.states[id], fake.calls)
	}
	wantInvalid(t, p.Undo(t.Context(), c), "cannot unpause", "running")
}
