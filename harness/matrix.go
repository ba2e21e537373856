package harness

import (
	"context"
	"errors"
	"fmt"
	"path"
	"slices"
	"strings"
	"sync"
	"time"
)

// MatrixSpec is what `persistcheck matrix` measures: an image, the paths
// where it keeps data, and how to run and upgrade it.
type MatrixSpec struct {
	Image     string
	Paths     []string  // empty: the image's VOLUMEs and WORKDIR
	Cmd       []string  // empty: the image's command
	Ready     Readiness // nil: running
	UpgradeTo string    // empty: the same image
	// Progress receives a line as each event of each storage kind ends.
	Progress func(string)
}

// MatrixCell is one cell of the matrix: a path, on one kind of storage,
// through one lifecycle event.
type MatrixCell struct {
	Path     string `json:"path"`
	Storage  string `json:"storage"`
	Event    string `json:"event"`
	Expected string `json:"expected"` // kept or gone, by the ground truth
	Observed string `json:"observed"` // kept, gone or corrupted
	Deviates bool   `json:"deviates"`
	Why      string `json:"why,omitempty"`
}

// MatrixResult is a measured matrix.
type MatrixResult struct {
	Image    string        `json:"image"`
	Engine   Identity      `json:"engine"`
	Cells    []MatrixCell  `json:"cells"`
	Warnings []string      `json:"warnings"`
	Took     time.Duration `json:"-"`
}

// Deviations returns the cells that deviate from the ground truth.
func (m MatrixResult) Deviations() []MatrixCell {
	var out []MatrixCell
	for _, c := range m.Cells {
		if c.Deviates {
			out = append(out, c)
		}
	}
	return out
}

// matrixEvent is a column of the matrix: a lifecycle event, what it does to
// a container by the ground truth, and the faults that make it.
type matrixEvent struct {
	name              string
	replaced, stopped bool
	faults            func(spec MatrixSpec, grace time.Duration) []Fault
}

// MatrixEvents are the columns, in the order they are applied: each
// leaves a running container for the next.
var matrixEvents = []matrixEvent{
	{"restart", false, true, func(_ MatrixSpec, g time.Duration) []Fault { return []Fault{Restart(g)} }},
	{"kill-start", false, true, func(_ MatrixSpec, g time.Duration) []Fault { return []Fault{Kill(SIGKILL, g), Start()} }},
	{"stop-start", false, true, func(_ MatrixSpec, g time.Duration) []Fault { return []Fault{Stop(g), Start()} }},
	{"pause-unpause", false, false, func(MatrixSpec, time.Duration) []Fault { return []Fault{Pause(), Unpause()} }},
	{"recreate", true, true, func(MatrixSpec, time.Duration) []Fault { return []Fault{Recreate()} }},
	{"remove-volumes-launch", true, true, func(MatrixSpec, time.Duration) []Fault { return []Fault{Remove(true), LaunchAgain()} }},
	{"upgrade", true, true, func(s MatrixSpec, _ time.Duration) []Fault { return []Fault{Upgrade(s.UpgradeTo)} }},
}

// MatrixEventNames lists the columns of the matrix, in order.
func MatrixEventNames() []string {
	out := make([]string, len(matrixEvents))
	for i, e := range matrixEvents {
		out[i] = e.name
	}
	return out
}

// MatrixStorages lists the rows of the matrix for each path, in order: the
// path as the image leaves it (its layer, or the image's VOLUME), then on
// each kind of storage a scenario can mount there.
var matrixRows = []MountKind{0, NamedVolume, AnonymousVolume, HostFolder, Tmpfs}

