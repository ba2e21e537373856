package harness

import (
	"reflect"
	"strings"
	"testing"
)

func TestWithin(t *testing.T) {
	tests := []struct {
		dir, p  string
		wantRel string
		wantOK  bool
	}{
		{"/data", "/data/s1", "s1", true},
		{"/data", "/data/a/b/s1", "a/b/s1", true},
		{"/data", "/data", "", true},
		{"/data", "/database/x", "", false},
		{"/data", "/database", "", false},
		{"/data", "/dat", "", false},
		{"/data", "/other/data/s1", "", false},
		{"/data", "/", "", false},
		{"/var/lib/db", "/var/lib/db/s1", "s1", true},
		{"/var/lib/db", "/var/lib/s1", "", false},
		{"/", "/etc/s1", "etc/s1", true},
		{"/", "/", "", true},
	}
	for _, tt := range tests {
		rel, ok := within(tt.dir, tt.p)
		if rel != tt.wantRel || ok != tt.wantOK {
			t.Errorf("within(%q, %q) = %q, %v; want %q, %v", tt.dir, tt.p, rel, ok, tt.wantRel, tt.wantOK)
		}
	}
}

func TestMountAt(t *testing.T) {
	data := Mount{Kind: NamedVolume, Source: "data", Target: "/data"}
	cache := Mount{Kind: Tmpfs, Target: "/data/cache"}
	deep := Mount{Kind: AnonymousVolume, Target: "/data/cache/deep"}
	db := Mount{Kind: HostFolder, Source: "db", Target: "/database"}
	spec := ContainerSpec{Mounts: []Mount{deep, data, cache, db}} // order must not matter

	tests := []struct {
		p       string
		want    Mount
		wantRel string
		wantOK  bool
	}{
		{"/data/s1", data, "s1", true},
		{"/data", data, "", true},
		{"/data/cache", cache, "", true},
		{"/data/cache/s1", cache, "s1", true},
		{"/data/cache/deep/x/s1", deep, "x/s1", true},
		{"/data/cachet/s1", data, "cachet/s1", true},
		{"/database/x", db, "x", true},
		{"/databases/x", Mount{}, "", false},
		{"/etc/s1", Mount{}, "", false},
		{"/", Mount{}, "", false},
	}
	for _, tt := range tests {
		got, rel, ok := spec.mountAt(tt.p)
		if got != tt.want || rel != tt.wantRel || ok != tt.wantOK {
			t.Errorf("mountAt(%q) = %v, %q, %v; want %v, %q, %v", tt.p, got, rel, ok, tt.want, tt.wantRel, tt.wantOK)
		}
	}

	if _, _, ok := (ContainerSpec{}).mountAt("/data/s1"); ok {
		t.Errorf("mountAt on a spec without mounts found one")
	}
}

func TestCleanPath(t *testing.T) {
	tests := []struct {
		in   string
		want string
	}{
		{"/data/s1", "/data/s1"},
		{"/data/", "/data"},
		{"/data//s1", "/data/s1"},
		{"/data/./s1", "/data/s1"},
		{"/data/x/../s1", "/data/s1"},
		{"/../data", "/data"},
		{"/", "/"},
	}
	for _, tt := range tests {
		got, err := cleanPath(tt.in)
		if err != nil || got != tt.want {
			t.Errorf("cleanPath(%q) = %q, %v; want %q", tt.in, got, err, tt.want)
		}
	}
	for _, in := range []string{"", "data/s1", "./data", "../data", "~/data", " /data"} {
		got, err := cleanPath(in)
		if err == nil {
			t.Errorf("cleanPath(%q) = %q, want an error", in, got)
			continue
		}
		if KindOf(err) != Invalid || !strings.Contains(err.Error(), "absolute") {
			t.Errorf("cleanPath(%q) error = %v (kind %v), want Invalid saying the path must be absolute", in, err, KindOf(err))
		}
	}
}

