# Stopping the cluster and removing every trace of it from the host, also
# after a start that failed or was killed midway. Data (etcd, certificates,
# images, volumes) stays in $CLUSTER_DIR; cached binaries stay in $BIN_DIR.
# Sourced by cluster/cluster.

# our_mounts: mount points under $CLUSTER_DIR, deepest first.
our_mounts() {
  awk -v d="$CLUSTER_DIR" '$5 == d || index($5, d "/") == 1 { print length($5), $5 }' /proc/self/mountinfo |
    sort -rn | cut -d' ' -f2- | uniq
}

# note_netns records the network namespaces containerd's CRI made for our
# pods, from three places that each may be all that is left: containerd's
# metadata (readable without containerd), runc's state of each container,
# and the veths on our bridge. Call it before containers or the bridge go.
note_netns() {
  local re='/var/run/netns/cni-[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}'
  mkdir -p "$RUN"
  {
    cat "$RUN/netns" 2>/dev/null || true
    grep -aohE "$re" "$CTRD_DIR/root/io.containerd.metadata.v1.bolt/meta.db" 2>/dev/null || true
    grep -aohE "$re" "$RUNC_ROOT"/k8s.io/*/state.json 2>/dev/null || true
    ip -d link show master "$BRIDGE" 2>/dev/null | grep -oE 'link-netns cni-[0-9a-f-]+' |
      sed 's|link-netns |/var/run/netns/|' || true
  } | sort -u >"$RUN/netns.tmp"
  mv "$RUN/netns.tmp" "$RUN/netns"
}

# our_netns: the recorded namespaces that still exist.
our_netns() {
  local ns
  [ -f "$RUN/netns" ] || return 0
  while read -r ns; do
    if [ -e "$ns" ]; then echo "$ns"; fi
  done <"$RUN/netns"
}

# our_shims: pids of containerd shims serving our containerd's socket.
our_shims() {
  local f pid cmd
  for f in /proc/[0-9]*/cmdline; do
    pid=${f#/proc/}; pid=${pid%/cmdline}
    cmd=$(tr '\0' ' ' 2>/dev/null <"$f") || continue
    if [[ $cmd == *containerd-shim* && $cmd == *"-address $CTRD_SOCK "* ]]; then echo "$pid"; fi
  done
  return 0
}

runc_ids() { timeout 10 runc --root "$RUNC_ROOT/k8s.io" list -q 2>/dev/null || true; }

remove_workloads() {
  local ctr=(timeout 20 ctr -a "$CTRD_SOCK" -n k8s.io) id n=0
  if running containerd && containerd_up; then
    for id in $("${ctr[@]}" tasks ls -q 2>/dev/null); do
      "${ctr[@]}" tasks kill -a -s SIGKILL "$id" >/dev/null 2>&1 || true
    done
    for id in $("${ctr[@]}" tasks ls -q 2>/dev/null); do
      "${ctr[@]}" tasks rm -f "$id" >/dev/null 2>&1 || true
    done
    for id in $("${ctr[@]}" containers ls -q 2>/dev/null); do
      "${ctr[@]}" containers rm "$id" >/dev/null 2>&1 && n=$((n + 1))
    done
    [ $n -eq 0 ] || log "removed $n containers from containerd"
  fi
}

# kill_leftover_containers: what containerd could not clean (it was not
# running, or a shim was wedged), straight through runc and by shim pid.
kill_leftover_containers() {
  local id pid
  for id in $(runc_ids); do
    log "killing container $id through runc"
    runc --root "$RUNC_ROOT/k8s.io" kill -a "$id" KILL 2>/dev/null || true
    runc --root "$RUNC_ROOT/k8s.io" delete -f "$id" 2>/dev/null || true
  done
  for pid in $(our_shims); do
    log "killing containerd shim pid $pid"
    kill -KILL "$pid" 2>/dev/null || true
  done
  # A shim killed outright leaves its socket in /run/containerd/s, named
  # after the sha256 of our socket, the namespace and the container id.
  local d sock
  for d in "$CTRD_DIR"/state/io.containerd.runtime.v2.task/k8s.io/*/; do
    [ -d "$d" ] || continue
    id=$(basename "$d")
    sock=/run/containerd/s/$(printf '%s' "$CTRD_SOCK/k8s.io/$id" | sha256sum | cut -d' ' -f1)
    if [ -S "$sock" ]; then rm -f "$sock"; fi
  done
  return 0
}

unmount_all() {
  local m i
  for ((i = 0; i < 5; i++)); do
    [ -n "$(our_mounts)" ] || return 0
    while read -r m; do
      [ -n "$m" ] && { umount "$m" 2>/dev/null || umount -l "$m" 2>/dev/null || true; }
    done < <(our_mounts)
  done
  return 0
}

remove_netns() {
  local ns n=0
  for ns in $(our_netns); do
    umount "$ns" 2>/dev/null || umount -l "$ns" 2>/dev/null || true
    rm -f "$ns" && n=$((n + 1))
  done
  [ $n -eq 0 ] || log "removed $n pod network namespaces"
}

remove_host_traces() {
  if ip link show "$BRIDGE" >/dev/null 2>&1; then ip link del "$BRIDGE"; fi
  rm -rf "${CNI_IPAM_DIR:?}"/*
  # libcni caches each attachment's result; the kubelet links every
  # container log into /var/log/containers.
  local f id l
  for f in /var/lib/cni/results/persistcheck-pods-*; do
    [ -e "$f" ] || continue
    id=${f#/var/lib/cni/results/persistcheck-pods-}; id=${id%%-*}
    rm -f "$f" "/var/lib/cni/results/cni-loopback-$id-lo"
  done
  for l in /var/log/containers/*; do
    if [ -L "$l" ] && [[ $(readlink "$l") == "$CLUSTER_DIR"/* ]]; then rm -f "$l"; fi
  done
  # Folders the cluster created outside its own: whole, when nothing is
  # mounted below them; only our netns went from /run/netns (remove_netns).
  local d
  if [ -f "$RUN/host-dirs" ]; then
    while read -r d; do
      [ -d "$d" ] || continue
      if [ "$d" = /run/netns ]; then
        rmdir "$d" 2>/dev/null || true
      elif ! awk -v d="$d" '$5 == d || index($5, d "/") == 1 { found = 1 } END { exit !found }' /proc/self/mountinfo; then
        rm -rf "$d"
      fi
    done <"$RUN/host-dirs"
    rm -f "$RUN/host-dirs"
  fi
  # The kubelet's cgroups, deepest first; rmdir refuses any that still holds a process.
  local h
  for h in /sys/fs/cgroup/*/kubepods /sys/fs/cgroup/kubepods; do
    if [ -d "$h" ]; then find "$h" -depth -type d -exec rmdir {} + 2>/dev/null || true; fi
  done
  return 0
}

restore_sysctls() {
  [ -f "$RUN/sysctl.saved" ] || return 0
  local line name value changed=()
  while IFS= read -r line; do
    name=${line%%=*} value=${line#*=}
    if [ "$(sysctl -n "$name" 2>/dev/null)" != "$value" ]; then
      if sysctl -qw "$name=$value"; then
        changed+=("$name=$value")
      else
        log "warning: could not restore $name to $value"
      fi
    fi
  done <"$RUN/sysctl.saved"
  [ ${#changed[@]} -eq 0 ] || log "restored host settings: ${changed[*]}"
  rm -f "$RUN/sysctl.saved"
}

# check_clean reports whatever of the cluster is still on the host.
check_clean() {
  local left=() p
  for p in "${PROCS[@]}"; do running "$p" && left+=("process $p")
  done
  [ -z "$(our_shims)" ] || left+=("shims $(our_shims | tr '\n' ' ')")
  [ -z "$(runc_ids)" ] || left+=("runc containers $(runc_ids | tr '\n' ' ')")
  [ -z "$(our_mounts)" ] || left+=("mounts $(our_mounts | tr '\n' ' ')")
  [ -z "$(our_netns)" ] || left+=("netns $(our_netns | tr '\n' ' ')")
  ip link show "$BRIDGE" >/dev/null 2>&1 && left+=("bridge $BRIDGE")
  local cg
  cg=$(find /sys/fs/cgroup/*/kubepods /sys/fs/cgroup/kubepods -maxdepth 0 -type d 2>/dev/null || true)
  [ -z "$cg" ] || left+=("cgroups $(echo "$cg" | tr '\n' ' ')")
  local rules
  rules=$(iptables-save 2>/dev/null | grep -E -- "$BRIDGE|${POD_SUBNET%/*}|KUBE-" || true)
  [ -z "$rules" ] || left+=("iptables rules: $rules")
  if [ ${#left[@]} -eq 0 ]; then
    rm -f "$RUN/netns"
    return 0
  fi
  printf 'cluster: left behind: %s\n' "${left[@]}" >&2
  return 1
}

cmd_down() {
  need_root
  local t
  t=$(now_ms)
  if [ ! -d "$CLUSTER_DIR" ]; then
    log "no cluster in $CLUSTER_DIR"
    return 0
  fi
  mkdir -p "$RUN"
  note_netns
  # The kubelet first, so it restarts nothing; the control plane then in
  # parallel. The apiserver gets a short grace: it lingers for seconds over
  # its caches, and etcd already holds everything it would save.
  stop_proc kubelet 10
  stop_proc kube-apiserver 3 & stop_proc kube-controller-manager 5 & stop_proc kube-scheduler 5 & wait
  note_netns
  remove_workloads
  stop_proc containerd 10 & stop_proc etcd 10 & wait
  kill_leftover_containers
  unmount_all
  remove_netns
  remove_host_traces
  rm -rf "${CTRD_DIR:?}/state"
  restore_sysctls
  check_clean || die $E_FAIL "cluster-down could not remove everything (see above)"
  log "down in $(since "$t") (data kept in $CLUSTER_DIR, binaries in $BIN_DIR)"
}

cmd_clean() {
  cmd_down
  [ -z "$(our_mounts)" ] || die $E_FAIL "mounts remain under $CLUSTER_DIR; not removing it"
  rm -rf "$CLUSTER_DIR"
  log "removed $CLUSTER_DIR"
}
