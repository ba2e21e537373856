// Package compose turns a Compose file into what a scenario declares: a
// container for each service, under the service's name, and its named
// volumes, so that the usual steps act on "db". It parses the file with
// compose-go, as docker compose does, and reports every key persistcheck
// does not use rather than ignoring it in silence.
package compose

import (
	"context"
	"fmt"
	"path"
	"reflect"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/compose-spec/compose-go/v2/loader"
	"github.com/compose-spec/compose-go/v2/types"

	"github.com/persistcheck/persistcheck/harness"
)

// Stack is what a Compose file declares.
type Stack struct {
	File     string    // where it was read
	Volumes  []string  // named volumes, by their key in the file
	Folders  []string  // host folders: the sources of bind mounts, as written
	Services []Service // in the order of their names
	Warnings []string  // keys persistcheck does not use, and why
}

// Service is one service of a Compose file, as a container to declare.
type Service struct {
	Name string
	Spec harness.ContainerSpec
}

// Load reads the Compose file rel, relative to the feature file of src,
// interpolates ${VAR} from lookup, and returns what it declares. A file that
// does not parse, or asks for what persistcheck cannot honour without
// changing what is stored where (an external volume, a volume driver, a
// build argument), is Invalid.
func Load(ctx context.Context, src harness.Source, rel string, lookup func(string) (string, bool)) (*Stack, error) {
	data, where, err := src.ReadFile(rel)
	if err != nil {
		return nil, err
	}
	env := map[string]string{}
	project, err := loader.LoadWithContext(ctx, types.ConfigDetails{
		WorkingDir:  path.Dir(where),
		ConfigFiles: []types.ConfigFile{{Filename: where, Content: data}},
		Environment: types.Mapping(env),
	}, func(o *loader.Options) {
		o.SetProjectName("persistcheck", true)
		o.SkipNormalization = true
		o.ResolvePaths = false
		o.SkipResolveEnvironment = false
		o.Interpolate.LookupValue = lookup
	})
	if err != nil {
		return nil, harness.Errorf(harness.Invalid, "compose file %s: %v", where, err)
	}
	st := &Stack{File: where}
	dir := path.Dir(rel)
	var volumes []string
	for name, v := range project.Volumes {
		if v.External || v.Driver != "" && v.Driver != "local" || len(v.DriverOpts) > 0 {
			return nil, harness.Errorf(harness.Invalid, "compose file %s: volume %q is external or has a driver or driver options, which persistcheck cannot make: it makes plain local volumes of its own", where, name)
		}
		volumes = append(volumes, name)
	}
	sort.Strings(volumes)
	st.Volumes = volumes
	names := make([]string, 0, len(project.Services))
	for name := range project.Services {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		svc, err := service(project.Services[name], dir, where, st)
		if err != nil {
			return nil, err
		}
		st.Services = append(st.Services, svc)
	}
	return st, nil
}

// used are the keys of a service that persistcheck turns into its
// container's spec.
var used = map[string]bool{
	"image": true, "build": true, "command": true, "entrypoint": true, "environment": true, "env_file": true,
	"volumes": true, "tmpfs": true, "healthcheck": true, "restart": true, "mem_limit": true, "memswap_limit": true,
	"deploy": true, "user": true, "working_dir": true, "init": true, "name": true,
}

// ignored says why keys persistcheck does not use make no difference to
// what a container stores.
var ignored = map[string]string{
	"ports":          "containers run without a network unless a step needs one",
	"expose":         "containers run without a network unless a step needs one",
	"networks":       "containers run without a network unless a step needs one",
	"network_mode":   "containers run without a network unless a step needs one",
	"depends_on":     "a scenario starts each container itself, in the order its steps say",
	"container_name": "containers are named by the scenario, so that scenarios can run side by side",
	"labels":         "containers carry persistcheck's labels",
	"hostname":       "it does not change what is stored",
	"logging":        "the engine's default log is read for evidence",
}