// Matrix measures what the image keeps and loses at each path, on each kind
// of storage, through each lifecycle event, against the ground truth
// (Storage.Keeps). A sentinel is planted as an ordinary file directly in
// each path, where the application's own files are, so that whatever the
// image does to its data folder happens to it too; a fresh one before each
// event, checked after it. A row (one kind of storage, every path) takes one
// container through every event; the rows run side by side.
func (r *Run) Matrix(ctx context.Context, spec MatrixSpec) (MatrixResult, error) {
	start := time.Now()
	img, err := r.engine.Image(ctx, spec.Image)
	if err != nil {
		return MatrixResult{}, Wrap("image "+spec.Image, Unknown, err)
	}
	if spec.UpgradeTo == "" {
		spec.UpgradeTo = spec.Image
	} else if _, err := r.engine.Image(ctx, spec.UpgradeTo); err != nil {
		return MatrixResult{}, Wrap("image "+spec.UpgradeTo, Unknown, err)
	}
	if len(spec.Paths) == 0 {
		spec.Paths = append(spec.Paths, img.Volumes...)
		if img.WorkingDir != "" && img.WorkingDir != "/" && !slices.Contains(spec.Paths, img.WorkingDir) {
			spec.Paths = append(spec.Paths, img.WorkingDir)
		}
	}
	if len(spec.Paths) == 0 {
		return MatrixResult{}, Errorf(Invalid, "image %s declares no VOLUME and no WORKDIR, so there is no path where it says it keeps data: name one, e.g. --path /var/lib/app", spec.Image)
	}
	for i, p := range spec.Paths {
		if spec.Paths[i], err = cleanPath(p); err != nil {
			return MatrixResult{}, err
		}
		if spec.Paths[i] == "/" {
			return MatrixResult{}, Errorf(Invalid, "--path / cannot be measured: a volume cannot be mounted over the root folder")
		}
	}
	res := MatrixResult{Image: spec.Image, Engine: IdentityOf(r.engine), Warnings: r.matrixWarnings(ctx, spec, img)}
	rows := make([][]MatrixCell, len(matrixRows))
	errs := make([]error, len(matrixRows))
	var wg sync.WaitGroup
	for i, kind := range matrixRows {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rows[i], errs[i] = r.matrixRow(ctx, spec, img, kind)
		}()
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return MatrixResult{}, err
	}
	for _, p := range spec.Paths {
		for _, row := range rows {
			for _, c := range row {
				if c.Path == p {
					res.Cells = append(res.Cells, c)
				}
			}
		}
	}
	res.Took = time.Since(start)
	return res, nil
}

// matrixRow takes one container, whose paths are all on the storage kind
// (0: as the image leaves them), through every event.
func (r *Run) matrixRow(ctx context.Context, spec MatrixSpec, img Image, kind MountKind) (cells []MatrixCell, err error) {
	s := r.Scenario("matrix "+kind.String(), Source{})
	defer func() {
		_, cerr := s.Close(context.WithoutCancel(ctx), false)
		err = errors.Join(err, cerr)
	}()
	if err := s.DeclareContainer("app", spec.Image); err != nil {
		return nil, err
	}
	c := s.containers["app"]
	c.spec.Cmd, c.spec.Ready = spec.Cmd, spec.Ready
	for i, p := range spec.Paths {
		m := Mount{Kind: kind, Target: p}
		switch kind {
		case 0:
			continue
		case NamedVolume:
			m.Source = fmt.Sprintf("data%d", i+1)
			err = s.DeclareVolume(m.Source)
		case HostFolder:
			m.Source = fmt.Sprintf("folder%d", i+1)
			err = s.DeclareHostFolder(m.Source)
		}
		if err == nil {
			err = s.Mount("app", m)
		}
		if err != nil {
			return nil, err
		}
	}
	if err := s.Inject(ctx, "app", Launch()); err != nil {
		if KindOf(err) == Finding {
			return nil, Errorf(Invalid, "a container of %s with its paths on %s does not start: %v\n    give it a command that keeps it running with --cmd, or say when it is ready with --ready-log or --ready-cmd", spec.Image, rowName(kind), err)
		}
		return nil, err
	}
	for _, e := range matrixEvents {
		var at []SentinelAt
		for _, p := range spec.Paths {
			at = append(at, SentinelAt{Name: e.name + " " + p, Path: path.Join(p, "persistcheck-"+e.name)})
		}
		if err := s.WriteSentinels(ctx, "app", at...); err != nil {
			return nil, Wrap(fmt.Sprintf("%s, before %s", rowName(kind), e.name), Unknown, err)
		}
		for _, f := range e.faults(spec, r.opts.Grace) {
			if err := s.Inject(ctx, "app", f); err != nil {
				return nil, Wrap(fmt.Sprintf("%s, %s", rowName(kind), e.name), Unknown, err)
			}
		}
		names := make([]string, len(at))
		for i, a := range at {
			names[i] = a.Name
		}
		verdicts, err := s.CheckSentinels(ctx, "app", names...)
		if err != nil {
			return nil, Wrap(fmt.Sprintf("%s, after %s", rowName(kind), e.name), Unknown, err)
		}
		for i, v := range verdicts {
			storage := StorageOf(v.spot.at)
			if storage == LayerStorage && s.sentinels[v.Sentinel].mount.Kind != 0 {
				storage = StorageOf(s.sentinels[v.Sentinel].mount)
			}
			keep := r.truth.Keeps(storage, e.replaced, e.stopped)
			cell := MatrixCell{Path: spec.Paths[i], Storage: string(storage), Event: e.name, Expected: "gone", Observed: observed(v.State)}
			if keep {
				cell.Expected = "kept"
			}
			if cell.Deviates = cell.Expected != cell.Observed; cell.Deviates {
				want := Gone
				if keep {
					want = Intact
				}
				cell.Why = s.why(ctx, c, Status{}, v, want) + startCommand(img, spec)
			}
			cells = append(cells, cell)
		}
		if spec.Progress != nil {
			spec.Progress(fmt.Sprintf("%s: %s measured", rowName(kind), e.name))
		}
	}
	return cells, nil
}

