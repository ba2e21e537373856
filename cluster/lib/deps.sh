# Host prerequisites: Debian packages installed with apt-get when missing,
# and the Docker engine that builds the pause image. Sourced by cluster/cluster.

# command the package provides : the package
DEB_DEPS=(
  /usr/bin/etcd:etcd-server
  /usr/lib/cni/bridge:containernetworking-plugins
  /usr/sbin/conntrack:conntrack
  /usr/bin/containerd:containerd
  /usr/bin/ctr:containerd
  /usr/bin/containerd-shim-runc-v2:containerd
  /usr/sbin/runc:runc
  /usr/sbin/iptables:iptables
  /usr/bin/openssl:openssl
  /usr/bin/curl:curl
  /usr/sbin/ip:iproute2
  /usr/bin/setsid:util-linux
  /usr/bin/mountpoint:util-linux
)

ensure_packages() {
  local entry file pkg missing=()
  for entry in "${DEB_DEPS[@]}"; do
    file=${entry%%:*} pkg=${entry#*:}
    [ -e "$file" ] || [[ " ${missing[*]} " == *" $pkg "* ]] || missing+=("$pkg")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  command -v apt-get >/dev/null || die $E_PREREQ "missing packages (${missing[*]}) and no apt-get to install them"
  log "installing Debian packages: ${missing[*]}"
  local etcd_was_running=no
  pgrep -x etcd >/dev/null && etcd_was_running=yes
  if ! DEBIAN_FRONTEND=noninteractive apt-get install -y -q -o DPkg::Lock::Timeout=300 --no-install-recommends "${missing[@]}" >"$LOGS/apt.log" 2>&1; then
    log "apt-get install failed; updating the package lists and trying again"
    if ! { DEBIAN_FRONTEND=noninteractive apt-get update -q &&
           DEBIAN_FRONTEND=noninteractive apt-get install -y -q -o DPkg::Lock::Timeout=300 --no-install-recommends "${missing[@]}"; } >>"$LOGS/apt.log" 2>&1; then
      tail -n 20 "$LOGS/apt.log" >&2
      die $E_PREREQ "could not install ${missing[*]} with apt-get (log: $LOGS/apt.log)"
    fi
  fi
  # etcd-server's postinst starts a system etcd where no policy-rc.d forbids
  # it. That one is a side effect of this install, not part of the cluster.
  if [[ " ${missing[*]} " == *" etcd-server "* ]] && [ $etcd_was_running = no ] &&
     [ -x /etc/init.d/etcd ] && /etc/init.d/etcd status >/dev/null 2>&1; then
    log "stopping the system etcd that installing etcd-server started"
    /etc/init.d/etcd stop >/dev/null 2>&1 || true
  fi
  for entry in "${DEB_DEPS[@]}"; do
    file=${entry%%:*}
    [ -e "$file" ] || die $E_PREREQ "$file is still missing after installing ${entry#*:}"
  done
}

ensure_docker() {
  command -v docker >/dev/null || die $E_PREREQ "docker not found: the pause image is built with the Docker engine"
  docker info >/dev/null 2>&1 || die $E_PREREQ "the Docker engine does not answer (docker info failed)"
}
