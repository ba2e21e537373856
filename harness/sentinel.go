package harness

import (
	"context"
	"fmt"
	"path"
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"
)

// sentinel is a file with content unique to one write of one run, so that no
// file left by anything else can pass for it.
type sentinel struct {
	name    string
	content []byte
	placed
}

// placed is a file a container wrote: where the step said, and where it
// really landed.
type placed struct {
	path   string // where it was written, in the writer, as the step says
	writer string
	landed // where it really is, links followed
}

// SentinelAt names a sentinel and where to write it.
type SentinelAt struct {
	Name string
	Path string
}

// WriteSentinels writes each sentinel, with fresh unique content, from inside
// the running container name, in one run of the agent, and fsyncs it.
// Writing a name again replaces the earlier sentinel of that name.
func (s *Scenario) WriteSentinels(ctx context.Context, name string, list ...SentinelAt) error {
	c, err := s.Container(name)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, s.run.opts.Timeout)
	defer cancel()
	written := make([]*sentinel, len(list))
	files := make([]fileContent, len(list))
	for i, at := range list {
		p, err := cleanPath(at.Path)
		if err != nil {
			return err
		}
		sn := &sentinel{
			name:   at.Name,
			placed: placed{path: p, writer: name},
			content: fmt.Appendf(nil, "persistcheck sentinel %q\nwritten to %s in %q at %s\nrun %s scenario %s\nnonce %s\n",
				at.Name, p, name, time.Now().UTC().Format(time.RFC3339Nano), s.run.ID, s.ID, uuid.NewString()),
		}
		written[i], files[i] = sn, fileContent{p, sn.content}
	}
	where, err := c.write(ctx, files...)
	if err != nil {
		return Wrap(fmt.Sprintf("write %s in %q", sentinelNames(list), name), Unknown, deadline(ctx, err))
	}
	for i, sn := range written {
		sn.landed = where[i]
		s.sentinels[sn.name] = sn
	}
	return nil
}

func sentinelNames(list []SentinelAt) string {
	if len(list) == 1 {
		return fmt.Sprintf("sentinel %q to %s", list[0].Name, list[0].Path)
	}
	names := make([]string, len(list))
	for i, at := range list {
		names[i] = strconv.Quote(at.Name)
	}
	return "sentinels " + strings.Join(names, ", ")
}

// CheckSentinel reads the sentinel named in the container name and judges
// what it finds. In another container than the writer, a sentinel written to
// a named volume or a host folder is looked for where that container mounts
// the same storage; anything else at the same path.
func (s *Scenario) CheckSentinel(ctx context.Context, sentinelName, name string) (Verdict, error) {
	vs, err := s.CheckSentinels(ctx, name, sentinelName)
	if err != nil {
		return Verdict{}, err
	}
	return vs[0], nil
}

// CheckSentinels is CheckSentinel for several sentinels, read in one go.
func (s *Scenario) CheckSentinels(ctx context.Context, name string, sentinelNames ...string) ([]Verdict, error) {
	c, err := s.Container(name)
	if err != nil {
		return nil, err
	}
	sns := make([]*sentinel, len(sentinelNames))
	spots := make([]spot, len(sentinelNames))
	paths := make([]string, len(sentinelNames))
	for i, sentinelName := range sentinelNames {
		sn, ok := s.sentinels[sentinelName]
		if !ok {
			return nil, Errorf(Invalid, "no sentinel %q was written in this scenario; write it first: When I write a sentinel %q to \"/data/%s\" in %q", sentinelName, sentinelName, sentinelName, name)
		}
		sns[i], spots[i] = sn, sn.spotIn(c)
		paths[i] = spots[i].path
	}
	ctx, cancel := context.WithTimeout(ctx, s.run.opts.Timeout)
	defer cancel()
	found, err := c.read(ctx, spots...)
	if err != nil {
		return nil, Wrap(fmt.Sprintf("read %s in %q", strings.Join(paths, ", "), name), Unknown, deadline(ctx, err))
	}
	verdicts := make([]Verdict, len(sns))
	for i, sn := range sns {
		verdicts[i] = judge(sn, name, spots[i], found[i].File, found[i].how)
	}
	return verdicts, nil
}

