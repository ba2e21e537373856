# Shared settings and helpers of cluster/cluster. Sourced, never run.
# Everything the cluster creates lives under CLUSTER_DIR (state, logs, mounts)
# or has a name of its own (the bridge); binaries live in a cache outside the
# repository, keyed by version.

# The release cluster/build/go.mod requires (cluster/build/update changes it).
K8S_VERSION=$(awk '$1 == "k8s.io/kubernetes" { print $2 }' "$CLUSTER_SRC/build/go.mod")
PAUSE_IMAGE=registry.k8s.io/pause:3.10   # the name containerd's CRI asks for as sandbox_image
WORKLOAD_IMAGE=persistcheck/pause:latest # the same program, under a name for workloads

CACHE_DIR=${PERSISTCHECK_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/persistcheck}
BIN_DIR=$CACHE_DIR/kubernetes/$K8S_VERSION
CLUSTER_DIR=${PERSISTCHECK_CLUSTER_DIR:-/var/lib/persistcheck/cluster}

NODE_NAME=persistcheck-node
BRIDGE=pc-k8s0
POD_SUBNET=10.211.0.0/24
NODE_IP=10.211.0.1            # the bridge's own address: the kubelet listens only there
SERVICE_SUBNET=10.212.0.0/24  # virtual: there is no kube-proxy
ETCD_CLIENT_PORT=32379
ETCD_PEER_PORT=32380
APISERVER_PORT=36443
STORAGE_CLASS=persistcheck-hostpath

COMPONENTS=(kube-apiserver kube-controller-manager kube-scheduler kubelet)

CTRD_DIR=$CLUSTER_DIR/containerd
CTRD_SOCK=$CTRD_DIR/containerd.sock
RUNC_ROOT=$CLUSTER_DIR/runc
PKI=$CLUSTER_DIR/pki
RUN=$CLUSTER_DIR/run       # pid files, the saved host settings
LOGS=$CLUSTER_DIR/logs
KUBECONFIG_ADMIN=$CLUSTER_DIR/kubeconfig
VOLUMES_DIR=$CLUSTER_DIR/volumes
KUBELET_ROOT=$CLUSTER_DIR/kubelet
CNI_CONF_DIR=$CLUSTER_DIR/cni/net.d
CNI_IPAM_DIR=$CLUSTER_DIR/cni/ipam
CNI_BIN_DIR=/usr/lib/cni

# Folders outside CLUSTER_DIR that the components create with fixed paths:
# the kubelet's device-plugin socket, its links to container logs, libcni's
# result cache, the pods' network namespaces. Those that did not exist before
# the first start are recorded and removed at cluster-down.
HOST_DIRS=(/var/lib/kubelet /var/log/containers /var/lib/cni /run/netns)

# The host settings the kubelet sets at start (protectKernelDefaults is off),
# and the one the bridge plugin sets when it acts as the pods' gateway.
SYSCTLS=(vm.overcommit_memory vm.panic_on_oom kernel.panic kernel.panic_on_oops
         kernel.keys.root_maxkeys kernel.keys.root_maxbytes net.ipv4.ip_forward)

export PATH=$PATH:/usr/local/go/bin:/usr/sbin:/sbin

log()  { printf 'cluster: %s\n' "$*" >&2; }
die()  { local code=$1; shift; printf 'cluster: error: %s\n' "$*" >&2; exit "$code"; }

# Exit codes (also in README.md): 1 the cluster failed to start or stop,
# 2 usage, 3 a prerequisite is missing and cannot be installed.
E_FAIL=1 E_USAGE=2 E_PREREQ=3

[ -n "$K8S_VERSION" ] || die $E_FAIL "no k8s.io/kubernetes version in $CLUSTER_SRC/build/go.mod"

need_root() { [ "$(id -u)" = 0 ] || die $E_PREREQ "must run as root (it mounts, creates a bridge and runs a kubelet)"; }

# lock FD FILE SECONDS: hold an exclusive lock on FILE through descriptor FD
# until the script exits, so two runs (parallel tests, a CI job and a
# person) do not interleave.
lock() {
  mkdir -p "$(dirname "$2")"
  eval "exec $1>\"\$2\""
  if ! flock -n "$1"; then
    log "waiting for another run holding $2"
    flock -w "$3" "$1" || die $E_FAIL "another run still holds $2 after $3 s"
  fi
}

now_ms() { date +%s%3N; }
since() { local ms=$(( $(now_ms) - $1 )); printf '%d.%01d s' $((ms / 1000)) $((ms % 1000 / 100)); }

# wait_for SECONDS WHAT CMD...: poll CMD every 0.2 s until it succeeds or time runs out.
wait_for() {
  local secs=$1 what=$2; shift 2
  local deadline=$(( $(date +%s) + secs ))
  until "$@" >/dev/null 2>&1; do
    if [ "$(date +%s)" -ge "$deadline" ]; then
      log "timed out after ${secs} s waiting for $what"
      return 1
    fi
    sleep 0.2
  done
}
