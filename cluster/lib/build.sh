# Building the Kubernetes binaries and the pause image. Sourced by cluster/cluster.

BUILD_MODULE=$CLUSTER_SRC/build

binaries_present() {
  local c
  for c in "${COMPONENTS[@]}"; do [ -x "$BIN_DIR/$c" ] || return 1; done
}

# build_binaries compiles the four commands from the module proxy through
# cluster/build (its go.mod pins k8s.io/kubernetes and its published staging
# modules). The go build cache makes a second build a relink; the binaries
# are cached by version, so a run that finds them does nothing.
build_binaries() {
  binaries_present || lock 8 "$BIN_DIR.lock" 3600
  if binaries_present; then
    log "kubernetes $K8S_VERSION binaries present in $BIN_DIR"
    return 0
  fi
  command -v go >/dev/null || die $E_PREREQ "go not found (expected Go 1.26 in PATH or /usr/local/go/bin)"
  local start tmp pkgs=() names=() c
  for c in "${COMPONENTS[@]}"; do
    [ -x "$BIN_DIR/$c" ] || { names+=("$c"); pkgs+=("k8s.io/kubernetes/cmd/$c"); }
  done
  log "building kubernetes $K8S_VERSION (${names[*]}) into $BIN_DIR"
  log "the first build takes 11 min or more on 2 cores and 3 GB of build cache; with that cache warm it is a relink of under a minute"
  start=$(now_ms)
  mkdir -p "$BIN_DIR"
  rm -rf "$BIN_DIR"/.build.*   # what an interrupted build left
  tmp=$(mktemp -d "$BIN_DIR/.build.XXXXXX")
  local minor=${K8S_VERSION#v1.}; minor=${minor%%.*}
  local ldflags="-s -w -X k8s.io/component-base/version.gitVersion=$K8S_VERSION"
  ldflags+=" -X k8s.io/component-base/version.gitMajor=1 -X k8s.io/component-base/version.gitMinor=$minor"
  ldflags+=" -X k8s.io/component-base/version.gitTreeState=clean"
  if ! (cd "$BUILD_MODULE" && CGO_ENABLED=0 timeout --foreground 3600 nice -n 19 \
        go build -trimpath -ldflags "$ldflags" -o "$tmp/" "${pkgs[@]}"); then
    rm -rf "$tmp"
    die $E_FAIL "go build of kubernetes $K8S_VERSION failed or took over an hour (see above)"
  fi
  for c in "${names[@]}"; do mv -f "$tmp/$c" "$BIN_DIR/$c"; done
  rmdir "$tmp"
  log "built kubernetes $K8S_VERSION in $(since "$start")"
}

# build_pause_image builds cluster/pause into a FROM scratch image in Docker,
# tagged as the sandbox image and as the workload image. The image carries
# the digest of its source, so a change to the program rebuilds it.
build_pause_image() {
  local src=$CLUSTER_SRC/pause sum have
  sum=$(cat "$src"/*.go | sha256sum | cut -c1-16)
  have=$(docker image inspect -f '{{index .Config.Labels "persistcheck.source"}}' "$PAUSE_IMAGE" 2>/dev/null || true)
  if [ "$have" = "$sum" ] &&
     [ "$(docker image inspect -f '{{.Id}}' "$WORKLOAD_IMAGE" 2>/dev/null)" = "$(docker image inspect -f '{{.Id}}' "$PAUSE_IMAGE")" ]; then
    return 0
  fi
  log "building the pause image ($PAUSE_IMAGE, $WORKLOAD_IMAGE)"
  local ctx
  ctx=$(mktemp -d)
  (cd "$REPO" && CGO_ENABLED=0 go build -trimpath -ldflags "-s -w" -o "$ctx/pause" ./cluster/pause) ||
    { rm -rf "$ctx"; die $E_FAIL "go build of cluster/pause failed"; }
  printf 'FROM scratch\nCOPY pause /pause\nENTRYPOINT ["/pause"]\n' >"$ctx/Dockerfile"
  if ! timeout --foreground 600 docker build -q --label "persistcheck.source=$sum" -t "$PAUSE_IMAGE" -t "$WORKLOAD_IMAGE" "$ctx" >"$ctx/build.log" 2>&1; then
    cat "$ctx/build.log" >&2
    rm -rf "$ctx"
    die $E_FAIL "docker build of the pause image failed"
  fi
  rm -rf "$ctx"
}
