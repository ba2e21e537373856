# Starting the cluster. Sourced by cluster/cluster.

# api METHOD PATH [CURL ARGS...]: the apiserver as admin; prints the body.
api() {
  local method=$1 path=$2; shift 2
  # A user agent other than curl's: the apiserver pretty-prints JSON for curl.
  curl -sS --fail-with-body --max-time 10 -A persistcheck-cluster --cacert "$PKI/ca.crt" \
    -H "Authorization: Bearer $(cat "$PKI/admin.token")" -H 'Content-Type: application/json' \
    -X "$method" "https://127.0.0.1:$APISERVER_PORT$path" "$@"
}

apiserver_ready() { api GET /readyz >/dev/null 2>&1; }
node_ready() { api GET "/api/v1/nodes/$NODE_NAME" 2>/dev/null | grep -q '"type":"Ready","status":"True"'; }
# node_ready_since EPOCH: Ready, as posted by a kubelet at or after EPOCH
# (the node object keeps the last status of a kubelet stopped before).
node_ready_since() {
  local beat
  beat=$(api GET "/api/v1/nodes/$NODE_NAME" 2>/dev/null |
    grep -o '"type":"Ready","status":"True","lastHeartbeatTime":"[^"]*"' | cut -d'"' -f12) || return 1
  [ -n "$beat" ] && [ "$(date -d "$beat" +%s)" -ge "$1" ]
}
default_sa() { api GET /api/v1/namespaces/default/serviceaccounts/default >/dev/null 2>&1; }
etcd_healthy() { curl -sf --max-time 2 "http://127.0.0.1:$ETCD_CLIENT_PORT/health" | grep -q '"health":"true"'; }
# ctr waits 10 s for a socket that is not there: look first.
containerd_up() {
  [ -S "$CTRD_SOCK" ] && timeout 5 ctr --connect-timeout 2s -a "$CTRD_SOCK" version >/dev/null 2>&1
}

PROCS=(etcd containerd kube-apiserver kube-controller-manager kube-scheduler kubelet)

healthy() {
  local p
  for p in "${PROCS[@]}"; do running "$p" || return 1; done
  apiserver_ready && node_ready
}

# leftovers: anything of a cluster that is not fully up.
leftovers() {
  local p
  for p in "${PROCS[@]}"; do running "$p" && return 0; done
  ip link show "$BRIDGE" >/dev/null 2>&1 && return 0
  [ -n "$(our_mounts)" ] && return 0
  [ -f "$RUN/sysctl.saved" ] || [ -f "$RUN/host-dirs" ]
}

save_sysctls() {
  # Kept from the first start: a start that failed midway must not record
  # the values the kubelet already changed.
  [ -f "$RUN/sysctl.saved" ] && return 0
  local s
  for s in "${SYSCTLS[@]}"; do
    echo "$s=$(sysctl -n "$s")"
  done >"$RUN/sysctl.saved.tmp"
  mv "$RUN/sysctl.saved.tmp" "$RUN/sysctl.saved"
}

# record_host_dirs notes which of HOST_DIRS are missing before the first
# start, so cluster-down removes those and only those.
record_host_dirs() {
  [ -f "$RUN/host-dirs" ] && return 0
  local d
  for d in "${HOST_DIRS[@]}"; do
    [ -e "$d" ] || echo "$d"
  done >"$RUN/host-dirs.tmp"
  mv "$RUN/host-dirs.tmp" "$RUN/host-dirs"
}

check_free() {
  local port
  for port in $ETCD_CLIENT_PORT $ETCD_PEER_PORT $APISERVER_PORT 10248 10250 10257 10259; do
    if ss -Hltn "sport = :$port" | grep -q .; then
      die $E_FAIL "port $port is taken by another program: $(ss -Hltnp "sport = :$port" | head -1)"
    fi
  done
  local route
  route=$(ip -4 route show to match "$NODE_IP" | grep -v '^default' | grep -v "dev $BRIDGE" || true)
  [ -z "$route" ] || die $E_FAIL "the pod subnet $POD_SUBNET overlaps a route of this machine: $route"
}

