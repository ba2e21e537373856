# Certificates, tokens and configuration files of the cluster, created once
# and kept across restarts so the kubeconfig stays valid. Sourced by
# cluster/cluster.

# sign NAME SUBJECT EXTENSIONS: a P-256 key and a certificate signed by the CA.
sign() {
  local name=$1 subj=$2 ext=$3
  openssl ecparam -name prime256v1 -genkey -noout -out "$PKI/$name.key" 2>/dev/null
  openssl req -new -key "$PKI/$name.key" -subj "$subj" 2>/dev/null |
    openssl x509 -req -CA "$PKI/ca.crt" -CAkey "$PKI/ca.key" -CAcreateserial -CAserial "$PKI/ca.srl" \
      -days 3650 -extfile <(printf '%s\n' "$ext") -out "$PKI/$name.crt" 2>/dev/null
}

ensure_pki() {
  [ -f "$PKI/done" ] && return 0
  log "creating the cluster's CA, certificates, service-account key and tokens in $PKI"
  rm -rf "$PKI" && mkdir -p "$PKI" && chmod 700 "$PKI"
  openssl ecparam -name prime256v1 -genkey -noout -out "$PKI/ca.key" 2>/dev/null
  openssl req -new -x509 -key "$PKI/ca.key" -subj "/CN=persistcheck-cluster-ca" -days 3650 \
    -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign" \
    -out "$PKI/ca.crt" 2>/dev/null
  local server_ext="keyUsage=critical,digitalSignature,keyEncipherment
extendedKeyUsage=serverAuth"
  local client_ext="keyUsage=critical,digitalSignature,keyEncipherment
extendedKeyUsage=clientAuth"
  local svc_ip=${SERVICE_SUBNET%.*}.1
  sign apiserver "/CN=kube-apiserver" "$server_ext
subjectAltName=DNS:localhost,DNS:kubernetes,DNS:kubernetes.default,DNS:kubernetes.default.svc,DNS:kubernetes.default.svc.cluster.local,IP:127.0.0.1,IP:$svc_ip,IP:$NODE_IP"
  # The apiserver's identity at the kubelet (logs, exec): system:masters may do anything.
  sign apiserver-kubelet-client "/O=system:masters/CN=kube-apiserver-kubelet-client" "$client_ext"
  sign kubelet "/CN=system:node:$NODE_NAME" "$server_ext
subjectAltName=DNS:$NODE_NAME,IP:$NODE_IP"
  openssl ecparam -name prime256v1 -genkey -noout -out "$PKI/sa.key" 2>/dev/null
  openssl ec -in "$PKI/sa.key" -pubout -out "$PKI/sa.pub" 2>/dev/null
  openssl rand -hex 24 >"$PKI/admin.token"
  openssl rand -hex 24 >"$PKI/node.token"
  {
    echo "$(cat "$PKI/admin.token"),admin,admin,\"system:masters\""
    echo "$(cat "$PKI/node.token"),system:node:$NODE_NAME,node,\"system:nodes\""
  } >"$PKI/tokens.csv"
  chmod 600 "$PKI"/*
  touch "$PKI/done"
}

# kubeconfig FILE TOKENFILE: a kubeconfig for the apiserver with a bearer token.
kubeconfig() {
  cat >"$1" <<EOK
apiVersion: v1
kind: Config
clusters:
- name: persistcheck
  cluster:
    server: https://127.0.0.1:$APISERVER_PORT
    certificate-authority: $PKI/ca.crt
users:
- name: user
  user:
    token: $(cat "$2")
contexts:
- name: persistcheck
  context:
    cluster: persistcheck
    user: user
current-context: persistcheck
EOK
  chmod 600 "$1"
}

# pick_snapshotter prints overlayfs when an overlay mount works under the
# cluster's folder, else native (slower, copies each layer, but works anywhere).
pick_snapshotter() {
  local t=$CLUSTER_DIR/overlay-probe ok=native
  rm -rf "$t" && mkdir -p "$t"/{lower,upper,work,merged}
  if mount -t overlay overlay -o "lowerdir=$t/lower,upperdir=$t/upper,workdir=$t/work" "$t/merged" 2>/dev/null; then
    umount "$t/merged" && ok=overlayfs
  fi
  rm -rf "$t"
  echo $ok
}

write_configs() {
  kubeconfig "$KUBECONFIG_ADMIN" "$PKI/admin.token"
  kubeconfig "$CLUSTER_DIR/kubelet.kubeconfig" "$PKI/node.token"

  local snapshotter
  snapshotter=$(pick_snapshotter)
  [ "$snapshotter" = overlayfs ] || log "overlay mounts fail under $CLUSTER_DIR: containerd uses the native snapshotter"
  mkdir -p "$CTRD_DIR" "$CNI_CONF_DIR" "$CNI_IPAM_DIR"
  cat >"$CTRD_DIR/config.toml" <<EOT
# containerd of the persistcheck cluster: its own root, state, socket and
# runc root, so nothing is shared with the Docker engine's containerd.
version = 2
root = "$CTRD_DIR/root"
state = "$CTRD_DIR/state"
disabled_plugins = ["io.containerd.snapshotter.v1.aufs", "io.containerd.snapshotter.v1.btrfs",
                    "io.containerd.snapshotter.v1.zfs", "io.containerd.snapshotter.v1.devmapper"]

[grpc]
  address = "$CTRD_SOCK"
[ttrpc]
  address = "$CTRD_SOCK.ttrpc"
[debug]
  address = ""
[metrics]
  address = ""

[plugins."io.containerd.internal.v1.opt"]
  path = "$CTRD_DIR/opt"

[plugins."io.containerd.grpc.v1.cri"]
  sandbox_image = "$PAUSE_IMAGE"
  # Without CAP_SYS_RESOURCE (as in this sandbox) runc cannot lower a
  # container's oom_score_adj below its own, and every sandbox would fail
  # with "can't get final child's PID from pipe: EOF".
  restrict_oom_score_adj = true
  stream_server_address = "127.0.0.1"
  [plugins."io.containerd.grpc.v1.cri".containerd]
    snapshotter = "$snapshotter"
    default_runtime_name = "runc"
    [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc]
      runtime_type = "io.containerd.runc.v2"
      [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc.options]
        SystemdCgroup = false
        Root = "$RUNC_ROOT"
  [plugins."io.containerd.grpc.v1.cri".cni]
    bin_dir = "$CNI_BIN_DIR"
    conf_dir = "$CNI_CONF_DIR"
    max_conf_num = 1
EOT
  echo "$snapshotter" >"$CTRD_DIR/snapshotter"

  # containerd's CRI adds the loopback network itself (from the same bin_dir).
  cat >"$CNI_CONF_DIR/10-persistcheck.conflist" <<EOT
{
  "cniVersion": "1.0.0",
  "name": "persistcheck-pods",
  "plugins": [
    {
      "type": "bridge",
      "bridge": "$BRIDGE",
      "isGateway": true,
      "ipMasq": false,
      "hairpinMode": true,
      "ipam": {
        "type": "host-local",
        "ranges": [[{"subnet": "$POD_SUBNET", "gateway": "$NODE_IP"}]],
        "dataDir": "$CNI_IPAM_DIR"
      }
    }
  ]
}
EOT

  cat >"$CLUSTER_DIR/kubelet.yaml" <<EOT
apiVersion: kubelet.config.k8s.io/v1beta1
kind: KubeletConfiguration
address: $NODE_IP
healthzBindAddress: 127.0.0.1
readOnlyPort: 0
tlsCertFile: $PKI/kubelet.crt
tlsPrivateKeyFile: $PKI/kubelet.key
authentication:
  anonymous:
    enabled: false
  webhook:
    enabled: true
  x509:
    clientCAFile: $PKI/ca.crt
authorization:
  mode: Webhook
containerRuntimeEndpoint: unix://$CTRD_SOCK
cgroupDriver: cgroupfs
failCgroupV1: false
failSwapOn: false
makeIPTablesUtilChains: false
podLogsDir: $CLUSTER_DIR/pod-logs
volumePluginDir: $KUBELET_ROOT/volume-plugins
resolvConf: /etc/resolv.conf
# Images cannot be pulled again: never collect them, and evict only when
# the disk is nearly full.
imageGCHighThresholdPercent: 100
imageGCLowThresholdPercent: 99
evictionHard:
  memory.available: 100Mi
  nodefs.available: 1%
  nodefs.inodesFree: 1%
  imagefs.available: 1%
  imagefs.inodesFree: 1%
EOT
}
