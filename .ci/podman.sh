#!/usr/bin/env bash
# CI, second engine: the suites that talk to a container engine, run again
# on Podman through its Docker-compatible API. Installs podman (and catatonit,
# its init process) from Debian's packages when missing, gives it the
# settings this machine needs, starts its API service on a socket of its
# own, runs `make test-podman` and the examples' features against it, and
# stops the service by its pid whatever happens. Run it after `make test`,
# which builds the examples' images on Docker.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$PATH:/usr/local/go/bin"

if ! command -v podman >/dev/null 2>&1 || ! command -v catatonit >/dev/null 2>&1; then
  echo "ci: installing podman and catatonit from Debian's packages" >&2
  apt-get -o DPkg::Lock::Timeout=300 update -qq
  DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=300 install -y -qq podman catatonit >/dev/null
fi

# Without explicit limits every container fails to start here ("error
# setting rlimit type 7"): the runtime cannot raise them past the host's.
mkdir -p /etc/containers/containers.conf.d
cat > /etc/containers/containers.conf.d/persistcheck.conf <<'EOF'
[containers]
default_ulimits = ["nofile=20000:20000", "nproc=4096:4096"]
EOF

sock=/run/podman/persistcheck.sock
mkdir -p "$(dirname "$sock")"
rm -f "$sock"
# Started in a folder of its own: on an OOM kill, Podman 4.3's conmon writes
# an empty file named oom into its working folder (the checkout, otherwise).
(cd "$(dirname "$sock")" && exec podman system service --time=0 "unix://$sock") >/tmp/podman-service.log 2>&1 &
service=$!
stop() {
  kill "$service" 2>/dev/null || true
  wait "$service" 2>/dev/null || true
  rm -f "$sock"
}
trap stop EXIT

for _ in $(seq 60); do
  [ -S "$sock" ] && DOCKER_HOST="unix://$sock" docker version >/dev/null 2>&1 && break
  sleep 0.5
done
if ! DOCKER_HOST="unix://$sock" docker version >/dev/null 2>&1; then
  echo "ci: Podman's API service did not answer on $sock; its log:" >&2
  tail -n 30 /tmp/podman-service.log >&2
  exit 1
fi
echo "ci: Podman $(podman version --format '{{.Server.Version}}' 2>/dev/null || podman --version) answers on $sock" >&2

before=$(podman volume ls -q | sort)
DOCKER_HOST="unix://$sock" make test-podman

# The real databases' features too: their images, which `make test` built
# on Docker, are copied into Podman's storage on first use.
DOCKER_HOST="unix://$sock" go run ./cmd/persistcheck run --engine podman --format progress \
  examples/redis examples/postgres examples/mariadb examples/sqlite

# Nothing of the run may be left on Podman: no container, and no volume
# but the agent's, labelled or not (Podman does not label anonymous ones).
left=$(podman ps -aq; comm -13 <(echo "$before") <(podman volume ls -q | sort) | grep -v '^persistcheck-agent-' || true)
if [ -n "$left" ]; then
  echo "ci: the Podman run left these behind:" >&2
  echo "$left" >&2
  exit 1
fi
