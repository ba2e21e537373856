package docker

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"

	"github.com/moby/moby/client"

	"github.com/persistcheck/persistcheck/harness"
)

// Docker labels the anonymous volume it makes for a mount with the labels
// the mount asks for; Podman does not. A container removed without its
// volumes (a recreate, an upgrade) leaves such a volume dangling with
// nothing to find it by. So before such a removal the engine records each
// unlabelled anonymous volume of the container with the container's
// labels: in memory, for RemoveLabelled, and in a file of this process's
// under the temporary folder, for a sweep after a run that died.
type anonymous struct {
	mu      sync.Mutex
	dir     string // where the records of this engine kind live
	records []anonRecord
}

// The records of a process are one per engine kind, shared by all its
// Engines: they are one file.
var (
	anonMu   sync.Mutex
	anonKept = map[string]*anonymous{}
)

// anonymousIn returns this process's records in dir.
func anonymousIn(dir string) *anonymous {
	anonMu.Lock()
	defer anonMu.Unlock()
	if anonKept[dir] == nil {
		anonKept[dir] = &anonymous{dir: dir}
	}
	return anonKept[dir]
}

type anonRecord struct {
	Volume string            `json:"volume"`
	Labels map[string]string `json:"labels"`
}

// keepAnonymous records the unlabelled anonymous volumes of container id,
// which is about to be removed without them.
func (e *Engine) keepAnonymous(ctx context.Context, id string) error {
	res, err := e.cli.ContainerInspect(ctx, id, client.ContainerInspectOptions{})
	if err != nil {
		return err
	}
	c := res.Container
	if c.Config == nil || c.Config.Labels[harness.LabelRun] == "" {
		return nil // not the harness's
	}
	var found []anonRecord
	for _, m := range c.Mounts {
		if m.Type != "volume" || !anonymousName(m.Name) {
			continue
		}
		v, err := e.cli.VolumeInspect(ctx, m.Name, client.VolumeInspectOptions{})
		if err != nil {
			return err
		}
		if v.Volume.Labels[harness.LabelRun] == "" {
			found = append(found, anonRecord{m.Name, c.Config.Labels})
		}
	}
	return e.anon.add(found)
}

// anonymousName reports whether name is one the engine gave a volume.
func anonymousName(name string) bool {
	if len(name) != 64 {
		return false
	}
	return strings.Trim(name, "0123456789abcdef") == ""
}

// file is this process's file of records.
func (a *anonymous) file() string {
	return filepath.Join(a.dir, strings.NewReplacer("/", "_", ":", "_").Replace(harness.Owner())+".jsonl")
}

func (a *anonymous) add(found []anonRecord) error {
	if len(found) == 0 {
		return nil
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	a.records = append(a.records, found...)
	return a.save()
}

// save writes the records to this process's file, or removes the file
// when there are none. The caller holds mu.
func (a *anonymous) save() error {
	if len(a.records) == 0 {
		if err := os.Remove(a.file()); err != nil && !errors.Is(err, os.ErrNotExist) {
			return err
		}
		return nil
	}
	if err := os.MkdirAll(a.dir, 0o700); err != nil {
		return fmt.Errorf("record dangling anonymous volumes: %w", err)
	}
	return writeRecords(a.file(), a.records)
}

func writeRecords(file string, records []anonRecord) error {
	var b strings.Builder
	enc := json.NewEncoder(&b)
	for _, r := range records {
		if err := enc.Encode(r); err != nil {
			return err
		}
	}
	tmp := file + ".tmp"
	if err := os.WriteFile(tmp, []byte(b.String()), 0o600); err != nil {
		return fmt.Errorf("record dangling anonymous volumes: %w", err)
	}
	return os.Rename(tmp, file)
}

// matching returns the recorded volumes whose labels match, as Labelled
// names them.
func (a *anonymous) matching(match func(map[string]string) bool) []string {
	a.mu.Lock()
	defer a.mu.Unlock()
	var out []string
	for _, r := range a.records {
		if match(r.Labels) {
			out = append(out, "volume "+r.Volume)
		}
	}
	return out
}

// remove removes the recorded volumes whose labels match, and forgets
// them; those it could not remove stay recorded. Other scenarios record
// and remove meanwhile: the lock is not held while volumes are removed.
func (a *anonymous) remove(ctx context.Context, e *Engine, match func(map[string]string) bool) ([]string, error) {
	a.mu.Lock()
	var mine, rest []anonRecord
	for _, r := range a.records {
		if match(r.Labels) {
			mine = append(mine, r)
		} else {
			rest = append(rest, r)
		}
	}
	a.records = rest
	a.mu.Unlock()
	if len(mine) == 0 {
		return nil, nil
	}
	left, removed, errs := e.removeRecorded(ctx, mine, func(map[string]string) bool { return true })
	a.mu.Lock()
	defer a.mu.Unlock()
	a.records = append(a.records, left...)
	return removed, errors.Join(append(errs, a.save())...)
}

// sweep removes the volumes recorded by any process of this engine kind
// whose labels dead accepts, and rewrites or deletes the files.
func (a *anonymous) sweep(ctx context.Context, e *Engine, dead func(map[string]string) bool) ([]string, error) {
	files, _ := filepath.Glob(filepath.Join(a.dir, "*.jsonl"))
	var removed []string
	var errs []error
	for _, file := range files {
		if file == a.file() {
			continue // this process's own: RemoveLabelled's
		}
		records, err := readRecords(file)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		left, gone, rerrs := e.removeRecorded(ctx, records, dead)
		removed, errs = append(removed, gone...), append(errs, rerrs...)
		if len(left) == 0 {
			err = os.Remove(file)
		} else if len(left) < len(records) {
			err = writeRecords(file, left)
		}
		if err != nil {
			errs = append(errs, err)
		}
	}
	return removed, errors.Join(errs...)
}

// removeRecorded removes the volumes of the records match accepts, and
// returns the records left.
func (e *Engine) removeRecorded(ctx context.Context, records []anonRecord, match func(map[string]string) bool) (left []anonRecord, removed []string, errs []error) {
	for _, r := range records {
		if !match(r.Labels) {
			left = append(left, r)
			continue
		}
		switch err := e.removeVolume(ctx, r.Volume); {
		case err == nil:
			removed = append(removed, "volume "+r.Volume)
		case isGone(err):
		default:
			left = append(left, r)
			errs = append(errs, fail("remove dangling anonymous volume "+r.Volume, err))
		}
	}
	return left, removed, errs
}

func readRecords(file string) ([]anonRecord, error) {
	f, err := os.Open(file)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var out []anonRecord
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		var r anonRecord
		if json.Unmarshal(sc.Bytes(), &r) == nil && r.Volume != "" {
			out = append(out, r)
		}
	}
	return out, sc.Err()
}