func TestAddMount(t *testing.T) {
	tests := []struct {
		name       string
		existing   []Mount
		add        Mount
		wantErr    string // part of the error; empty for success
		wantTarget string
	}{
		{"first mount", nil, Mount{Kind: NamedVolume, Source: "v", Target: "/data"}, "", "/data"},
		{"target is cleaned", nil, Mount{Kind: Tmpfs, Target: "/scratch/"}, "", "/scratch"},
		{"target with dots is cleaned", nil, Mount{Kind: Tmpfs, Target: "/a/../scratch"}, "", "/scratch"},
		{"nested mount is fine", []Mount{{Kind: NamedVolume, Source: "v", Target: "/data"}}, Mount{Kind: Tmpfs, Target: "/data/tmp"}, "", "/data/tmp"},
		{"sibling with a common prefix is fine", []Mount{{Kind: NamedVolume, Source: "v", Target: "/data"}}, Mount{Kind: Tmpfs, Target: "/database"}, "", "/database"},
		{"relative path", nil, Mount{Kind: NamedVolume, Source: "v", Target: "data"}, "absolute", ""},
		{"empty path", nil, Mount{Kind: Tmpfs}, "absolute", ""},
		{"root", nil, Mount{Kind: NamedVolume, Source: "v", Target: "/"}, "root", ""},
		{"root after cleaning", nil, Mount{Kind: Tmpfs, Target: "/data/.."}, "root", ""},
		{"same target", []Mount{{Kind: NamedVolume, Source: "v", Target: "/data"}}, Mount{Kind: Tmpfs, Target: "/data"}, "already mounted at /data", ""},
		{"same target with a trailing slash", []Mount{{Kind: NamedVolume, Source: "v", Target: "/data"}}, Mount{Kind: HostFolder, Source: "h", Target: "/data/"}, "already mounted at /data", ""},
		{"same target after cleaning", []Mount{{Kind: Tmpfs, Target: "/data"}}, Mount{Kind: NamedVolume, Source: "w", Target: "/x/../data"}, "already mounted", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			spec := ContainerSpec{Mounts: append([]Mount(nil), tt.existing...)}
			err := spec.addMount(tt.add)
			if tt.wantErr != "" {
				if err == nil {
					t.Fatalf("addMount(%v) succeeded, want an error with %q; mounts %v", tt.add, tt.wantErr, spec.Mounts)
				}
				if KindOf(err) != Invalid || !strings.Contains(err.Error(), tt.wantErr) {
					t.Errorf("addMount(%v) error = %v (kind %v), want Invalid with %q", tt.add, err, KindOf(err), tt.wantErr)
				}
				if !reflect.DeepEqual(spec.Mounts, append([]Mount(nil), tt.existing...)) {
					t.Errorf("refused addMount changed the mounts to %v", spec.Mounts)
				}
				return
			}
			if err != nil {
				t.Fatalf("addMount(%v) error: %v", tt.add, err)
			}
			if n := len(spec.Mounts); n != len(tt.existing)+1 {
				t.Fatalf("addMount left %d mounts, want %d", n, len(tt.existing)+1)
			}
			got := spec.Mounts[len(spec.Mounts)-1]
			want := tt.add
			want.Target = tt.wantTarget
			if got != want {
				t.Errorf("added mount = %+v, want %+v", got, want)
			}
		})
	}
}

func TestAddMountTwiceOnOneSpec(t *testing.T) {
	var spec ContainerSpec
	if err := spec.addMount(Mount{Kind: NamedVolume, Source: "v", Target: "/data/"}); err != nil {
		t.Fatal(err)
	}
	err := spec.addMount(Mount{Kind: NamedVolume, Source: "w", Target: "/data"})
	if KindOf(err) != Invalid {
		t.Fatalf("second mount at /data: err = %v, want Invalid", err)
	}
	if !strings.Contains(err.Error(), `volume "v"`) {
		t.Errorf("error %q does not name the mount already there", err)
	}
}

func TestCloneSharesNothing(t *testing.T) {
	orig := ContainerSpec{
		Cmd:    []string{"serve"},
		Env:    []string{"A=1"},
		Mounts: []Mount{{Kind: Tmpfs, Target: "/t"}},
	}
	c := orig.clone()
	c.Cmd[0], c.Env[0], c.Mounts[0].Target = "x", "x", "/x"
	if orig.Cmd[0] != "serve" || orig.Env[0] != "A=1" || orig.Mounts[0].Target != "/t" {
		t.Errorf("changing the clone changed the original: %+v", orig)
	}
}

func TestMountString(t *testing.T) {
	tests := []struct {
		m    Mount
		want string
	}{
		{Mount{Kind: NamedVolume, Source: "data", Target: "/data"}, `volume "data" at /data`},
		{Mount{Kind: HostFolder, Source: "shared", Target: "/shared"}, `host folder "shared" at /shared`},
		{Mount{Kind: Tmpfs, Target: "/scratch"}, "tmpfs at /scratch"},
		{Mount{Kind: AnonymousVolume, Target: "/cache"}, "anonymous volume at /cache"},
	}
	for _, tt := range tests {
		if got := tt.m.String(); got != tt.want {
			t.Errorf("%+v.String() = %q, want %q", tt.m, got, tt.want)
		}
	}
}
