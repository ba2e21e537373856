# Docker images into the cluster's containerd. Sourced by cluster/cluster.
# Pods must use imagePullPolicy: Never (or IfNotPresent): nothing can be pulled.

# normalize IMAGE: the full reference containerd stores, as Docker reads a
# short one (ubuntu -> docker.io/library/ubuntu:latest).
normalize() {
  local ref=$1 first=${1%%/*}
  if [[ $ref != */* ]]; then
    ref=docker.io/library/$ref
  elif [[ $first != *.* && $first != *:* && $first != localhost ]]; then
    ref=docker.io/$ref
  fi
  [[ ${ref##*/} == *:* || $ref == *@* ]] || ref=$ref:latest
  echo "$ref"
}

# import_images IMAGE...: copy images from the Docker engine into the
# k8s.io namespace of the cluster's containerd, skipping those whose Docker
# image id was imported already (recorded beside containerd's root, so a
# fresh root imports again).
import_images() {
  local record=$CTRD_DIR/imported img id todo=()
  touch "$record"
  for img in "$@"; do
    id=$(docker image inspect -f '{{.Id}}' "$img" 2>/dev/null) ||
      die $E_FAIL "image $img is not in the Docker engine (build or load it there first)"
    if grep -qxF "$img $id" "$record" &&
       timeout 10 ctr -a "$CTRD_SOCK" -n k8s.io images ls -q "name==$(normalize "$img")" 2>/dev/null | grep -q .; then
      continue
    fi
    todo+=("$img")
  done
  if [ ${#todo[@]} -eq 0 ]; then
    log "already in the cluster's containerd: $*"
    return 0
  fi
  local t
  t=$(now_ms)
  if ! timeout --foreground 1800 docker save "${todo[@]}" | timeout --foreground 1800 ctr -a "$CTRD_SOCK" -n k8s.io images import - >/dev/null; then
    die $E_FAIL "importing ${todo[*]} into the cluster's containerd failed (or took over 30 min)"
  fi
  for img in "${todo[@]}"; do
    id=$(docker image inspect -f '{{.Id}}' "$img")
    grep -v "^$img " "$record" >"$record.tmp" || true
    echo "$img $id" >>"$record.tmp"
    mv "$record.tmp" "$record"
  done
  log "imported ${todo[*]} in $(since "$t")"
}

cmd_import() {
  need_root
  [ $# -gt 0 ] || die $E_USAGE "usage: cluster/cluster import IMAGE..."
  ensure_docker
  containerd_up || die $E_FAIL "the cluster's containerd is not running (make cluster)"
  import_images "$@"
}
