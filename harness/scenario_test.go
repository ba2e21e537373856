package harness

import (
	"errors"
	"maps"
	"os"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"
)

func TestDeclareTwice(t *testing.T) {
	tests := []struct {
		name          string
		first, second func(*Scenario) error
		mention       string
	}{
		{"container",
			func(s *Scenario) error { return s.DeclareContainer("app", BuiltinImage) },
			func(s *Scenario) error { return s.DeclareContainer("app", "redis:7") },
			`container "app" is declared twice`},
		{"container, then a built one",
			func(s *Scenario) error { return s.DeclareContainer("app", BuiltinImage) },
			func(s *Scenario) error { return s.DeclareBuiltContainer("app", ".") },
			`container "app" is declared twice`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, _, s := newScenario(t)
			must(t, tt.first(s))
			wantInvalid(t, tt.second(s), tt.mention)
		})
	}
}

// Storage declared again is the same storage, as `docker volume create` of
// an existing volume is harmless.
func TestDeclareStorageAgain(t *testing.T) {
	_, _, s := newScenario(t)
	must(t, s.DeclareVolume("data"))
	must(t, s.DeclareHostFolder("shared"))
	vol, folder := s.volumes["data"].engineName, s.folders["shared"].name
	must(t, s.DeclareVolume("data"))
	must(t, s.DeclareHostFolder("shared"))
	if s.volumes["data"].engineName != vol || s.folders["shared"].name != folder {
		t.Errorf("declaring again made new storage")
	}
	wantInvalid(t, s.DeclareVolume(" "), "needs a name")
	wantInvalid(t, s.DeclareHostFolder(""), "needs a name")
}

func TestDeclareDistinctNames(t *testing.T) {
	_, _, s := newScenario(t)
	must(t, s.DeclareVolume("data"))
	must(t, s.DeclareVolume("logs"))
	must(t, s.DeclareHostFolder("data")) // a folder may share a volume's name
	must(t, s.DeclareContainer("app", BuiltinImage))
	must(t, s.DeclareContainer("db", "postgres:16"))
	wantInvalid(t, s.DeclareContainer("", BuiltinImage), "needs a name")
	wantInvalid(t, s.DeclareContainer("web", " "), "needs an image")
	wantInvalid(t, s.DeclareBuiltContainer("web", "no-such-folder"), "no folder")
}

// A volume or host folder must be declared before a container mounts it: a
// name that is not is a slip of the keyboard more often than not.
func TestMountNeedsADeclaration(t *testing.T) {
	_, _, s := newScenario(t)
	must(t, s.DeclareContainer("app", BuiltinImage))
	wantInvalid(t, s.Mount("app", Mount{Kind: NamedVolume, Source: "logs", Target: "/logs"}), `volume "logs" is not declared`, `Given a volume "logs"`)
	wantInvalid(t, s.Mount("app", Mount{Kind: HostFolder, Source: "logs", Target: "/backup"}), `host folder "logs" is not declared`)
	must(t, s.DeclareVolume("logs"))
	must(t, s.DeclareHostFolder("logs"))
	must(t, s.Mount("app", Mount{Kind: NamedVolume, Source: "logs", Target: "/logs"}))
	must(t, s.Mount("app", Mount{Kind: HostFolder, Source: "logs", Target: "/backup"}))
	wantInvalid(t, s.Mount("ghost", Mount{Kind: NamedVolume, Source: "logs", Target: "/x"}), `no container "ghost"`)
}

func TestMountOnUndeclaredContainer(t *testing.T) {
	_, _, s := newScenario(t)
	must(t, s.DeclareVolume("data"))
	wantInvalid(t, s.Mount("ghost", Mount{Kind: NamedVolume, Source: "data", Target: "/data"}), `no container "ghost"`)
}

func TestInjectIntoUndeclaredContainer(t *testing.T) {
	faults := []Fault{Launch(), LaunchAgain(), Kill(SIGKILL, time.Second), Stop(time.Second), Start(), Pause(), Remove(true), Upgrade("x:2")}
	for _, f := range faults {
		t.Run(f.String(), func(t *testing.T) {
			fake, _, s := newScenario(t)
			must(t, s.DeclareContainer("app", BuiltinImage))
			wantInvalid(t, s.Inject(t.Context(), "ghost", f), `no container "ghost"`, "declare it first")
			if len(fake.calls) != 0 {
				t.Errorf("the engine was called: %q", fake.calls)
			}
		})
	}
}

func TestLaunchTwice(t *testing.T) {
	fake, _, s := newScenario(t)
	must(t, s.DeclareContainer("app", BuiltinImage))
	must(t, s.Inject(t.Context(), "app", Launch()))
	if got := fake.states[idOf(t, s, "app")]; got != "running" {
		t.Fatalf("after Launch the container is %q, want running", got)
	}
	wantInvalid(t, s.Inject(t.Context(), "app", Launch()), `container "app" was started before`)
	if n := len(fake.called("Create")); n != 1 {
		t.Errorf("Create called %d times, want 1", n)
	}
}

func TestLaunchAgainWhileExists(t *testing.T) {
	for _, state := range []string{"running", "exited", "paused", "created"} {
		t.Run(state, func(t *testing.T) {
			fake, _, s := newScenario(t)
			must(t, s.DeclareContainer("app", BuiltinImage))
			must(t, s.Inject(t.Context(), "app", Launch()))
			fake.setState(idOf(t, s, "app"), state)
			wantInvalid(t, s.Inject(t.Context(), "app", LaunchAgain()), `container "app" still exists`, "remove it first")
			if n := len(fake.called("Create")); n != 1 {
				t.Errorf("Create called %d times, want 1", n)
			}
		})
	}
}

