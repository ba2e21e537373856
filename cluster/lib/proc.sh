# Processes of the cluster, each tracked by a pid file in $RUN. Sourced by
# cluster/cluster.

# The executable each component runs, to tell our process from one that
# reused its pid.
exe_of() {
  case $1 in
    etcd) echo /usr/bin/etcd ;;
    containerd) echo /usr/bin/containerd ;;
    *) echo "$BIN_DIR/$1" ;;
  esac
}

# pid_of NAME prints the pid of the running component NAME, or fails.
pid_of() {
  local pid exe
  [ -f "$RUN/$1.pid" ] || return 1
  pid=$(cat "$RUN/$1.pid" 2>/dev/null) || return 1
  [[ $pid =~ ^[0-9]+$ ]] || return 1
  exe=$(readlink "/proc/$pid/exe" 2>/dev/null) || return 1
  # A binary replaced while it runs reads "PATH (deleted)".
  [ "${exe% (deleted)}" = "$(exe_of "$1")" ] || return 1
  echo "$pid"
}

running() { pid_of "$1" >/dev/null; }

# start_proc NAME ARGS...: start component NAME in a session of its own (so it
# outlives the script and the terminal), without proxy settings (every
# address it talks to is local), logging to $LOGS/NAME.log, and without the
# descriptors of the script's locks, which it would otherwise hold for life.
start_proc() {
  local name=$1; shift
  local exe log=$LOGS/$name.log
  exe=$(exe_of "$name")
  # One earlier generation is kept: logs are appended across restarts.
  if [ "$(stat -c %s "$log" 2>/dev/null || echo 0)" -gt $((20 << 20)) ]; then mv -f "$log" "$log.1"; fi
  echo "=== $(date -Is) $exe $*" >>"$log"
  setsid env -u http_proxy -u https_proxy -u HTTP_PROXY -u HTTPS_PROXY -u no_proxy -u NO_PROXY \
    "$exe" "$@" </dev/null >>"$log" 2>&1 8>&- 9>&- &
  echo $! >"$RUN/$name.pid"
}

# stop_proc NAME [GRACE]: SIGTERM, then SIGKILL after GRACE seconds (default 10).
stop_proc() {
  local name=$1 grace=${2:-10} pid i t
  t=$(now_ms)
  if ! pid=$(pid_of "$name"); then
    rm -f "$RUN/$name.pid"
    return 0
  fi
  kill -TERM "$pid" 2>/dev/null || true
  for ((i = 0; i < grace * 10; i++)); do
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
  done
  if kill -0 "$pid" 2>/dev/null; then
    log "$name (pid $pid) still stopping after ${grace} s; killing it"
    kill -KILL "$pid" 2>/dev/null || true
    for ((i = 0; i < 50; i++)); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  fi
  rm -f "$RUN/$name.pid"
  log "stopped $name (pid $pid) in $(since "$t")"
}

# fail_start NAME MESSAGE: the last lines of NAME's log, then exit.
fail_start() {
  log "--- last lines of $LOGS/$1.log"
  tail -n 25 "$LOGS/$1.log" >&2 || true
  die $E_FAIL "$2 (the cluster is partly up: run 'make cluster-down' or 'cluster/cluster down' to clean up)"
}
