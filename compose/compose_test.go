package compose

import (
	"context"
	"slices"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"github.com/persistcheck/persistcheck/harness"
)

func load(t *testing.T, file string, env map[string]string) (*Stack, error) {
	t.Helper()
	fsys := fstest.MapFS{
		"app/compose.yaml":   {Data: []byte(file)},
		"app/web/Dockerfile": {Data: []byte("FROM scratch\n")},
	}
	return Load(context.Background(), harness.Source{FS: fsys, Dir: "app"}, "compose.yaml", func(k string) (string, bool) {
		v, ok := env[k]
		return v, ok
	})
}

func TestLoadDeclaresServicesAndVolumes(t *testing.T) {
	st, err := load(t, `
services:
  db:
    image: ${DB_IMAGE:-persistcheck/postgres:15}
    command: ["postgres", "-c", "fsync=off"]
    environment:
      POSTGRES_PASSWORD: secret
    volumes:
      - pgdata:/var/lib/postgresql/data
      - ./backups:/backups
      - /cache
    tmpfs: /run/scratch
    healthcheck:
      test: ["CMD", "pg_isready"]
      interval: 1s
      retries: 5
    restart: on-failure
    mem_limit: 256m
    ports: ["5432:5432"]
    depends_on: [web]
  web:
    build: ./web
volumes:
  pgdata:
`, map[string]string{})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(st.Volumes, []string{"pgdata"}) || !slices.Equal(st.Folders, []string{"./backups"}) {
		t.Errorf("volumes %v, folders %v; want pgdata and ./backups", st.Volumes, st.Folders)
	}
	if len(st.Services) != 2 || st.Services[0].Name != "db" || st.Services[1].Name != "web" {
		t.Fatalf("services %+v, want db and web", st.Services)
	}
	db, web := st.Services[0].Spec, st.Services[1].Spec
	if db.Image != "persistcheck/postgres:15" || !slices.Equal(db.Cmd, []string{"postgres", "-c", "fsync=off"}) ||
		!slices.Equal(db.Env, []string{"POSTGRES_PASSWORD=secret"}) || !db.RestartOnFailure || db.MemoryLimit != 256<<20 {
		t.Errorf("db's spec: %+v", db)
	}
	if db.Health == nil || db.Health.Interval != time.Second || db.Health.Retries != 5 || db.Ready != (harness.ReadyWhenHealthy{}) {
		t.Errorf("db's health check: %+v, readiness %v", db.Health, db.Ready)
	}
	want := []harness.Mount{
		{Kind: harness.Tmpfs, Target: "/run/scratch"},
		{Kind: harness.NamedVolume, Source: "pgdata", Target: "/var/lib/postgresql/data"},
		{Kind: harness.HostFolder, Source: "./backups", Target: "/backups"},
		{Kind: harness.AnonymousVolume, Target: "/cache"},
	}
	if !slices.Equal(db.Mounts, want) {
		t.Errorf("db's mounts %+v, want %+v", db.Mounts, want)
	}
	if web.BuildDir != "app/web" && web.BuildDir != "web" {
		t.Errorf("web is built from %q, want its folder relative to the feature file", web.BuildDir)
	}
	warnings := strings.Join(st.Warnings, "\n")
	for _, w := range []string{`service "db": ports is not used: containers run without a network`, `service "db": depends_on is not used`} {
		if !strings.Contains(warnings, w) {
			t.Errorf("warnings %q lack %q", warnings, w)
		}
	}
}

func TestLoadRefusesWhatItCannotHonour(t *testing.T) {
	for _, tt := range []struct{ name, file, want string }{
		{"an external volume", "services:\n  db:\n    image: x\n    volumes: [data:/d]\nvolumes:\n  data:\n    external: true\n", "external"},
		{"a read-only mount", "services:\n  db:\n    image: x\n    volumes: [data:/d:ro]\nvolumes:\n  data:\n", "read-only"},
		{"restart always", "services:\n  db:\n    image: x\n    restart: always\n", `restart "always" is not supported`},
		{"no image", "services:\n  db:\n    command: [x]\n", "neither an image nor a build"},
		{"not YAML", "services: [", "compose file"},
		{"an undeclared volume", "services:\n  db:\n    image: x\n    volumes: [data:/d]\n", "data"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, err := load(t, tt.file, nil)
			if err == nil || harness.KindOf(err) != harness.Invalid || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("got %v (%v), want an invalid-input error mentioning %q", err, harness.KindOf(err), tt.want)
			}
		})
	}
}