func TestFaultOnContainerInWrongState(t *testing.T) {
	tests := []struct {
		name     string
		state    string
		fault    Fault
		mentions []string
		call     string // the engine call the fault must not make
	}{
		{"kill exited", "exited", Kill(SIGKILL, time.Second), []string{"cannot kill", `"app"`, "it is exited (code 0), not running"}, "Kill"},
		{"kill with SIGTERM exited", "exited", Kill(Signal{Name: "SIGTERM", Number: 15}, time.Second), []string{"it is exited"}, "Kill"},
		{"kill with SIGTERM paused", "paused", Kill(Signal{Name: "SIGTERM", Number: 15}, time.Second), []string{"it is paused, not running"}, "Kill"},
		{"stop exited", "exited", Stop(time.Second), []string{"cannot stop", "exited"}, "Stop"},
		{"pause exited", "exited", Pause(), []string{"cannot pause", "exited"}, "Pause"},
		{"unpause running", "running", Unpause(), []string{"cannot unpause", "it is running, not paused"}, "Unpause"},
		{"start running", "running", Start(), []string{"cannot start", "running, not created or exited"}, "Start"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fake, _, s := newScenario(t)
			must(t, s.DeclareContainer("app", BuiltinImage))
			must(t, s.Inject(t.Context(), "app", Launch()))
			if tt.state == "exited" {
				must(t, s.Inject(t.Context(), "app", Stop(time.Second)))
			}
			before := len(fake.called(tt.call))
			fake.setState(idOf(t, s, "app"), tt.state)
			wantInvalid(t, s.Inject(t.Context(), "app", tt.fault), tt.mentions...)
			if after := len(fake.called(tt.call)); after != before {
				t.Errorf("the engine's %s was called", tt.call)
			}
		})
	}
}

func TestFaultsOnRunningContainer(t *testing.T) {
	tests := []struct {
		fault Fault
		want  string // the state the fake reports afterwards
	}{
		{Kill(SIGKILL, time.Second), "exited"},
		{Kill(Signal{Name: "SIGTERM", Number: 15}, time.Second), "exited"},
		{Kill(Signal{Name: "SIGWINCH", Number: 28}, time.Second), "running"},
		{Stop(time.Second), "exited"},
		{Pause(), "paused"},
		{Restart(time.Second), "running"},
	}
	for _, tt := range tests {
		t.Run(tt.fault.String(), func(t *testing.T) {
			fake, _, s := newScenario(t)
			must(t, s.DeclareContainer("app", BuiltinImage))
			must(t, s.Inject(t.Context(), "app", Launch()))
			must(t, s.Inject(t.Context(), "app", tt.fault))
			if got := fake.states[idOf(t, s, "app")]; got != tt.want {
				t.Errorf("after %s the container is %q, want %q", tt.fault, got, tt.want)
			}
		})
	}
}

func TestNeverLaunchedOrRemoved(t *testing.T) {
	fake, _, s := newScenario(t)
	must(t, s.DeclareContainer("app", BuiltinImage))
	wantInvalid(t, s.Inject(t.Context(), "app", Stop(time.Second)), "never started")
	wantInvalid(t, s.Inject(t.Context(), "app", Remove(false)), "never started")
	must(t, s.Inject(t.Context(), "app", Launch()))
	must(t, s.Inject(t.Context(), "app", Remove(false)))
	wantInvalid(t, s.Inject(t.Context(), "app", Kill(SIGKILL, time.Second)), "was removed", "launch it again")
	if n := len(fake.called("Kill")); n != 0 {
		t.Errorf("Kill called %d times on a removed container", n)
	}
}

func TestRemoveThenLaunchAgain(t *testing.T) {
	for _, volumes := range []bool{false, true} {
		t.Run(Remove(volumes).String(), func(t *testing.T) {
			fake, _, s := newScenario(t)
			must(t, s.DeclareVolume("data"))
			must(t, s.DeclareContainer("app", BuiltinImage))
			must(t, s.Mount("app", Mount{Kind: NamedVolume, Source: "data", Target: "/data"}))
			must(t, s.Inject(t.Context(), "app", Launch()))
			first := idOf(t, s, "app")

			must(t, s.Inject(t.Context(), "app", Remove(volumes)))
			wantRemove := []string{"Remove " + first + " volumes=" + map[bool]string{false: "false", true: "true"}[volumes]}
			if got := fake.called("Remove "); !reflect.DeepEqual(got, wantRemove) {
				t.Errorf("Remove calls = %q, want %q", got, wantRemove)
			}
			if id := idOf(t, s, "app"); id != "" {
				t.Errorf("after Remove the container still has id %q", id)
			}

			must(t, s.Inject(t.Context(), "app", LaunchAgain()))
			second := idOf(t, s, "app")
			if second == "" || second == first {
				t.Errorf("LaunchAgain left id %q, want a new one (first was %q)", second, first)
			}
			if len(fake.created) != 2 {
				t.Fatalf("Create called %d times, want 2", len(fake.created))
			}
			a, b := fake.created[0], fake.created[1]
			if a.Name == b.Name {
				t.Errorf("both instances are named %q; the second needs its own name", a.Name)
			}
			if a.Image != b.Image || !reflect.DeepEqual(a.Mounts, b.Mounts) {
				t.Errorf("the second instance differs from the first:\n%+v\n%+v", a, b)
			}
			if n := len(fake.called("CreateVolume")); n != 1 {
				t.Errorf("CreateVolume called %d times, want 1: the volume is the same", n)
			}
			if fake.states[second] != "running" {
				t.Errorf("the second instance is %q, want running", fake.states[second])
			}
		})
	}
}

