package harness

import (
	"fmt"
	"path"
	"strings"
)

// Storage is where data lives in a container: a row of the ground truth,
// what Docker keeps and drops through a container's lifecycle.
type Storage string

// The kinds of storage, named as the matrix's JSON names them.
const (
	LayerStorage           Storage = "layer"
	ImageVolumeStorage     Storage = "image-volume"
	NamedVolumeStorage     Storage = "named-volume"
	AnonymousVolumeStorage Storage = "anonymous-volume"
	HostFolderStorage      Storage = "host-folder"
	TmpfsStorage           Storage = "tmpfs"
)

// StorageOf returns the kind of storage a mount is; Kind 0 is the layer.
func StorageOf(m Mount) Storage {
	switch {
	case m.Kind == NamedVolume:
		return NamedVolumeStorage
	case m.Kind == AnonymousVolume && m.FromImage:
		return ImageVolumeStorage
	case m.Kind == AnonymousVolume:
		return AnonymousVolumeStorage
	case m.Kind == HostFolder:
		return HostFolderStorage
	case m.Kind == Tmpfs:
		return TmpfsStorage
	}
	return LayerStorage
}

// Truth is an engine's ground truth: whether it keeps data written to a
// kind of storage through what happened since.
type Truth interface {
	Keeps(s Storage, replaced, stopped bool) bool
	// Engine names the engine, for messages: "Docker".
	Engine() string
}

// DockerTruth is Docker's ground truth (Storage.Keeps).
type DockerTruth struct{}

func (DockerTruth) Keeps(s Storage, replaced, stopped bool) bool { return s.Keeps(replaced, stopped) }
func (DockerTruth) Engine() string                               { return "Docker" }

// KubernetesTruth is Kubernetes' ground truth: a crashed container comes
// back in the same pod as a new container, without its writable layer, but
// with the pod's emptyDirs, memory ones included; deleting the pod takes
// those with it. Claims and hostPaths outlive pods.
type KubernetesTruth struct{}

func (KubernetesTruth) Keeps(s Storage, replaced, stopped bool) bool {
	switch s {
	case NamedVolumeStorage, HostFolderStorage:
		return true
	case LayerStorage:
		return !replaced && !stopped
	}
	return !replaced // emptyDir, of either medium
}
func (KubernetesTruth) Engine() string { return "Kubernetes" }

// Keeps reports whether Docker keeps data written to s through what
// happened since: the container replaced by a new one (removed, recreated,
// upgraded), or its processes ended (stopped, killed, restarted, crashed).
// It is the ground truth the built-in features assert and the matrix
// measures against.
//
//	storage                      same container, stopped   new container
//	layer                        kept                      gone
//	named volume, host folder    kept                      kept
//	anonymous volume (any)       kept                      gone
//	tmpfs                        gone                      gone
//
// A pause ends nothing: everything is kept.
func (s Storage) Keeps(replaced, stopped bool) bool {
	switch s {
	case NamedVolumeStorage, HostFolderStorage:
		return true
	case TmpfsStorage:
		return !replaced && !stopped
	}
	return !replaced
}

// phrase names the storage for a sentence: "a named volume".
func (s Storage) phrase() string {
	switch s {
	case NamedVolumeStorage:
		return "a named volume"
	case HostFolderStorage:
		return "a host folder"
	case AnonymousVolumeStorage, ImageVolumeStorage:
		return "an anonymous volume"
	case TmpfsStorage:
		return "a tmpfs"
	}
	return "the container layer"
}

// lives says where path is, by the mount m that holds it (Kind 0: the
// layer): "/data/s is on volume "data"".
func lives(p string, m Mount) string {
	switch StorageOf(m) {
	case NamedVolumeStorage:
		return fmt.Sprintf("%s is on volume %q, mounted at %s", p, m.Source, m.Target)
	case HostFolderStorage:
		return fmt.Sprintf("%s is in host folder %q, mounted at %s", p, m.Source, m.Target)
	case ImageVolumeStorage:
		return fmt.Sprintf("%s is on the anonymous volume the engine mounts for the image's VOLUME %s", p, m.Target)
	case AnonymousVolumeStorage:
		return fmt.Sprintf("%s is on an anonymous volume mounted at %s", p, m.Target)
	case TmpfsStorage:
		return fmt.Sprintf("%s is in a tmpfs mounted at %s", p, m.Target)
	}
	return fmt.Sprintf("%s is in the container layer (no mount covers %s)", p, path.Dir(p))
}

