package harness

import (
	"context"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
)

// Every is the bound of a check that allows no loss at all.
const Every = -1

// ExpectRecords checks the file of the append workload that wrote to file
// against its history, read in the container name (where it mounts the
// same storage, when another container wrote it): with maxLost Every, that
// every acknowledged record is intact and nothing else is there; otherwise
// that at most maxLost acknowledged records are lost or corrupted. At most
// one record may be torn, at the tail. A check with nothing acknowledged
// to check fails: it would prove nothing.
func (s *Scenario) ExpectRecords(ctx context.Context, name, file string, maxLost int) error {
	c, err := s.Container(name)
	if err != nil {
		return err
	}
	p, err := cleanPath(file)
	if err != nil {
		return err
	}
	var w *workload
	for _, x := range s.workloads {
		if x.kind == "append" && x.file == p && (w == nil || x.c == c) {
			w = x
		}
	}
	if w == nil {
		return Errorf(Invalid, "no records were appended to %s in this scenario; start appending first: When %q starts appending records to %q", p, name, p)
	}
	ctx, cancel := context.WithTimeout(ctx, s.run.opts.Timeout)
	defer cancel()
	snap := w.hist.Snapshot() // what was acknowledged before the file is read
	at := w.placed.spotIn(c)
	found, err := c.read(ctx, at)
	if err != nil {
		return Wrap(fmt.Sprintf("read %s in %q", at.path, name), Unknown, deadline(ctx, err))
	}
	f := found[0]
	rc := checkRecords(w.id, snap, w.hist.Snapshot().Attempted, f.Data)
	bad := rc.lostOrCorrupted()
	var headline string
	switch {
	case len(snap.Acked) == 0:
		headline = fmt.Sprintf("no record appended to %s was acknowledged, so there is nothing to check: wait for some first, e.g. %q has acknowledged at least 100 records", p, w.c.name)
	case !f.Exists || f.Kind != "file":
		rc.Lost = snap.Acked
		headline = fmt.Sprintf("all %d acknowledged records in %s are lost: %s", len(snap.Acked), at.path, missing(f))
	case maxLost == Every && (len(bad) > 0 || rc.damaged()):
		headline = fmt.Sprintf("%d of %d acknowledged records in %s are lost or corrupted: %s", len(bad), len(snap.Acked), at.path, ranges(bad))
		if len(bad) == 0 {
			headline = fmt.Sprintf("%s holds more than the records of %s, intact", at.path, w)
		}
	case maxLost != Every && len(bad) > maxLost:
		headline = fmt.Sprintf("%d of %d acknowledged records in %s are lost or corrupted, more than the %d allowed: %s", len(bad), len(snap.Acked), at.path, maxLost, ranges(bad))
	default:
		return nil
	}
	if f.how != "" {
		headline += " (" + f.how + ")"
	}
	got := Gone
	if len(rc.Corrupted) > 0 || len(rc.Garbled) > 0 || len(rc.Found) > 0 && f.Exists {
		got = Corrupted
	}
	why := s.durabilityWhy(c, w, at, got, rc)
	return Errorf(Finding, "%s\n    why: %s\n%s\n    where: %s\n%s", headline, why, rc.detail(), lives(at.path, at.at), c.evidence(ctx, Status{}))
}

func missing(f reading) string {
	if !f.Exists {
		return "the file is not there"
	}
	return "it is a " + f.Kind + ", not a file"
}

// durabilityWhy explains a loss of acknowledged records in one line: the
// ground truth where the storage dropped them, and otherwise what it means
// that records acknowledged last did not survive.
func (s *Scenario) durabilityWhy(c *Container, w *workload, at spot, got State, rc RecordCheck) string {
	writer := w.c
	var st Status
	if writer.id != "" {
		st, _ = writer.engine().Inspect(context.Background(), writer.id)
	}
	h := writer.since(w.placed.events, w.placed.instance, w.placed.restarts, st)
	kept := s.run.truth.Keeps(StorageOf(at.at), h.replaced, h.stopped)
	bad := rc.lostOrCorrupted()
	tail := len(bad) > 0 && len(bad) < len(rc.History.Acked) && slices.Equal(bad, rc.History.Acked[len(rc.History.Acked)-len(bad):])
	powerCut := slices.ContainsFunc(h.events, func(e event) bool { return strings.HasPrefix(e.what, "power cut") })
	switch {
	case kept && powerCut && !w.fsync:
		return fmt.Sprintf("%s; the records were acknowledged without fsync, and a power cut throws away what was never made durable: acknowledge after fsync to keep them", lives(at.path, at.at))
	case kept && powerCut:
		return fmt.Sprintf("%s; the records were fsynced before they were acknowledged, yet a power cut lost them: the storage did not keep what fsync promised", lives(at.path, at.at))
	case kept && tail && !w.fsync:
		return fmt.Sprintf("%s; the records acknowledged last were never fsynced, and what is not fsynced is not durable: %s kept the rest through %s", lives(at.path, at.at), StorageOf(at.at).phrase(), summary(h.events))
	case kept && tail:
		return fmt.Sprintf("%s; the records acknowledged last did not survive %s although each was fsynced before it was acknowledged: the storage did not keep what fsync promised", lives(at.path, at.at), summary(h.events))
	}
	return explain(s.run.truth, at.path, at.at, h, Intact, got, false)
}