func TestLaunchEngineSpec(t *testing.T) {
	fake, run, s := newScenario(t)
	must(t, s.DeclareContainer("my app!", BuiltinImage))
	must(t, s.SetCommand("my app!", `serve --name "x y"`))
	must(t, s.AddEnv("my app!", "MODE=strict"))
	must(t, s.SetMemoryLimit("my app!", "64m"))
	must(t, s.RestartOnFailure("my app!"))
	must(t, s.Inject(t.Context(), "my app!", Launch()))
	if len(fake.created) != 1 {
		t.Fatalf("Create called %d times, want 1", len(fake.created))
	}
	got := fake.created[0]
	wantLabels := map[string]string{LabelRun: run.ID, LabelScenario: s.ID, LabelOwner: Owner()}
	switch {
	case !strings.HasPrefix(got.Name, "pc-"+s.ID[:8]+"-") || !strings.HasSuffix(got.Name, "-my-app-"):
		t.Errorf("Name = %q, want pc-%s-<n>-my-app-", got.Name, s.ID[:8])
	case got.Image != BuiltinImage:
		t.Errorf("Image = %q", got.Image)
	case !reflect.DeepEqual(got.Cmd, []string{"serve", "--name", "x y"}):
		t.Errorf("Cmd = %q", got.Cmd)
	case !reflect.DeepEqual(got.Env, []string{"MODE=strict"}):
		t.Errorf("Env = %q", got.Env)
	case got.MemoryLimit != 64<<20 || !got.RestartOnFailure || !got.Init:
		t.Errorf("MemoryLimit, RestartOnFailure, Init = %d, %v, %v", got.MemoryLimit, got.RestartOnFailure, got.Init)
	case !reflect.DeepEqual(got.Labels, wantLabels):
		t.Errorf("Labels = %v, want %v", got.Labels, wantLabels)
	}
}

func TestEngineMountsForImageVolumes(t *testing.T) {
	tests := []struct {
		name         string
		imageVolumes []string
		mounts       []Mount
		wantAnon     []string // targets of the AnonymousVolume mounts, in order
		wantMounts   int
	}{
		{"no volumes", nil, nil, nil, 0},
		{"image volume uncovered", []string{"/var/lib/db"}, nil, []string{"/var/lib/db"}, 1},
		{"two image volumes", []string{"/a", "/b"}, nil, []string{"/a", "/b"}, 2},
		{"covered by a named volume", []string{"/data"}, []Mount{{Kind: NamedVolume, Source: "data", Target: "/data"}}, nil, 1},
		{"covered and uncovered", []string{"/data", "/var/lib/db"}, []Mount{{Kind: NamedVolume, Source: "data", Target: "/data"}}, []string{"/var/lib/db"}, 2},
		{"covered by a tmpfs", []string{"/data"}, []Mount{{Kind: Tmpfs, Target: "/data"}}, nil, 1},
		{"covered by a host folder", []string{"/data"}, []Mount{{Kind: HostFolder, Source: "shared", Target: "/data"}}, nil, 1},
		{"covered by the spec's anonymous volume", []string{"/cache"}, []Mount{{Kind: AnonymousVolume, Target: "/cache"}}, []string{"/cache"}, 1},
		{"a mount on a prefix does not cover", []string{"/database"}, []Mount{{Kind: Tmpfs, Target: "/data"}}, []string{"/database"}, 2},
		{"an image volume with a trailing slash is covered", []string{"/data/"}, []Mount{{Kind: NamedVolume, Source: "data", Target: "/data"}}, nil, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fake, run, s := newScenario(t)
			fake.images["img:1"] = Image{Ref: "sha256:img1", Volumes: tt.imageVolumes}
			must(t, s.DeclareVolume("data"))
			must(t, s.DeclareHostFolder("shared"))
			must(t, s.DeclareContainer("app", "img:1"))
			for _, m := range tt.mounts {
				must(t, s.Mount("app", m))
			}
			must(t, s.Inject(t.Context(), "app", Launch()))

			spec := fake.created[0]
			if spec.Image != "sha256:img1" {
				t.Errorf("created from %q, want the image's ref", spec.Image)
			}
			if len(spec.Mounts) != tt.wantMounts {
				t.Errorf("%d mounts, want %d: %+v", len(spec.Mounts), tt.wantMounts, spec.Mounts)
			}
			wantLabels := map[string]string{LabelRun: run.ID, LabelScenario: s.ID, LabelOwner: Owner()}
			var anon []string
			for _, m := range spec.Mounts {
				if m.Kind != AnonymousVolume {
					if m.Labels != nil {
						t.Errorf("%v mount has labels %v", m.Kind, m.Labels)
					}
					continue
				}
				anon = append(anon, m.Target)
				if m.Source != "" {
					t.Errorf("anonymous volume at %s has source %q", m.Target, m.Source)
				}
				if !reflect.DeepEqual(m.Labels, wantLabels) {
					t.Errorf("anonymous volume at %s has labels %v, want %v", m.Target, m.Labels, wantLabels)
				}
			}
			if !slices.Equal(anon, tt.wantAnon) {
				t.Errorf("anonymous volumes at %q, want %q", anon, tt.wantAnon)
			}
		})
	}
}

func TestEngineMountsResolveNames(t *testing.T) {
	fake, _, s := newScenario(t)
	must(t, s.DeclareVolume("data"))
	must(t, s.DeclareHostFolder("shared"))
	must(t, s.DeclareContainer("app", BuiltinImage))
	must(t, s.Mount("app", Mount{Kind: NamedVolume, Source: "data", Target: "/data"}))
	must(t, s.Mount("app", Mount{Kind: HostFolder, Source: "shared", Target: "/shared"}))
	must(t, s.Inject(t.Context(), "app", Launch()))

	vol := s.volumes["data"].engineName
	if got := fake.called("CreateVolume"); !reflect.DeepEqual(got, []string{"CreateVolume " + vol}) {
		t.Errorf("CreateVolume calls = %q, want one for %s", got, vol)
	}
	mounts := fake.created[0].Mounts
	if len(mounts) != 2 {
		t.Fatalf("mounts = %+v, want 2", mounts)
	}
	if m := mounts[0]; m.Kind != NamedVolume || m.Source != vol || m.Target != "/data" {
		t.Errorf("volume mount = %+v, want source %s at /data", m, vol)
	}
	m := mounts[1]
	if m.Kind != HostFolder || m.Target != "/shared" || m.Source != s.folders["shared"].path {
		t.Errorf("host folder mount = %+v", m)
	}
	if info, err := os.Stat(m.Source); err != nil || !info.IsDir() || info.Mode().Perm() != 0o777 {
		t.Errorf("host folder %s: %v, %v; want a folder everyone may write", m.Source, info, err)
	}
}