// explain returns the one line that says why a sentinel written at p, on m,
// is in state got when want was expected, given what its container went
// through since the write. existed says a file was at the path before the
// write (the image's, perhaps): a new container shows that file again.
func explain(t Truth, p string, m Mount, h history, want, got State, existed bool) string {
	s := StorageOf(m)
	where := lives(p, m)
	kept := t.Keeps(s, h.replaced, h.stopped)
	events := summary(h.events)
	_, pods := t.(KubernetesTruth)
	switch {
	case pods && kept && got == Intact && h.stopped && !h.replaced && (s == TmpfsStorage || s == AnonymousVolumeStorage):
		return fmt.Sprintf("%s: on %s it is an emptyDir, which belongs to the pod, not to its container, so it is kept through %s", where, t.Engine(), events)
	case pods && !kept && got != Intact && s == LayerStorage && h.stopped && !h.replaced:
		return fmt.Sprintf("%s; %s starts a crashed container again as a new container, from a fresh layer, after %s: mount a volume there to keep it", where, t.Engine(), h.stopper)
	case kept && got == Intact:
		switch s {
		case NamedVolumeStorage, HostFolderStorage:
			return fmt.Sprintf("%s: %s outlives its containers, so Docker keeps the data through %s", where, s.phrase(), events)
		case TmpfsStorage:
			return fmt.Sprintf("%s, and nothing stopped the container since the write (%s): a tmpfs keeps its data while its container runs, and a pause only freezes it", where, events)
		}
		return fmt.Sprintf("%s, and the container was not replaced since the write (%s): a container keeps %s until it is removed", where, events, s.phrase())
	case kept:
		what := "removed it"
		if got == Corrupted {
			what = "changed it"
		}
		return fmt.Sprintf("%s; %s keeps data through %s: something in the container %s (the image's start command?)", where, s.phrase(), events, what)
	case got == Intact:
		return fmt.Sprintf("%s; Docker drops it through %s, yet the bytes written are there: something wrote them again", where, events)
	case got == Corrupted && !existed:
		return fmt.Sprintf("%s; Docker drops it through %s, yet something else is there now: something in the container wrote the path again", where, events)
	}
	// Docker dropped it, as it does.
	back := "so Docker drops it"
	if existed && s != TmpfsStorage {
		back = "so Docker drops the change, and what the image ships at the path, if anything, is back"
	}
	switch s {
	case TmpfsStorage:
		if h.replaced {
			return fmt.Sprintf("%s; a tmpfs lives in memory and goes with its container, and %s made a new container: put data that must survive on a volume", where, article(h.replacer))
		}
		return fmt.Sprintf("%s; a tmpfs lives in memory and is emptied when its container stops, and %s stopped it: put data that must survive on a volume", where, article(h.stopper))
	case ImageVolumeStorage:
		return fmt.Sprintf("%s; each new container gets a fresh one (the old one is left dangling, or removed with the container's volumes), and %s made a new container, %s: mount a named volume at %s to keep it", where, article(h.replacer), back, m.Target)
	case AnonymousVolumeStorage:
		return fmt.Sprintf("%s; each new container gets a fresh one (the old one is left dangling, or removed with the container's volumes), and %s made a new container, %s: mount a named volume at %s to keep it", where, article(h.replacer), back, m.Target)
	}
	if strings.HasPrefix(h.replacer, "remove") {
		return fmt.Sprintf("%s; removing the container removes its layer, %s: mount a volume there to keep it", where, back)
	}
	return fmt.Sprintf("%s; %s starts a new container with a fresh layer, %s: mount a volume there to keep it", where, article(h.replacer), back)
}

// summary lists events as "kill with SIGKILL, then start".
func summary(events []event) string {
	if len(events) == 0 {
		return "no lifecycle event"
	}
	names := make([]string, len(events))
	for i, e := range events {
		names[i] = e.what
	}
	return article(strings.Join(names, ", then "))
}

// article puts "a" or "an" before an event's name where it reads better:
// "a recreate", "an upgrade to x", but "the engine's restart policy".
func article(what string) string {
	switch {
	case what == "" || strings.HasPrefix(what, "the ") || strings.HasPrefix(what, "its ") || strings.HasPrefix(what, "a "):
		return what
	case strings.ContainsAny(what[:1], "aeiou"):
		return "an " + what
	}
	return "a " + what
}