func service(s types.ServiceConfig, dir, where string, st *Stack) (Service, error) {
	svc := Service{Name: s.Name}
	spec := &svc.Spec
	bad := func(format string, args ...any) error {
		return harness.Errorf(harness.Invalid, "compose file %s: service %q: %s", where, s.Name, fmt.Sprintf(format, args...))
	}
	for _, key := range setKeys(s) {
		switch {
		case used[key]:
		case ignored[key] != "":
			st.Warnings = append(st.Warnings, fmt.Sprintf("service %q: %s is not used: %s", s.Name, key, ignored[key]))
		default:
			st.Warnings = append(st.Warnings, fmt.Sprintf("service %q: %s is not used by persistcheck", s.Name, key))
		}
	}
	switch {
	case s.Build != nil:
		if s.Build.Dockerfile != "" && s.Build.Dockerfile != "Dockerfile" || len(s.Build.Args) > 0 || s.Build.Target != "" {
			return svc, bad("build with a Dockerfile of another name, arguments or a target is not supported: build the folder's Dockerfile as it is")
		}
		spec.BuildDir = path.Join(dir, s.Build.Context)
		if s.Image != "" {
			st.Warnings = append(st.Warnings, fmt.Sprintf("service %q: image %s is not used: the service is built from %s", s.Name, s.Image, spec.BuildDir))
		}
	case s.Image != "":
		spec.Image = s.Image
	default:
		return svc, bad("it has neither an image nor a build")
	}
	spec.Entrypoint, spec.Cmd = s.Entrypoint, s.Command
	spec.User, spec.WorkingDir = s.User, s.WorkingDir
	for _, k := range sortedKeys(s.Environment) {
		if v := s.Environment[k]; v != nil {
			spec.Env = append(spec.Env, k+"="+*v)
		}
	}
	switch s.Restart {
	case "", "no":
	case "on-failure":
		spec.RestartOnFailure = true
	default:
		return svc, bad("restart %q is not supported: persistcheck knows no and on-failure, the policies whose restarts a scenario can follow", s.Restart)
	}
	spec.MemoryLimit = int64(s.MemLimit)
	if d := s.Deploy; d != nil && d.Resources.Limits != nil && d.Resources.Limits.MemoryBytes > 0 {
		spec.MemoryLimit = int64(d.Resources.Limits.MemoryBytes)
	}
	if h := s.HealthCheck; h != nil && !h.Disable && len(h.Test) > 0 {
		spec.Health = &harness.Healthcheck{Test: h.Test, Interval: dur(h.Interval), Timeout: dur(h.Timeout), StartPeriod: dur(h.StartPeriod)}
		if h.Retries != nil {
			spec.Health.Retries = int(*h.Retries)
		}
		spec.Ready = harness.ReadyWhenHealthy{}
	}
	for _, t := range s.Tmpfs {
		target, _, _ := strings.Cut(t, ":")
		spec.Mounts = append(spec.Mounts, harness.Mount{Kind: harness.Tmpfs, Target: target})
	}
	for _, v := range s.Volumes {
		if v.ReadOnly {
			return svc, bad("the read-only mount at %s is not supported: persistcheck mounts storage read and write", v.Target)
		}
		m := harness.Mount{Target: v.Target}
		switch {
		case v.Type == types.VolumeTypeVolume && v.Source == "":
			m.Kind = harness.AnonymousVolume
		case v.Type == types.VolumeTypeVolume:
			if !slices.Contains(st.Volumes, v.Source) {
				return svc, bad("volume %q is not declared under the file's volumes", v.Source)
			}
			m.Kind, m.Source = harness.NamedVolume, v.Source
		case v.Type == types.VolumeTypeBind:
			// A host folder of the scenario's own, fresh and empty, in place
			// of the host path: a scenario does not touch the host's files.
			m.Kind, m.Source = harness.HostFolder, v.Source
			if !slices.Contains(st.Folders, v.Source) {
				st.Folders = append(st.Folders, v.Source)
			}
		case v.Type == types.VolumeTypeTmpfs:
			m.Kind = harness.Tmpfs
		default:
			return svc, bad("a mount of type %s at %s is not supported", v.Type, v.Target)
		}
		spec.Mounts = append(spec.Mounts, m)
	}
	return svc, nil
}

func dur(d *types.Duration) time.Duration {
	if d == nil {
		return 0
	}
	return time.Duration(*d)
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// setKeys returns the keys a service sets, by their names in the file.
func setKeys(s types.ServiceConfig) []string {
	var keys []string
	var walk func(v reflect.Value)
	walk = func(v reflect.Value) {
		t := v.Type()
		for i := range t.NumField() {
			f := t.Field(i)
			tag, _, _ := strings.Cut(f.Tag.Get("yaml"), ",")
			switch {
			case f.Anonymous && f.Type.Kind() == reflect.Struct:
				walk(v.Field(i))
			case tag == "" || tag == "-" || strings.HasPrefix(tag, "#") || !f.IsExported():
			case !v.Field(i).IsZero():
				keys = append(keys, tag)
			}
		}
	}
	walk(reflect.ValueOf(s))
	return keys
}