func TestUpgrade(t *testing.T) {
	errMissing := &Error{Op: "image app:2", Kind: Infrastructure, Err: errors.New("no such image")}
	tests := []struct {
		name    string
		to      string
		wantErr error
	}{
		{"to a missing image", "app:2", errMissing},
		{"to an image on the engine", "app:3", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fake, _, s := newScenario(t)
			fake.imageErrs["app:2"] = errMissing
			must(t, s.DeclareVolume("data"))
			must(t, s.DeclareContainer("app", "app:1"))
			must(t, s.Mount("app", Mount{Kind: NamedVolume, Source: "data", Target: "/data"}))
			must(t, s.Inject(t.Context(), "app", Launch()))
			first := idOf(t, s, "app")

			err := s.Inject(t.Context(), "app", Upgrade(tt.to))
			c, _ := s.Container("app")
			if tt.wantErr != nil {
				if !errors.Is(err, tt.wantErr) {
					t.Fatalf("Upgrade error = %v, want %v in its chain", err, tt.wantErr)
				}
				if KindOf(err) != Infrastructure {
					t.Errorf("Upgrade error kind = %v, want %v", KindOf(err), Infrastructure)
				}
				if got := fake.called("Remove "); len(got) != 0 {
					t.Errorf("the container was removed before the image was checked: %q", got)
				}
				if c.id != first || fake.states[first] != "running" || len(fake.created) != 1 {
					t.Errorf("a failed upgrade changed the container: id %q (was %q), state %q, %d creates", c.id, first, fake.states[first], len(fake.created))
				}
				if c.spec.Image != "app:1" {
					t.Errorf("a failed upgrade changed the spec's image to %q", c.spec.Image)
				}
				return
			}
			must(t, err)
			if got, want := fake.called("Remove "), []string{"Remove " + first + " volumes=false"}; !reflect.DeepEqual(got, want) {
				t.Errorf("Remove calls = %q, want %q", got, want)
			}
			if len(fake.created) != 2 || fake.created[1].Image != tt.to {
				t.Fatalf("created %+v, want a second container from %s", fake.created, tt.to)
			}
			if !reflect.DeepEqual(fake.created[0].Mounts, fake.created[1].Mounts) {
				t.Errorf("the upgraded container mounts %+v, want the same as before %+v", fake.created[1].Mounts, fake.created[0].Mounts)
			}
			if c.spec.Image != tt.to {
				t.Errorf("the spec keeps image %q, want %q", c.spec.Image, tt.to)
			}
		})
	}
}

func TestScenarioClose(t *testing.T) {
	t.Run("removes by run and scenario labels", func(t *testing.T) {
		fake, run, s := newScenario(t)
		other := run.Scenario("other", Source{Dir: "."})
		must(t, s.DeclareContainer("app", BuiltinImage))
		must(t, s.Inject(t.Context(), "app", Launch()))
		kept, err := s.Close(t.Context(), false)
		must(t, err)
		if kept != nil {
			t.Errorf("Close(keep=false) kept %q", kept)
		}
		_, err = other.Close(t.Context(), false)
		must(t, err)
		if len(fake.labelled) != 2 {
			t.Fatalf("RemoveLabelled called %d times, want 2", len(fake.labelled))
		}
		for i, sc := range []*Scenario{s, other} {
			l := fake.labelled[i]
			if l[LabelRun] != run.ID || l[LabelScenario] != sc.ID {
				t.Errorf("scenario %q removed by labels %v, want %s=%s and %s=%s", sc.Name, l, LabelRun, run.ID, LabelScenario, sc.ID)
			}
		}
	})

	t.Run("removes host folders", func(t *testing.T) {
		_, _, s := newScenario(t)
		must(t, s.DeclareHostFolder("shared"))
		must(t, s.DeclareContainer("app", BuiltinImage))
		must(t, s.Mount("app", Mount{Kind: HostFolder, Source: "shared", Target: "/shared"}))
		must(t, s.Inject(t.Context(), "app", Launch()))
		p := s.folders["shared"].path
		if _, err := os.Stat(p); err != nil {
			t.Fatalf("host folder not created: %v", err)
		}
		_, err := s.Close(t.Context(), false)
		must(t, err)
		if _, err := os.Stat(p); !os.IsNotExist(err) {
			t.Errorf("host folder %s is still there after Close: %v", p, err)
		}
	})

	t.Run("keep leaves everything and names the containers", func(t *testing.T) {
		fake, _, s := newScenario(t)
		for _, name := range []string{"a", "b", "c", "never"} {
			must(t, s.DeclareContainer(name, BuiltinImage))
		}
		for _, name := range []string{"a", "b", "c"} {
			must(t, s.Inject(t.Context(), name, Launch()))
		}
		must(t, s.Inject(t.Context(), "b", Remove(false)))
		fake.setState(idOf(t, s, "c"), "exited")

		kept, err := s.Close(t.Context(), true)
		must(t, err)
		if n := len(fake.called("RemoveLabelled")); n != 0 {
			t.Errorf("Close(keep=true) called RemoveLabelled %d times", n)
		}
		if n := len(fake.called("Remove ")); n != 1 { // only the Remove fault's
			t.Errorf("Close(keep=true) removed containers: %q", fake.called("Remove "))
		}
		want := []string{fake.created[0].Name, fake.created[2].Name} // a and c
		slices.Sort(kept)
		slices.Sort(want)
		if !slices.Equal(kept, want) {
			t.Errorf("kept %q, want %q", kept, want)
		}
	})
}

