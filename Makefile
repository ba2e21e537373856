# persistcheck: the main job, the tests, and the measurements.
#   make run     the built-in scenarios on the built-in images
#   make test    every test: units, the real engine, the features, with -race
#   make bench   the canonical cycle through the harness against the raw engine
#   make cluster the local single-node Kubernetes cluster (cluster/): build if needed, start

GO ?= go

.PHONY: run test bench lint sweep build cluster cluster-build cluster-down cluster-clean cluster-status cluster-test

run:
	$(GO) run ./cmd/persistcheck run

test:
	$(GO) test -race -count=1 ./...

build:
	$(GO) build -o persistcheck ./cmd/persistcheck

# The ratio is the harness's time per cycle over the raw engine's: what the
# harness adds, all checks included, to the work the engine must do anyway.
bench:
	$(GO) test -run '^$$' -bench 'Cycle' -benchtime 10x ./harness/docker/ | tee /dev/stderr | \
	  awk '/^BenchmarkRawCycle/ {raw=$$3} /^BenchmarkHarnessCycle/ {h=$$3} \
	       END {if (raw && h) printf "harness/raw = %.2f (%.2f s against %.2f s per cycle)\n", h/raw, h/1e9, raw/1e9}'

lint:
	$(GO) vet ./...
	$(GO) run honnef.co/go/tools/cmd/staticcheck@v0.8.2 ./...
	$(GO) run github.com/rhysd/actionlint/cmd/actionlint@v1.7.12

sweep:
	$(GO) run ./cmd/persistcheck sweep

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