// ExpectListed runs the listing command line in the running container name
// and checks its output against the history of the last set workload (run
// in name, or else anywhere in the scenario): with maxMissing Every, that
// every acknowledged n is listed; otherwise that at most maxMissing are
// not. The first whole number of each line of output is the n it lists. A
// listing that fails is a finding, with its exit code and output.
func (s *Scenario) ExpectListed(ctx context.Context, name, line string, maxMissing int) error {
	argv, err := SplitCommand(line)
	if err != nil {
		return err
	}
	c, err := s.Container(name)
	if err != nil {
		return err
	}
	w := s.lastWorkload(name, "set")
	for i := len(s.workloads) - 1; w == nil && i >= 0; i-- {
		if s.workloads[i].kind == "set" {
			w = s.workloads[i]
		}
	}
	if w == nil {
		return Errorf(Invalid, "no command was run for n in this scenario; run one first: When I run \"redis-cli SET k{n} v{n}\" in %q for n from 1 to 100", name)
	}
	ctx, cancel := context.WithTimeout(ctx, s.run.opts.Timeout)
	defer cancel()
	if _, err := c.require(ctx, "list what was kept in", "running"); err != nil {
		return err
	}
	snap := w.hist.Snapshot() // what was acknowledged before the listing runs
	res, err := c.engine().Exec(ctx, c.id, argv)
	attempted := w.hist.Snapshot().Attempted // how far it got while the listing ran
	if err != nil {
		return Wrap(fmt.Sprintf("run %s in %q", quoteCommand(argv), name), Unknown, deadline(ctx, err))
	}
	if res.ExitCode != 0 {
		return Errorf(Finding, "the listing %s in %q exited %d, so it lists nothing of the %d acknowledged (the table or the key space is gone?)%s\n    history: %s\n%s",
			quoteCommand(argv), name, res.ExitCode, len(snap.Acked), output(res), snap, c.evidence(ctx, Status{}))
	}
	listed := listedNumbers(res.Stdout)
	var lost, unexpected []int
	for _, n := range snap.Acked {
		if !listed[n] {
			lost = append(lost, n)
		}
	}
	for n := range listed {
		if n < 1 || n > attempted {
			unexpected = append(unexpected, n)
		}
	}
	slices.Sort(unexpected)
	var headline string
	switch {
	case len(snap.Acked) == 0:
		headline = fmt.Sprintf("no run of %s was acknowledged, so there is nothing to check", quoteCommand(w.command))
	case maxMissing == Every && (len(lost) > 0 || len(unexpected) > 0):
		headline = fmt.Sprintf("%d of %d acknowledged n are missing from %s in %q: %s", len(lost), len(snap.Acked), quoteCommand(argv), name, ranges(lost))
		if len(lost) == 0 {
			headline = fmt.Sprintf("%s in %q lists n that were never attempted: %s", quoteCommand(argv), name, ranges(unexpected))
		}
	case maxMissing != Every && len(lost) > maxMissing:
		headline = fmt.Sprintf("%d of %d acknowledged n are missing from %s in %q, more than the %d allowed: %s", len(lost), len(snap.Acked), quoteCommand(argv), name, maxMissing, ranges(lost))
	default:
		return nil
	}
	detail := fmt.Sprintf("    history of %s: %s\n    listed: %d numbers", w, snap, len(listed))
	if len(unexpected) > 0 {
		detail += fmt.Sprintf("; never attempted: %s", ranges(unexpected))
	}
	return Errorf(Finding, "%s\n%s\n%s", headline, detail, c.evidence(ctx, Status{}))
}

var firstNumber = regexp.MustCompile(`[0-9]+`)

// listedNumbers takes the first whole number of each line of out.
func listedNumbers(out []byte) map[int]bool {
	listed := map[int]bool{}
	for _, line := range strings.Split(string(out), "\n") {
		if m := firstNumber.FindString(line); m != "" {
			if n, err := strconv.Atoi(m); err == nil {
				listed[n] = true
			}
		}
	}
	return listed
}

// output quotes what a command printed, for a message.
func output(res ExecResult) string {
	out := strings.TrimSpace(string(res.Stdout) + string(res.Stderr))
	if out == "" {
		return "; it printed nothing"
	}
	return "; it printed:\n" + indent(indent(out))
}