// launchRunning declares and launches the containers of a sentinel test, each
// with the mounts given, and returns their ids.
func launchRunning(t *testing.T, s *Scenario, mounts map[string][]Mount) map[string]string {
	t.Helper()
	ids := map[string]string{}
	for _, name := range slices.Sorted(maps.Keys(mounts)) {
		must(t, s.DeclareContainer(name, BuiltinImage))
		for _, m := range mounts[name] {
			must(t, s.Mount(name, m))
		}
		must(t, s.Inject(t.Context(), name, Launch()))
		ids[name] = idOf(t, s, name)
	}
	return ids
}

func TestWriteSentinels(t *testing.T) {
	for _, hasAgent := range []bool{false, true} {
		t.Run(map[bool]string{false: "agent mounted", true: "agent in the image"}[hasAgent], func(t *testing.T) {
			fake, run, s := newScenario(t)
			fake.images["img:1"] = Image{Ref: "img:1", HasAgent: hasAgent}
			must(t, s.DeclareContainer("app", "img:1"))
			must(t, s.Inject(t.Context(), "app", Launch()))
			id := idOf(t, s, "app")
			must(t, s.WriteSentinels(t.Context(), "app", SentinelAt{"s1", "/data/s1"}, SentinelAt{"s2", "/data//x/../s2"}))

			// An image without the agent gets it mounted from the engine's
			// agent volume: never a copy per container.
			if n := len(fake.called("InstallAgent")); n != 0 {
				t.Errorf("InstallAgent called %d times, want none", n)
			}
			if got := fake.created[0].MountAgent; got == hasAgent {
				t.Errorf("MountAgent = %v for an image with the agent %v", got, hasAgent)
			}
			for name, p := range map[string]string{"s1": "/data/s1", "s2": "/data/s2"} {
				sn, ok := s.sentinels[name]
				if !ok {
					t.Fatalf("sentinel %s not recorded", name)
				}
				if sn.path != p || sn.writer != "app" {
					t.Errorf("sentinel %s recorded at %s by %q, want %s by app", name, sn.path, sn.writer, p)
				}
				written, ok := fake.get(id, p)
				if !ok || string(written.Data) != string(sn.content) {
					t.Errorf("the agent wrote %q at %s, want the sentinel's content %q", written.Data, p, sn.content)
				}
				for _, part := range []string{run.ID, s.ID, name} {
					if !strings.Contains(string(sn.content), part) {
						t.Errorf("sentinel content %q does not name %s", sn.content, part)
					}
				}
			}
			if string(s.sentinels["s1"].content) == string(s.sentinels["s2"].content) {
				t.Errorf("two sentinels have the same content")
			}
		})
	}
}

func TestWriteSentinelErrors(t *testing.T) {
	_, _, s := newScenario(t)
	must(t, s.DeclareContainer("app", BuiltinImage))
	wantInvalid(t, s.WriteSentinels(t.Context(), "ghost", SentinelAt{"s1", "/data/s1"}), `no container "ghost"`)
	wantInvalid(t, s.WriteSentinels(t.Context(), "app", SentinelAt{"s1", "/data/s1"}), "never started")
	must(t, s.Inject(t.Context(), "app", Launch()))
	wantInvalid(t, s.WriteSentinels(t.Context(), "app", SentinelAt{"s1", "data/s1"}), "absolute")
	must(t, s.Inject(t.Context(), "app", Stop(time.Second)))
	wantInvalid(t, s.WriteSentinels(t.Context(), "app", SentinelAt{"s1", "/data/s1"}), "cannot write to", "exited")
	if len(s.sentinels) != 0 {
		t.Errorf("sentinels recorded after failed writes: %v", s.sentinels)
	}
	_, err := s.CheckSentinel(t.Context(), "s1", "app")
	wantInvalid(t, err, `no sentinel "s1"`)
}

func TestSentinelStates(t *testing.T) {
	tests := []struct {
		name   string
		change func(f *fakeEngine, id string, content []byte)
		want   State
	}{
		{"untouched", func(*fakeEngine, string, []byte) {}, Intact},
		{"deleted", func(f *fakeEngine, id string, _ []byte) { f.remove(id, "/data/s1") }, Gone},
		{"other bytes", func(f *fakeEngine, id string, _ []byte) {
			f.put(id, "/data/s1", File{Exists: true, Kind: "file", Data: []byte("garbage")})
		}, Corrupted},
		{"truncated", func(f *fakeEngine, id string, content []byte) {
			f.put(id, "/data/s1", File{Exists: true, Kind: "file", Data: content[:len(content)/2]})
		}, Corrupted},
		{"empty", func(f *fakeEngine, id string, _ []byte) {
			f.put(id, "/data/s1", File{Exists: true, Kind: "file"})
		}, Corrupted},
		{"a folder", func(f *fakeEngine, id string, _ []byte) {
			f.put(id, "/data/s1", File{Exists: true, Kind: "folder"})
		}, Corrupted},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fake, _, s := newScenario(t)
			id := launchRunning(t, s, map[string][]Mount{"app": nil})["app"]
			must(t, s.WriteSentinels(t.Context(), "app", SentinelAt{"s1", "/data/s1"}))
			tt.change(fake, id, s.sentinels["s1"].content)

			v, err := s.CheckSentinel(t.Context(), "s1", "app")
			must(t, err)
			if v.State != tt.want {
				t.Errorf("CheckSentinel state = %v, want %v (%+v)", v.State, tt.want, v)
			}
			if got, want := fake.called("Exec "+id+" "+AgentPath+" read"), []string{"Exec " + id + " " + AgentPath + " read /data/s1"}; !reflect.DeepEqual(got, want) {
				t.Errorf("agent reads = %q, want %q", got, want)
			}
			for _, st := range []State{Intact, Gone, Corrupted} {
				err := s.ExpectSentinels(t.Context(), "app", SentinelState{"s1", st})
				if st == tt.want {
					if err != nil {
						t.Errorf("ExpectSentinels(%v) = %v, want nil", st, err)
					}
					continue
				}
				if KindOf(err) != Finding || !strings.Contains(err.Error(), "expected "+st.String()) {
					t.Errorf("ExpectSentinels(%v) = %v, want a finding", st, err)
				}
			}
		})
	}
}

