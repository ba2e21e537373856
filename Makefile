# persistcheck: the main job, the tests, and the measurements.
#   make run     the built-in scenarios on the built-in images
#   make test    every test: units, the real engine, the features, with -race
#   make test-podman  the engine's tests again, on the Podman DOCKER_HOST names
#   make bench   the canonical cycle through the harness against the raw engine
#   make images  the example databases' images, built where missing (root, the first time)
#   make cluster the local single-node Kubernetes cluster (cluster/): build if needed, start

GO ?= go

.PHONY: run test test-podman bench lint sweep build release images matrix-png cluster cluster-build cluster-down cluster-clean cluster-status cluster-test

run:
	$(GO) run ./cmd/persistcheck run

# On a fresh machine the examples' tests build the databases' images first,
# side by side with the other packages: longer than go test's default 10m.
test:
	$(GO) test -race -count=1 -timeout 30m ./...

# The packages that talk to a container engine, on the Podman that
# DOCKER_HOST names (.ci/podman.sh starts one and runs this).
test-podman:
	@case "$$DOCKER_HOST" in "") echo "make test-podman: point DOCKER_HOST at Podman's socket (.ci/podman.sh starts one)" >&2; exit 2;; esac
	PERSISTCHECK_ENGINE=podman $(GO) test -race -count=1 -timeout 30m . ./features ./cmd/persistcheck ./harness/docker

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

# The whole persistcheck process against the raw Engine API, cycle by cycle
# and by turns, for the built-in image and for one without the agent; the
# speed-up of 4 cycles at a time against the engine's own; and 200 scenarios
# for flatness, memory and leftovers. The README quotes what it printed.
bench:
	$(GO) run ./bench

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

# The local Kubernetes cluster (cluster/cluster; README.md says what it costs
# and what it touches on the host). Run as root.
cluster-build:
	cluster/cluster build

cluster:
	cluster/cluster up

cluster-down:
	cluster/cluster down

cluster-clean:
	cluster/cluster clean

cluster-status:
	cluster/cluster status

cluster-test: cluster
	PERSISTCHECK_CLUSTER=1 $(GO) test -count=1 -v -run '^TestSmoke$$' ./cluster/
