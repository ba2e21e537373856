package examples

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"time"

	"github.com/persistcheck/persistcheck/harness"
)

// rootfs is how the base image is made: a root file system from debootstrap,
// tidied as Debian's official images are, then imported with a config.
// Everything that changes the result is a field, so that its digest names
// the result.
type rootfs struct {
	Suite   string
	Mirror  string
	Args    []string   // debootstrap's options
	Remove  []string   // globs, under the root, removed after debootstrap
	Files   []rootFile // written over what debootstrap made
	Changes []string   // Dockerfile instructions applied to the image's config
}

type rootFile struct {
	Path string
	Mode fs.FileMode
	Data string
}

var baseRecipe = rootfs{
	Suite:  "bookworm",
	Mirror: "http://deb.debian.org/debian",
	Args:   []string{"--variant=minbase"},
	Remove: []string{
		"etc/apt/sources.list", // replaced by debian.sources
		"etc/hostname",         // the host's: the engine provides its own
		"var/cache/apt/archives/*.deb",
		"var/lib/apt/lists/*",
		"var/log/*.log",
		"var/log/apt/*",
	},
	Files: []rootFile{
		{"etc/resolv.conf", 0o644, ""}, // the host's: the engine provides its own
		{"etc/apt/sources.list.d/debian.sources", 0o644, `Types: deb
URIs: http://deb.debian.org/debian
Suites: bookworm bookworm-updates
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg

Types: deb
URIs: http://deb.debian.org/debian-security
Suites: bookworm-security
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
`},
		// Installing a server must not start it in the build.
		{"usr/sbin/policy-rc.d", 0o755, "#!/bin/sh\nexit 101\n"},
		// Downloaded packages are not kept in the image's layers.
		{"etc/apt/apt.conf.d/docker-clean", 0o644, `DPkg::Post-Invoke { "rm -f /var/cache/apt/archives/*.deb /var/cache/apt/archives/partial/*.deb /var/cache/apt/*.bin || true"; };
APT::Update::Post-Invoke { "rm -f /var/cache/apt/archives/*.deb /var/cache/apt/archives/partial/*.deb /var/cache/apt/*.bin || true"; };
Dir::Cache::pkgcache "";
Dir::Cache::srcpkgcache "";
`},
		{"etc/apt/apt.conf.d/docker-no-languages", 0o644, "Acquire::Languages \"none\";\n"},
		// A build is thrown away when it fails: dpkg need not fsync.
		{"etc/dpkg/dpkg.cfg.d/docker-apt-speedup", 0o644, "force-unsafe-io\n"},
	},
	Changes: []string{
		"ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
		`CMD ["bash"]`,
	},
}

// digest identifies the recipe: the hash of all its fields.
func (r rootfs) digest() string {
	data, err := json.Marshal(r)
	if err != nil {
		panic(err) // strings and numbers only
	}
	sum := sha256.Sum256(data)
	return hex.EncodeToString(sum[:])
}

// ensureDebian makes sure the engine has the base image of digest, named
// Base too: found by its pinned name, imported again from the cached root
// file system, or made with debootstrap.
func ensureDebian(ctx context.Context, eng Engine, log io.Writer, digest string) error {
	pinned := pin(Base, digest)
	found, err := eng.HasImage(ctx, pinned)
	if err != nil || found {
		if err == nil {
			err = eng.Tag(ctx, pinned, Base)
			fmt.Fprintf(log, "%-28s found (%s)\n", Base, pinned)
		}
		return err
	}
	dir, err := cacheDir()
	if err != nil {
		return err
	}
	// Another process may be making the same one: wait for it, then use
	// what it made.
	unlock, err := lock(ctx, filepath.Join(dir, "debian-"+digest[:12]+".lock"), log)
	if err != nil {
		return err
	}
	defer unlock()
	if found, err := eng.HasImage(ctx, pinned); err != nil || found {
		if err == nil {
			err = eng.Tag(ctx, pinned, Base)
			fmt.Fprintf(log, "%-28s found (%s)\n", Base, pinned)
		}
		return err
	}

	start := time.Now()
	tarball := filepath.Join(dir, "debian-"+baseRecipe.Suite+"-"+digest[:12]+".tar")
	how := "imported from " + tarball
	if _, err := os.Stat(tarball); errors.Is(err, fs.ErrNotExist) {
		fmt.Fprintf(log, "%-28s debootstrap %s from %s (about 2 minutes)...\n", Base, baseRecipe.Suite, baseRecipe.Mirror)
		if err := baseRecipe.make(ctx, tarball); err != nil {
			return harness.Wrap("make the root file system of "+Base, harness.Infrastructure, err)
		}
		how = "made with debootstrap, kept in " + tarball
	}
	f, err := os.Open(tarball)
	if err != nil {
		return harness.Wrap("import "+Base, harness.Infrastructure, err)
	}
	defer f.Close()
	if err := eng.Import(ctx, f, baseRecipe.Changes, pinned, Base); err != nil {
		return err
	}
	fmt.Fprintf(log, "%-28s %s in %s (%s)\n", Base, how, time.Since(start).Round(100*time.Millisecond), pinned)
	return nil
}

// cacheDir is where root file systems are kept between runs:
// $XDG_CACHE_HOME/persistcheck, or ~/.cache/persistcheck.
func cacheDir() (string, error) {
	dir, err := os.UserCacheDir()
	if err != nil {
		return "", harness.Wrap("find a cache folder", harness.Infrastructure, err)
	}
	dir = filepath.Join(dir, "persistcheck")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", harness.Wrap("make the cache folder", harness.Infrastructure, err)
	}
	return dir, nil
}