func TestExpectSentinelsJoinsFindings(t *testing.T) {
	fake, _, s := newScenario(t)
	id := launchRunning(t, s, map[string][]Mount{"app": nil})["app"]
	must(t, s.WriteSentinels(t.Context(), "app", SentinelAt{"s1", "/data/s1"}, SentinelAt{"s2", "/data/s2"}, SentinelAt{"s3", "/data/s3"}))
	fake.remove(id, "/data/s1")
	fake.remove(id, "/data/s3")
	err := s.ExpectSentinels(t.Context(), "app", SentinelState{"s1", Intact}, SentinelState{"s2", Intact}, SentinelState{"s3", Intact})
	if KindOf(err) != Finding {
		t.Fatalf("ExpectSentinels = %v, want a finding", err)
	}
	msg := err.Error()
	if !strings.Contains(msg, `"s1"`) || !strings.Contains(msg, `"s3"`) || strings.Contains(msg, `"s2"`) {
		t.Errorf("ExpectSentinels message %q, want findings for s1 and s3 only", msg)
	}
	// An invalid request is not a finding: it stops the check.
	err = s.ExpectSentinels(t.Context(), "app", SentinelState{"s1", Intact}, SentinelState{"s9", Intact})
	wantInvalid(t, err, `no sentinel "s9"`)
}

func TestSentinelAcrossContainers(t *testing.T) {
	vol := func(target string) Mount { return Mount{Kind: NamedVolume, Source: "data", Target: target} }
	folder := func(target string) Mount { return Mount{Kind: HostFolder, Source: "shared", Target: target} }
	tests := []struct {
		name     string
		a, b     []Mount
		write    string // in a
		wantPath string // where b is read
	}{
		{"named volume at another target", []Mount{vol("/data")}, []Mount{vol("/mnt/shared")}, "/data/sub/s1", "/mnt/shared/sub/s1"},
		{"named volume at the same target", []Mount{vol("/data")}, []Mount{vol("/data")}, "/data/s1", "/data/s1"},
		{"named volume at the root of the mount", []Mount{vol("/data")}, []Mount{vol("/other")}, "/data", "/other"},
		{"named volume under a nested mount", []Mount{vol("/srv"), {Kind: Tmpfs, Target: "/srv/tmp"}}, []Mount{vol("/var/x")}, "/srv/tmp/s1", "/srv/tmp/s1"},
		{"host folder at another target", []Mount{folder("/shared")}, []Mount{folder("/in")}, "/shared/s1", "/in/s1"},
		{"host folder, same name as a volume", []Mount{folder("/shared")}, []Mount{{Kind: NamedVolume, Source: "shared", Target: "/in"}, folder("/f")}, "/shared/s1", "/f/s1"},
		{"named volume that b does not mount", []Mount{vol("/data")}, nil, "/data/s1", "/data/s1"},
		{"layer keeps its path", nil, []Mount{vol("/layer")}, "/layer/s1", "/layer/s1"},
		{"tmpfs keeps its path", []Mount{{Kind: Tmpfs, Target: "/scratch"}}, []Mount{{Kind: Tmpfs, Target: "/tmp"}}, "/scratch/s1", "/scratch/s1"},
		{"anonymous volume keeps its path", []Mount{{Kind: AnonymousVolume, Target: "/cache"}}, []Mount{{Kind: AnonymousVolume, Target: "/c"}}, "/cache/s1", "/cache/s1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fake, _, s := newScenario(t)
			must(t, s.DeclareVolume("data"))
			must(t, s.DeclareVolume("shared"))
			must(t, s.DeclareHostFolder("shared"))
			ids := launchRunning(t, s, map[string][]Mount{"a": tt.a, "b": tt.b})
			must(t, s.WriteSentinels(t.Context(), "a", SentinelAt{"s1", tt.write}))
			// The fake shares no storage: put the bytes where b should look.
			written, _ := fake.get(ids["a"], tt.write)
			fake.put(ids["b"], tt.wantPath, written)

			v, err := s.CheckSentinel(t.Context(), "s1", "b")
			must(t, err)
			if v.Path != tt.wantPath || v.State != Intact {
				t.Errorf("checked in b at %s: %v; want %s intact", v.Path, v.State, tt.wantPath)
			}
			if v.Container != "b" || v.Writer != "a" {
				t.Errorf("verdict container %q, writer %q; want b, a", v.Container, v.Writer)
			}
			reads := fake.called("Exec " + ids["b"] + " " + AgentPath + " read")
			if want := []string{"Exec " + ids["b"] + " " + AgentPath + " read " + tt.wantPath}; !reflect.DeepEqual(reads, want) {
				t.Errorf("reads in b = %q, want %q", reads, want)
			}
			// The writer itself looks where it wrote.
			v, err = s.CheckSentinel(t.Context(), "s1", "a")
			must(t, err)
			if v.Path != tt.write || v.State != Intact {
				t.Errorf("checked in a at %s: %v; want %s intact", v.Path, v.State, tt.write)
			}
		})
	}
}

