package powerloss

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// The benchmarks compare a power-loss volume with the plain folder it
// stands in for, one cycle on each in turn so that the load of the
// machine weighs on both alike. Each reports milliseconds per cycle on
// either and their ratio. The container cycle is what the harness pays
// per sentinel; the file cycle shows what the FUSE layer costs on its
// own.

// interleave runs cycle on a plain folder and on a volume by turns.
func interleave(b *testing.B, cycle func(b *testing.B, dir string)) {
	plain, volume := b.TempDir(), mountT(b, Options{}).Path()
	var onPlain, onVolume time.Duration
	for b.Loop() {
		start := time.Now()
		cycle(b, plain)
		mid := time.Now()
		cycle(b, volume)
		onPlain, onVolume = onPlain+mid.Sub(start), onVolume+time.Since(mid)
	}
	ms := func(d time.Duration) float64 { return d.Seconds() * 1e3 / float64(b.N) }
	b.ReportMetric(ms(onPlain), "plain-ms/cycle")
	b.ReportMetric(ms(onVolume), "powerloss-ms/cycle")
	b.ReportMetric(onVolume.Seconds()/onPlain.Seconds(), "ratio")
}

// BenchmarkFileCycle writes 4 KiB, fsyncs, closes and reads it back. The
// plain folder's fsync reaches the disk; the volume's does not (its
// durable state needs to outlive the process, not the host).
func BenchmarkFileCycle(b *testing.B) {
	data := bytes.Repeat([]byte("s"), 4096)
	interleave(b, func(b *testing.B, dir string) {
		p := filepath.Join(dir, "sentinel")
		f, err := os.Create(p)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := f.Write(data); err != nil {
			b.Fatal(err)
		}
		if err := f.Sync(); err != nil {
			b.Fatal(err)
		}
		if err := f.Close(); err != nil {
			b.Fatal(err)
		}
		got, err := os.ReadFile(p)
		if err != nil || !bytes.Equal(got, data) {
			b.Fatalf("read back %d bytes: %v", len(got), err)
		}
	})
}

// BenchmarkContainerCycle runs a container that writes a sentinel with
// fsync and reads it back, on a bind mount of the folder.
func BenchmarkContainerCycle(b *testing.B) {
	image := probeImage(b)
	interleave(b, func(b *testing.B, dir string) {
		if out := docker(b, "run", "--rm", "--network", "none", "-v", dir+":/data", image, "cycle"); out != "ok\n" {
			b.Fatalf("the cycle said %q", out)
		}
	})
}