create_bridge() {
  ip link show "$BRIDGE" >/dev/null 2>&1 || ip link add "$BRIDGE" type bridge
  ip addr replace "$NODE_IP/${POD_SUBNET#*/}" dev "$BRIDGE"
  ip link set "$BRIDGE" up
}

cmd_up() {
  need_root
  mkdir -p "$RUN" "$LOGS" "$VOLUMES_DIR" "$KUBELET_ROOT" "$CLUSTER_DIR/pod-logs"
  if healthy; then
    log "already up and healthy (node $NODE_NAME Ready)"
    print_env
    return 0
  fi
  if leftovers; then
    log "found a cluster that is not fully up; stopping what is left of it first"
    cmd_down
    mkdir -p "$RUN" "$LOGS"
  fi
  local t0 t
  t0=$(now_ms)
  ensure_packages
  ensure_docker
  build_binaries
  build_pause_image
  check_free
  ensure_pki
  write_configs
  log "starting the cluster in $CLUSTER_DIR"
  save_sysctls
  record_host_dirs
  create_bridge

  t=$(now_ms)
  start_proc etcd --name persistcheck --data-dir "$CLUSTER_DIR/etcd" \
    --listen-client-urls "http://127.0.0.1:$ETCD_CLIENT_PORT" --advertise-client-urls "http://127.0.0.1:$ETCD_CLIENT_PORT" \
    --listen-peer-urls "http://127.0.0.1:$ETCD_PEER_PORT" --initial-advertise-peer-urls "http://127.0.0.1:$ETCD_PEER_PORT" \
    --initial-cluster "persistcheck=http://127.0.0.1:$ETCD_PEER_PORT" --unsafe-no-fsync --logger zap --log-level warn
  start_proc containerd --config "$CTRD_DIR/config.toml"
  wait_for 30 etcd etcd_healthy || fail_start etcd "etcd did not become healthy"
  wait_for 30 containerd containerd_up || fail_start containerd "containerd did not answer on $CTRD_SOCK"
  log "etcd and containerd up in $(since "$t")"
  import_images "$PAUSE_IMAGE" "$WORKLOAD_IMAGE"

  t=$(now_ms)
  start_proc kube-apiserver --etcd-servers "http://127.0.0.1:$ETCD_CLIENT_PORT" \
    --bind-address 127.0.0.1 --secure-port "$APISERVER_PORT" --cert-dir "$PKI/apiserver" \
    --tls-cert-file "$PKI/apiserver.crt" --tls-private-key-file "$PKI/apiserver.key" \
    --client-ca-file "$PKI/ca.crt" --token-auth-file "$PKI/tokens.csv" \
    --authorization-mode Node,RBAC --allow-privileged \
    --service-account-key-file "$PKI/sa.pub" --service-account-signing-key-file "$PKI/sa.key" \
    --service-account-issuer https://kubernetes.default.svc.cluster.local \
    --service-cluster-ip-range "$SERVICE_SUBNET" --endpoint-reconciler-type none \
    --kubelet-preferred-address-types InternalIP --kubelet-certificate-authority "$PKI/ca.crt" \
    --kubelet-client-certificate "$PKI/apiserver-kubelet-client.crt" \
    --kubelet-client-key "$PKI/apiserver-kubelet-client.key"
  wait_for 120 "the apiserver's /readyz" apiserver_ready || fail_start kube-apiserver "the apiserver did not become ready"
  log "kube-apiserver ready in $(since "$t")"

  t=$(now_ms)
  start_proc kube-controller-manager --kubeconfig "$KUBECONFIG_ADMIN" \
    --authentication-kubeconfig "$KUBECONFIG_ADMIN" --authorization-kubeconfig "$KUBECONFIG_ADMIN" \
    --leader-elect=false --pvclaimbinder-sync-period 2s --bind-address 127.0.0.1 \
    --flex-volume-plugin-dir "$KUBELET_ROOT/volume-plugins" \
    --service-account-private-key-file "$PKI/sa.key" --root-ca-file "$PKI/ca.crt"
  start_proc kube-scheduler --kubeconfig "$KUBECONFIG_ADMIN" \
    --authentication-kubeconfig "$KUBECONFIG_ADMIN" --authorization-kubeconfig "$KUBECONFIG_ADMIN" \
    --leader-elect=false --bind-address 127.0.0.1
  local kubelet_start
  kubelet_start=$(date +%s)
  start_proc kubelet --config "$CLUSTER_DIR/kubelet.yaml" --kubeconfig "$CLUSTER_DIR/kubelet.kubeconfig" \
    --hostname-override "$NODE_NAME" --node-ip "$NODE_IP" --root-dir "$KUBELET_ROOT"
  wait_for 120 "node $NODE_NAME to be Ready" node_ready_since "$kubelet_start" || fail_start kubelet "the node did not become Ready"
  log "node $NODE_NAME Ready in $(since "$t")"
  wait_for 60 "the default ServiceAccount" default_sa || fail_start kube-controller-manager "no default ServiceAccount"
  local p
  for p in "${PROCS[@]}"; do running "$p" || fail_start "$p" "$p exited"; done
  ensure_storage_class
  write_cluster_json
  log "up in $(since "$t0")"
  print_env
}