func TestSentinelReadStoppedContainer(t *testing.T) {
	tests := []struct {
		name     string
		state    string
		path     string
		want     State
		wantErr  string // an Invalid error instead of a verdict
		readFile bool   // read through the engine's archive API
		how      string // part of Verdict.How
	}{
		{"exited, in a tmpfs", "exited", "/scratch/s1", Gone, "", false, "a tmpfs holds nothing"},
		{"exited, below a tmpfs", "exited", "/scratch/a/b/s1", Gone, "", false, "tmpfs"},
		{"paused, in a tmpfs", "paused", "/scratch/s1", Intact, "", false, "read beside"},
		{"created, in a tmpfs", "created", "/scratch/s1", Gone, "", false, "tmpfs"},
		{"exited, in a volume", "exited", "/data/s1", Intact, "", true, "read through the engine"},
		{"exited, beside a tmpfs with a common prefix", "exited", "/scratchy/s1", Intact, "", true, "read through the engine"},
		{"exited, in the layer", "exited", "/etc/s1", Intact, "", true, "exited (code 0)"},
		{"paused, in a volume", "paused", "/data/s1", Intact, "", true, "paused"},
		{"running, in a tmpfs", "running", "/scratch/s1", Intact, "", false, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fake, _, s := newScenario(t)
			must(t, s.DeclareVolume("data"))
			id := launchRunning(t, s, map[string][]Mount{"app": {
				{Kind: Tmpfs, Target: "/scratch"},
				{Kind: NamedVolume, Source: "data", Target: "/data"},
			}})["app"]
			must(t, s.WriteSentinels(t.Context(), "app", SentinelAt{"s1", tt.path}))
			fake.setState(id, tt.state)
			execsBefore := len(fake.called("Exec"))

			v, err := s.CheckSentinel(t.Context(), "s1", "app")
			readFiles := fake.called("ReadFile")
			switch {
			case tt.readFile && !reflect.DeepEqual(readFiles, []string{"ReadFile " + id + " " + tt.path}):
				t.Errorf("ReadFile calls = %q, want one for %s", readFiles, tt.path)
			case !tt.readFile && len(readFiles) != 0:
				t.Errorf("ReadFile called: %q", readFiles)
			}
			if tt.state != "running" && len(fake.called("Exec")) != execsBefore {
				t.Errorf("the agent was run in a %s container", tt.state)
			}
			beside := fake.called("RunBeside")
			if wantBeside := strings.Contains(tt.how, "beside"); wantBeside != (len(beside) == 1) ||
				wantBeside && !strings.Contains(beside[0], "read /proc/1/root"+tt.path) {
				t.Errorf("RunBeside calls = %q, want one reading /proc/1/root%s: %v", beside, tt.path, wantBeside)
			}
			if tt.wantErr != "" {
				wantInvalid(t, err, tt.wantErr, tt.path)
				return
			}
			must(t, err)
			if v.State != tt.want {
				t.Errorf("state = %v, want %v (%+v)", v.State, tt.want, v)
			}
			if !strings.Contains(v.How, tt.how) || (tt.how == "") != (v.How == "") {
				t.Errorf("how = %q, want it to say %q", v.How, tt.how)
			}
		})
	}
}

