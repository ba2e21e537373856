package harness

import (
	"strings"
	"testing"
)

func TestJudge(t *testing.T) {
	sn := &sentinel{name: "s1", placed: placed{path: "/data/s1", writer: "app"}, content: []byte("persistcheck sentinel s1\n")}
	tests := []struct {
		name string
		f    File
		want State
	}{
		{"same bytes", File{Exists: true, Kind: "file", Data: []byte("persistcheck sentinel s1\n")}, Intact},
		{"nothing there", File{}, Gone},
		{"nothing there, stale data ignored", File{Exists: false, Kind: "file", Data: []byte("persistcheck sentinel s1\n")}, Gone},
		{"other bytes", File{Exists: true, Kind: "file", Data: []byte("persistcheck sentinel s2\n")}, Corrupted},
		{"truncated", File{Exists: true, Kind: "file", Data: []byte("persistcheck")}, Corrupted},
		{"empty file", File{Exists: true, Kind: "file"}, Corrupted},
		{"longer", File{Exists: true, Kind: "file", Data: []byte("persistcheck sentinel s1\nmore")}, Corrupted},
		{"a folder", File{Exists: true, Kind: "folder"}, Corrupted},
		{"something else", File{Exists: true, Kind: "other"}, Corrupted},
		{"same bytes, but not a file", File{Exists: true, Kind: "other", Data: []byte("persistcheck sentinel s1\n")}, Corrupted},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v := judge(sn, "other", spot{path: "/mnt/s1"}, tt.f, "how")
			if v.State != tt.want {
				t.Errorf("judge(%+v).State = %v, want %v", tt.f, v.State, tt.want)
			}
			if v.Sentinel != "s1" || v.Container != "other" || v.Path != "/mnt/s1" || v.Writer != "app" || v.Written != len(sn.content) || v.How != "how" {
				t.Errorf("judge filled %+v", v)
			}
		})
	}
}

func TestVerdictExpect(t *testing.T) {
	content := []byte("persistcheck sentinel s1\n")
	sn := &sentinel{name: "s1", placed: placed{path: "/data/s1", writer: "writer"}, content: content}
	long := []byte(strings.Repeat("x", 100))
	tests := []struct {
		name     string
		f        File
		how      string
		want     State
		mentions []string // besides the sentinel, container and path
		absent   []string
	}{
		{"intact expected intact", File{Exists: true, Kind: "file", Data: content}, "", Intact, nil, nil},
		{"gone expected gone", File{}, "", Gone, nil, nil},
		{"corrupted expected corrupted", File{Exists: true, Kind: "file", Data: []byte("zz")}, "", Corrupted, nil, nil},
		{"gone expected intact", File{}, "", Intact,
			[]string{"is gone, expected intact", "no file at /mnt/s1", `25 bytes written in "writer"`}, nil},
		{"intact expected gone", File{Exists: true, Kind: "file", Data: content}, "", Gone,
			[]string{"is intact, expected gone", "holds exactly"}, nil},
		{"corrupted expected intact", File{Exists: true, Kind: "file", Data: []byte("zz")}, "", Intact,
			[]string{"is corrupted, expected intact", "holds 2 bytes", `"zz"`, "instead of the 25 bytes"}, nil},
		{"one byte", File{Exists: true, Kind: "file", Data: []byte("z")}, "", Intact,
			[]string{"holds 1 byte \"z\""}, nil},
		{"long excerpt is cut", File{Exists: true, Kind: "file", Data: long}, "", Intact,
			[]string{"holds 100 bytes", `"` + strings.Repeat("x", 64) + `"...`}, []string{strings.Repeat("x", 65)}},
		{"folder expected intact", File{Exists: true, Kind: "folder"}, "", Intact,
			[]string{"is corrupted, expected intact", "/mnt/s1 is a folder, not a file"}, nil},
		{"how is said", File{}, "read through the engine", Intact,
			[]string{"(read through the engine)"}, nil},
		{"corrupted expected gone", File{Exists: true, Kind: "file", Data: []byte("zz")}, "", Gone,
			[]string{"is corrupted, expected gone"}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v := judge(sn, "reader", spot{path: "/mnt/s1"}, tt.f, tt.how)
			err := v.Expect(tt.want)
			if v.State == tt.want {
				if err != nil {
					t.Errorf("Expect(%v) on a %v verdict = %v, want nil", tt.want, v.State, err)
				}
				return
			}
			if err == nil {
				t.Fatalf("Expect(%v) on a %v verdict = nil, want a finding", tt.want, v.State)
			}
			if KindOf(err) != Finding {
				t.Errorf("Expect error kind = %v, want %v", KindOf(err), Finding)
			}
			msg := err.Error()
			for _, part := range append([]string{`sentinel "s1"`, `in "reader"`, "/mnt/s1"}, tt.mentions...) {
				if !strings.Contains(msg, part) {
					t.Errorf("Expect message %q does not mention %q", msg, part)
				}
			}
			for _, part := range tt.absent {
				if strings.Contains(msg, part) {
					t.Errorf("Expect message %q has %q", msg, part)
				}
			}
		})
	}
}

func TestParseState(t *testing.T) {
	tests := []struct {
		in   string
		want State
	}{
		{"intact", Intact},
		{"Intact", Intact},
		{"INTACT", Intact},
		{"gone", Gone},
		{"GoNe", Gone},
		{" gone ", Gone},
		{"corrupted", Corrupted},
		{"Corrupted", Corrupted},
	}
	for _, tt := range tests {
		got, err := ParseState(tt.in)
		if err != nil || got != tt.want {
			t.Errorf("ParseState(%q) = %v, %v; want %v", tt.in, got, err, tt.want)
		}
	}
	for _, in := range []string{"", "lost", "corrupt", "intactx", "unknown", "missing"} {
		got, err := ParseState(in)
		if err == nil {
			t.Errorf("ParseState(%q) = %v, want an error", in, got)
			continue
		}
		if KindOf(err) != Invalid || !strings.Contains(err.Error(), `"`+in+`"`) {
			t.Errorf("ParseState(%q) error = %v (kind %v), want Invalid quoting the input", in, err, KindOf(err))
		}
	}
}

func TestStateString(t *testing.T) {
	for st, want := range map[State]string{Intact: "intact", Gone: "gone", Corrupted: "corrupted", 0: "unknown"} {
		if got := st.String(); got != want {
			t.Errorf("State(%d).String() = %q, want %q", uint8(st), got, want)
		}
	}
}