ensure_storage_class() {
  # No provisioner: a harness creates one hostPath PersistentVolume per claim
  # under $VOLUMES_DIR. Immediate binding, because on one node there is no
  # topology to wait for: a claim is Bound before any pod uses it, so a
  # binding problem shows up at the claim, not as a pod stuck Pending.
  local out
  if ! out=$(api POST /apis/storage.k8s.io/v1/storageclasses -d "{
      \"apiVersion\": \"storage.k8s.io/v1\", \"kind\": \"StorageClass\",
      \"metadata\": {\"name\": \"$STORAGE_CLASS\"},
      \"provisioner\": \"kubernetes.io/no-provisioner\",
      \"reclaimPolicy\": \"Retain\", \"volumeBindingMode\": \"Immediate\"}" 2>&1); then
    [[ $out == *AlreadyExists* ]] || die $E_FAIL "creating the StorageClass $STORAGE_CLASS failed: $out"
  fi
}

# write_cluster_json records, for Go tests and the harness, how to reach the
# cluster and where its storage lives (read by the cluster package).
write_cluster_json() {
  cat >"$CLUSTER_DIR/cluster.json" <<EOJ
{
  "server": "https://127.0.0.1:$APISERVER_PORT",
  "caFile": "$PKI/ca.crt",
  "tokenFile": "$PKI/admin.token",
  "kubeconfig": "$KUBECONFIG_ADMIN",
  "node": "$NODE_NAME",
  "containerdSocket": "$CTRD_SOCK",
  "storageClass": "$STORAGE_CLASS",
  "volumesDir": "$VOLUMES_DIR",
  "kubeletRoot": "$KUBELET_ROOT",
  "workloadImage": "$WORKLOAD_IMAGE"
}
EOJ
}

print_env() {
  log "kubeconfig: $KUBECONFIG_ADMIN"
  echo "export KUBECONFIG=$KUBECONFIG_ADMIN"
}

# cmd_status: exit 0 when the cluster is up and healthy; the components'
# pids and memory either way.
cmd_status() {
  local p pid rss total=0
  for p in "${PROCS[@]}"; do
    if pid=$(pid_of "$p"); then
      rss=$(awk '/^VmRSS/ {print $2}' "/proc/$pid/status")
      total=$((total + rss))
      printf '%-24s pid %-8s %6d MB\n' "$p" "$pid" $((rss / 1024))
    else
      printf '%-24s not running\n' "$p"
    fi
  done
  for pid in $(our_shims); do
    rss=$(awk '/^VmRSS/ {print $2}' "/proc/$pid/status" 2>/dev/null || echo 0)
    total=$((total + rss))
  done
  printf '%-24s %d MB (shims included, pods not)\n' total $((total / 1024))
  if healthy; then
    log "up and healthy (node $NODE_NAME Ready)"
  else
    log "not up"
    exit $E_FAIL
  fi
}