func TestConfigureRefusals(t *testing.T) {
	tests := []struct {
		name    string
		change  func(*Scenario) error
		mention string
	}{
		{"a second mount at the same target", func(s *Scenario) error {
			return s.Mount("app", Mount{Kind: Tmpfs, Target: "/data/"})
		}, "already mounted at /data"},
		{"a relative mount target", func(s *Scenario) error {
			return s.Mount("app", Mount{Kind: Tmpfs, Target: "scratch"})
		}, "absolute"},
		{"a mount over the root", func(s *Scenario) error {
			return s.Mount("app", Mount{Kind: NamedVolume, Source: "data", Target: "/"})
		}, "root folder"},
		{"a memory limit too small", func(s *Scenario) error { return s.SetMemoryLimit("app", "1k") }, "below"},
		{"environment without =", func(s *Scenario) error { return s.AddEnv("app", "MODE") }, "NAME=VALUE"},
		{"environment without a name", func(s *Scenario) error { return s.AddEnv("app", "=x") }, "NAME=VALUE"},
		{"an unterminated command", func(s *Scenario) error { return s.SetCommand("app", "sh -c 'x") }, "unterminated"},
		{"an empty log line", func(s *Scenario) error { return s.ReadyOnLog("app", "") }, "empty"},
		{"an empty probe", func(s *Scenario) error { return s.ReadyOnCommand("app", " ") }, "empty command"},
		{"an undeclared container", func(s *Scenario) error { return s.RestartOnFailure("ghost") }, `no container "ghost"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, _, s := newScenario(t)
			must(t, s.DeclareVolume("data"))
			must(t, s.DeclareContainer("app", BuiltinImage))
			must(t, s.Mount("app", Mount{Kind: NamedVolume, Source: "data", Target: "/data"}))
			c, _ := s.Container("app")
			before := c.spec.clone()
			wantInvalid(t, tt.change(s), tt.mention)
			if !reflect.DeepEqual(c.spec, before) {
				t.Errorf("a refused change changed the spec from %+v to %+v", before, c.spec)
			}
		})
	}
}

// Of a removed container, what went with it is gone, and what outlives it is
// read where it was.
func TestSentinelReadRemovedContainer(t *testing.T) {
	fake, _, s := newScenario(t)
	must(t, s.DeclareVolume("data"))
	must(t, s.DeclareHostFolder("shared"))
	launchRunning(t, s, map[string][]Mount{"app": {
		{Kind: Tmpfs, Target: "/scratch"},
		{Kind: AnonymousVolume, Target: "/cache"},
		{Kind: NamedVolume, Source: "data", Target: "/data"},
		{Kind: HostFolder, Source: "shared", Target: "/shared"},
	}})
	must(t, s.WriteSentinels(t.Context(), "app",
		SentinelAt{"layer", "/var/s"}, SentinelAt{"tmpfs", "/scratch/s"}, SentinelAt{"anon", "/cache/s"},
		SentinelAt{"volume", "/data/s"}, SentinelAt{"folder", "/shared/s"}))
	must(t, s.Inject(t.Context(), "app", Remove(false)))
	for name, how := range map[string]string{"layer": "its layer with it", "tmpfs": "its tmpfs at /scratch with it", "anon": "its anonymous volume at /cache with it"} {
		v, err := s.CheckSentinel(t.Context(), name, "app")
		must(t, err)
		if v.State != Gone || !strings.Contains(v.How, how) {
			t.Errorf("%s: %v (%s), want gone with %q", name, v.State, v.How, how)
		}
	}
	readVia := fake.count("ReadVia")
	verdicts, err := s.CheckSentinels(t.Context(), "app", "volume", "layer", "folder")
	must(t, err)
	for _, v := range []Verdict{verdicts[0], verdicts[2]} {
		if v.State != Intact || !strings.Contains(v.How, "outlives it") {
			t.Errorf("%s: %v (%s), want intact, read where it outlives the container", v.Sentinel, v.State, v.How)
		}
	}
	if verdicts[1].State != Gone {
		t.Errorf("layer: %v, want gone", verdicts[1].State)
	}
	via := fake.called("ReadVia")
	if len(via) != readVia+1 || !strings.Contains(via[len(via)-1], "@/data") || !strings.Contains(via[len(via)-1], "@/shared") ||
		strings.Contains(via[len(via)-1], "/var/s") {
		t.Errorf("ReadVia calls %q, want one, mounting the volume and the folder where the container had them, for their paths only", via)
	}
}

// Where a sentinel lives is decided by where the kernel put it, links
// followed, not by the path the step named: through /data-link it lands on
// the volume at /data, and through a link inside the volume it lands in the
// layer. A removed container and another that mounts the volume elsewhere
// are judged by that.
func TestSentinelThroughALinkLivesWhereItLanded(t *testing.T) {
	fake, _, s := newScenario(t)
	fake.links["/data-link"] = "/data"
	fake.links["/data/out"] = "/var/lib/out"
	must(t, s.DeclareVolume("data"))
	launchRunning(t, s, map[string][]Mount{
		"app":    {{Kind: NamedVolume, Source: "data", Target: "/data"}},
		"reader": {{Kind: NamedVolume, Source: "data", Target: "/mnt"}},
	})
	must(t, s.WriteSentinels(t.Context(), "app", SentinelAt{"linked", "/data-link/s"}, SentinelAt{"out", "/data/out/s"}))
	v, err := s.CheckSentinel(t.Context(), "linked", "reader")
	must(t, err)
	if v.Path != "/mnt/s" {
		t.Errorf("the reader looked at %s, want /mnt/s, where it mounts the volume", v.Path)
	}
	must(t, s.Inject(t.Context(), "app", Remove(false)))
	verdicts, err := s.CheckSentinels(t.Context(), "app", "linked", "out")
	must(t, err)
	if v := verdicts[0]; v.State != Intact || v.Path != "/data/s" || !strings.Contains(v.How, "outlives it") || v.WrittenAt != "/data-link/s" {
		t.Errorf("linked: %v at %s written at %q (%s), want intact at /data/s, written at /data-link/s, read where the volume outlives the container", v.State, v.Path, v.WrittenAt, v.How)
	}
	if v := verdicts[1]; v.State != Gone || !strings.Contains(v.How, "its layer with it") || v.Path != "/var/lib/out/s" {
		t.Errorf("out: %v at %s (%s), want gone with the layer, at /var/lib/out/s", v.State, v.Path, v.How)
	}
}

// The image's VOLUMEs are mounts of the instance like the spec's: a sentinel
// there is in an anonymous volume, and a removed container takes it along.
func TestImageVolumesAreMountsOfTheInstance(t *testing.T) {
	fake, _, s := newScenario(t)
	fake.images["img"] = Image{Ref: "img", Volumes: []string{"/anon/", "/data"}}
	must(t, s.DeclareContainer("app", "img"))
	must(t, s.DeclareVolume("data"))
	must(t, s.Mount("app", Mount{Kind: NamedVolume, Source: "data", Target: "/data"}))
	must(t, s.Inject(t.Context(), "app", Launch()))
	must(t, s.WriteSentinels(t.Context(), "app", SentinelAt{"anon", "/anon/s"}))
	must(t, s.Inject(t.Context(), "app", Remove(false)))
	v, err := s.CheckSentinel(t.Context(), "anon", "app")
	must(t, err)
	if v.State != Gone || !strings.Contains(v.How, "the image's VOLUME") {
		t.Errorf("anon: %v (%s), want gone with the image's VOLUME", v.State, v.How)
	}
	if n := len(fake.created[0].Mounts); n != 2 {
		t.Errorf("created with %d mounts, want the named volume and one anonymous volume for /anon", n)
	}
}

// A container that stops with no event of the scenario's stopped on its
// own: that is a finding about the image, not a step asked in the wrong
// state.
func TestContainerThatStoppedOnItsOwnIsAFinding(t *testing.T) {
	fake, _, s := newScenario(t)
	must(t, s.DeclareContainer("app", BuiltinImage))
	must(t, s.Inject(t.Context(), "app", Launch()))
	fake.setState(idOf(t, s, "app"), "exited")
	err := s.WriteSentinels(t.Context(), "app", SentinelAt{"s1", "/data/s1"})
	if KindOf(err) != Finding || !strings.Contains(err.Error(), "on its own") || !strings.Contains(err.Error(), "last event: start") {
		t.Errorf("got %v (%v), want a finding that says it exited on its own, with the last event", err, KindOf(err))
	}
}