// spotIn returns where the sentinel is to be found in c, judged by where it
// really landed, not by the path the step wrote to: a link may have taken
// it onto a volume or off one. Storage that outlives containers is looked
// for wherever c mounts it; the writer's own anonymous volume or tmpfs where
// the writer mounts it; anything else at the path it landed at.
func (sn *placed) spotIn(c *Container) spot {
	for _, m := range c.launched.Mounts {
		same := m.Kind == sn.mount.Kind && m.Source == sn.mount.Source
		if sn.mount.Kind != 0 && !sn.mount.Kind.outlives() {
			same = same && c.name == sn.writer && m.Target == sn.mount.Target
		}
		if sn.mount.Kind != 0 && same {
			return spot{path.Join(m.Target, sn.rel), m}
		}
	}
	return c.spotOf(sn.real)
}

// SentinelState is a sentinel and the state expected of it.
type SentinelState struct {
	Name  string
	State State
}

// ExpectSentinels checks each sentinel in the container name, and returns
// nil when every one is in its expected state. Otherwise it returns one
// Finding that names every sentinel that is not, with why in one line, what
// was found, the listing of its folder, and, once, the evidence of the
// container: its state, its last event, its mounts and its log.
func (s *Scenario) ExpectSentinels(ctx context.Context, name string, want ...SentinelState) error {
	names := make([]string, len(want))
	for i, w := range want {
		names[i] = w.Name
	}
	verdicts, err := s.CheckSentinels(ctx, name, names...)
	if err != nil {
		return err
	}
	var wrong []Verdict
	var wanted []State
	for i, v := range verdicts {
		if v.State != want[i].State {
			wrong, wanted = append(wrong, v), append(wanted, want[i].State)
		}
	}
	if len(wrong) == 0 {
		return nil
	}
	c, _ := s.Container(name)
	st, folders := s.inspectFailure(ctx, c, wrong)
	var b strings.Builder
	for i, v := range wrong {
		if i > 0 {
			b.WriteString("\n")
		}
		b.WriteString(s.report(ctx, c, st, v, wanted[i], folders[i]))
	}
	b.WriteString("\n" + c.evidence(ctx, st))
	return Errorf(Finding, "%s", b.String())
}

// inspectFailure reads what a failure message shows beyond the verdicts:
// the container's status and the folder of each wrong sentinel. What it
// cannot read it says so in the listing.
func (s *Scenario) inspectFailure(ctx context.Context, c *Container, wrong []Verdict) (Status, []string) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), evidenceTimeout)
	defer cancel()
	var st Status
	if c.id != "" {
		st, _ = c.engine().Inspect(ctx, c.id)
	}
	folders := make([]string, len(wrong))
	parents := make([]spot, len(wrong))
	for i, v := range wrong {
		parents[i] = v.spot.parent()
	}
	found, err := c.read(ctx, parents...)
	for i, p := range parents {
		switch {
		case err != nil:
			folders[i] = fmt.Sprintf("folder %s: could not be read: %v", p.path, err)
		case !found[i].Exists && found[i].how != "" && c.id == "":
			folders[i] = fmt.Sprintf("folder %s: %s", p.path, found[i].how)
		default:
			folders[i] = listing(p.path, found[i].File)
		}
	}
	return st, folders
}

// report renders one wrong verdict: the claim, why in one line, what was
// found and where, and the listing of its folder.
// st is c's status.
func (s *Scenario) report(ctx context.Context, c *Container, st Status, v Verdict, want State, folder string) string {
	return fmt.Sprintf("sentinel %q in %q is %s, expected %s\n    why: %s\n    found: %s%s\n    %s",
		v.Sentinel, v.Container, v.State, want, s.why(ctx, c, st, v, want), v.found(), paren(v.How), folder)
}

// why explains in one line why a sentinel checked in c (whose status is
// st) is in the state the verdict found, when want was expected.
func (s *Scenario) why(ctx context.Context, c *Container, st Status, v Verdict, want State) string {
	sn := s.sentinels[v.Sentinel]
	if c.name != sn.writer && !(v.spot.at.Kind.outlives() && v.spot.at.Source == sn.mount.Source) {
		return fmt.Sprintf("%q does not mount the storage %q was written to (%s, in %q), so it is looked for in its own: %s",
			c.name, v.Sentinel, lives(sn.real, sn.mount), sn.writer, lives(v.Path, v.spot.at))
	}
	w, _ := s.Container(sn.writer)
	if w != c {
		st = Status{}
		if w.id != "" {
			ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), evidenceTimeout)
			st, _ = w.engine().Inspect(ctx, w.id)
			cancel()
		}
	}
	return explain(s.run.truth, v.Path, v.spot.at, w.since(sn.events, sn.instance, sn.restarts, st), want, v.State, sn.existed)
}