func observed(st State) string {
	if st == Intact {
		return "kept"
	}
	return st.String()
}

func rowName(kind MountKind) string {
	return map[MountKind]string{
		0:               "the paths as the image leaves them",
		NamedVolume:     "the paths on named volumes",
		AnonymousVolume: "the paths on anonymous volumes",
		HostFolder:      "the paths on host folders",
		Tmpfs:           "the paths on tmpfs mounts",
	}[kind]
}

// startCommand names what the container runs at start, the first suspect
// when storage loses what Docker keeps.
func startCommand(img Image, spec MatrixSpec) string {
	cmd := spec.Cmd
	if len(cmd) == 0 {
		cmd = img.Cmd
	}
	argv := append(slices.Clone(img.Entrypoint), cmd...)
	if len(argv) == 0 {
		return ""
	}
	return fmt.Sprintf("; the container's start command is %s", quoteCommand(argv))
}

// matrixWarnings says what the image's own design does to data: VOLUMEs
// that a recreate leaves behind, files a volume would be seeded from, a
// default command that exits at once.
func (r *Run) matrixWarnings(ctx context.Context, spec MatrixSpec, img Image) []string {
	var out []string
	for _, v := range img.Volumes {
		out = append(out, fmt.Sprintf("%s is an image VOLUME: data there goes to an anonymous volume, which a recreate or an upgrade leaves behind, dangling, unless a named volume is mounted there", path.Clean(v)))
	}
	labels := r.labels("")
	args := append([]string{"read"}, spec.Paths...)
	res, err := r.engine.RunImage(ctx, spec.Image, args, labels)
	if err == nil && res.ExitCode == 0 {
		var found []agentFound
		if json, err := decodeLines(res.Stdout, len(spec.Paths), &found); err == nil && json {
			for i, f := range found {
				if f.Kind == "folder" && f.Total > 0 {
					names := make([]string, 0, len(f.Entries))
					for _, e := range f.Entries[:min(5, len(f.Entries))] {
						names = append(names, e.Name)
					}
					out = append(out, fmt.Sprintf("the image ships %d files under %s (%s): an empty volume mounted there is seeded with them, and after an upgrade the volume's old copies hide the new image's", f.Total, spec.Paths[i], strings.Join(names, ", ")))
				}
			}
		}
	}
	if len(spec.Cmd) > 0 { // without one, the rows would not start: an error, not a warning
		if exited, code := r.exitsAtOnce(ctx, spec.Image, labels); exited {
			out = append(out, fmt.Sprintf("the image's default command exits at once (code %d): its containers do not keep running unless given a command", code))
		}
	}
	return out
}

// exitsAtOnce runs the image's default command and reports whether it
// ended within a moment.
func (r *Run) exitsAtOnce(ctx context.Context, image string, labels map[string]string) (bool, int) {
	s := r.Scenario("matrix default command", Source{})
	defer s.Close(context.WithoutCancel(ctx), false)
	if s.DeclareContainer("app", image) != nil {
		return false, 0
	}
	err := s.Inject(ctx, "app", Launch())
	if KindOf(err) != Finding {
		return false, 0
	}
	st, _ := s.containers["app"].status(ctx)
	return true, st.ExitCode
}
