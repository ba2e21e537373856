# persistcheck: the main job, the tests, and the measurements.
#   make run     the built-in scenarios on the built-in images
#   make test    every test: units, the real engine, the features, with -race
#   make bench   the canonical cycle through the harness against the raw engine
#   make images  the example databases' images, built where missing (root, the first time)

GO ?= go

.PHONY: run test bench lint sweep build release images matrix-png

run:
	$(GO) run ./cmd/persistcheck run

test:
	$(GO) test -race -count=1 ./...

build:
	$(GO) build -o persistcheck ./cmd/persistcheck

# Release binaries carry the agent, compiled for each architecture, so that
# a machine without Go can build the built-in image: dist/persistcheck-linux-*.
VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
ARCHES ?= amd64 arm64
release:
	rm -rf fixtures/prebuilt dist
	$(GO) run ./fixtures/prebuild fixtures/prebuilt $(ARCHES)
	for arch in $(ARCHES); do \
	  CGO_ENABLED=0 GOOS=linux GOARCH=$$arch $(GO) build -tags release -trimpath \
	    -ldflags "-s -w -X main.version=$(VERSION)" -o dist/persistcheck-linux-$$arch ./cmd/persistcheck || exit 1; \
	done
	cd dist && sha256sum persistcheck-linux-* > SHA256SUMS

# The ratio is the harness's time per cycle over the raw engine's: what the
# harness adds, all checks included, to the work the engine must do anyway.
bench:
	$(GO) test -run '^$$' -bench 'Cycle' -benchtime 10x ./harness/docker/ | tee /dev/stderr | \
	  awk '/^BenchmarkRawCycle/ {raw=$$3} /^BenchmarkHarnessCycle/ {h=$$3} \
	       END {if (raw && h) printf "harness/raw = %.2f (%.2f s against %.2f s per cycle)\n", h/raw, h/1e9, raw/1e9}'

# Debian made with debootstrap, then PostgreSQL, MariaDB, Redis and SQLite
# FROM it; each is built only when the engine lacks its recipe's digest.
images:
	$(GO) run ./cmd/images

lint:
	$(GO) vet ./...
	$(GO) run honnef.co/go/tools/cmd/staticcheck@v0.8.2 ./...
	$(GO) run github.com/rhysd/actionlint/cmd/actionlint@v1.7.12
	$(GO) run github.com/rhysd/actionlint/cmd/actionlint@v1.7.12 examples/release-gate/.github/workflows/release-gate.yml

sweep:
	$(GO) run ./cmd/persistcheck sweep

# The matrix of the built-in image as a page, rendered in headless Chromium:
# the picture in the README.
matrix-png:
	docs/render-matrix.sh persistcheck/app docs/matrix.png --path /data
