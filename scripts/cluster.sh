#!/usr/bin/env bash
# Local Kubernetes control plane for tests: kine (SQLite) + kube-apiserver + kube-controller-manager,
# all listening on 127.0.0.1 only. No kubelet/scheduler: objects are stored and reconciled by the
# controllers (namespace deletion, garbage collection, service accounts), pods never run.
#
#   scripts/cluster.sh up       start (idempotent) and wait until healthy
#   scripts/cluster.sh down     stop everything it started (keeps data and certificates)
#   scripts/cluster.sh status   show processes and health
#   scripts/cluster.sh purge    down, then delete .local/cluster (data, certificates, logs)
#
# Binaries come from .toolchain/bin (make toolchain). State lives in .local/cluster:
#   kubeconfig (admin, O=system:masters, certificates embedded), pki/, data/, logs/, run/*.pid
# Ports (override with env): CLUSTER_KINE_PORT=23790 CLUSTER_APISERVER_PORT=16443
#   CLUSTER_KCM_PORT=10357 CLUSTER_KINE_METRICS_PORT=23791; CLUSTER_READY_TIMEOUT=120 (seconds).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BIN="$ROOT/.toolchain/bin"
STATE="${CLUSTER_STATE_DIR:-$ROOT/.local/cluster}"
PKI="$STATE/pki"; LOGS="$STATE/logs"; RUN="$STATE/run"; DATA="$STATE/data"
KUBECONFIG_FILE="$STATE/kubeconfig"
KINE_PORT="${CLUSTER_KINE_PORT:-23790}"
KINE_METRICS_PORT="${CLUSTER_KINE_METRICS_PORT:-23791}"
API_PORT="${CLUSTER_APISERVER_PORT:-16443}"
KCM_PORT="${CLUSTER_KCM_PORT:-10357}"
READY_TIMEOUT="${CLUSTER_READY_TIMEOUT:-120}"
SERVICE_CIDR="10.96.0.0/16"
SERVICE_IP="10.96.0.1"
ISSUER="https://kubernetes.default.svc.cluster.local"
COMPONENTS=(kine kube-apiserver kube-controller-manager)

log() { printf '==> [cluster] %s\n' "$*" >&2; }
die() { printf 'cluster: ERROR: %s\n' "$*" >&2; exit 1; }

fail_with_log() { # fail_with_log COMPONENT MESSAGE
  printf 'cluster: ERROR: %s\n' "$2" >&2
  if [ -f "$LOGS/$1.log" ]; then
    printf -- '--- last 30 lines of %s ---\n' "$LOGS/$1.log" >&2
    tail -n 30 "$LOGS/$1.log" >&2 || true
  fi
  printf 'cluster: leaving the cluster down (scripts/cluster.sh down)\n' >&2
  cmd_down >/dev/null 2>&1 || true
  exit 1
}

pid_of() { [ -f "$RUN/$1.pid" ] && cat "$RUN/$1.pid" || true; }
alive() { local p; p="$(pid_of "$1")"; [ -n "$p" ] && kill -0 "$p" 2>/dev/null; }

need_bins() {
  local b
  for b in "${COMPONENTS[@]}"; do
    [ -x "$BIN/$b" ] || die "$BIN/$b not found: run 'make toolchain' first"
  done
  command -v openssl >/dev/null || die "openssl not found"
  command -v curl >/dev/null || die "curl not found"
}

# --- certificates -----------------------------------------------------------------------------
sign() { # sign NAME SUBJECT EXTFILE-CONTENT
  local name="$1" subj="$2" ext="$3"
  openssl genrsa -out "$PKI/$name.key" 2048 2>/dev/null
  openssl req -new -key "$PKI/$name.key" -subj "$subj" -out "$PKI/$name.csr" 2>/dev/null
  printf '%s\n' "$ext" >"$PKI/$name.ext"
  openssl x509 -req -in "$PKI/$name.csr" -CA "$PKI/ca.crt" -CAkey "$PKI/ca.key" -CAcreateserial \
    -days 365 -sha256 -extfile "$PKI/$name.ext" -out "$PKI/$name.crt" 2>/dev/null
  rm -f "$PKI/$name.csr" "$PKI/$name.ext"
}

gen_pki() {
  [ -f "$PKI/.complete" ] && return
  log "generating certificates in ${PKI#"$ROOT"/}"
  rm -rf "$PKI"; mkdir -p "$PKI"; chmod 700 "$PKI"
  openssl req -x509 -newkey rsa:2048 -nodes -keyout "$PKI/ca.key" -out "$PKI/ca.crt" -days 365 -sha256 \
    -subj "/CN=imaging-cloud-local-ca" \
    -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign" 2>/dev/null
  sign apiserver "/CN=kube-apiserver" "basicConstraints=CA:FALSE
keyUsage=critical,digitalSignature,keyEncipherment
extendedKeyUsage=serverAuth
subjectAltName=IP:127.0.0.1,DNS:localhost,IP:$SERVICE_IP,DNS:kubernetes,DNS:kubernetes.default,DNS:kubernetes.default.svc,DNS:kubernetes.default.svc.cluster.local"
  local client="basicConstraints=CA:FALSE
keyUsage=critical,digitalSignature,keyEncipherment
extendedKeyUsage=clientAuth"
  sign admin "/O=system:masters/CN=imaging-cloud-admin" "$client"
  sign controller-manager "/CN=system:kube-controller-manager" "$client"
  openssl genrsa -out "$PKI/sa.key" 2048 2>/dev/null
  openssl rsa -in "$PKI/sa.key" -pubout -out "$PKI/sa.pub" 2>/dev/null
  chmod 600 "$PKI"/*.key
  touch "$PKI/.complete"
}

b64() { base64 -w0 <"$1"; }

write_kubeconfig() { # write_kubeconfig FILE CERTNAME USER
  local tmp="$1.tmp"
  cat >"$tmp" <<EOF
apiVersion: v1
kind: Config
clusters:
- name: imaging-cloud-local
  cluster:
    server: https://127.0.0.1:$API_PORT
    certificate-authority-data: $(b64 "$PKI/ca.crt")
users:
- name: $3
  user:
    client-certificate-data: $(b64 "$PKI/$2.crt")
    client-key-data: $(b64 "$PKI/$2.key")
contexts:
- name: imaging-cloud-local
  context:
    cluster: imaging-cloud-local
    user: $3
current-context: imaging-cloud-local
EOF
  chmod 600 "$tmp"; mv "$tmp" "$1"
}

# --- processes ---------------------------------------------------------------------------------
start() { # start NAME ARGS...: run detached in its own session, log to logs/NAME.log, pid in run/NAME.pid
  local name="$1"; shift
  if alive "$name"; then log "$name already running (pid $(pid_of "$name"))"; return; fi
  printf '\n=== %s start %s\n' "$name" "$(date -u +%FT%TZ)" >>"$LOGS/$name.log"
  setsid "$BIN/$name" "$@" >>"$LOGS/$name.log" 2>&1 </dev/null &
  echo $! >"$RUN/$name.pid"
  log "$name started (pid $!)"
}

port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

wait_until() { # wait_until COMPONENT DESCRIPTION CMD...
  local name="$1" what="$2"; shift 2
  local deadline=$((SECONDS + READY_TIMEOUT))
  until "$@" >/dev/null 2>&1; do
    alive "$name" || fail_with_log "$name" "$name exited while waiting for $what"
    [ "$SECONDS" -lt "$deadline" ] || fail_with_log "$name" "timed out after ${READY_TIMEOUT}s waiting for $what"
    sleep 1
  done
}

api_get() { # api_get PATH: GET on the apiserver as the admin user
  curl -fsS --max-time 5 --cacert "$PKI/ca.crt" --cert "$PKI/admin.crt" --key "$PKI/admin.key" \
    "https://127.0.0.1:$API_PORT$1"
}
kcm_healthy() { curl -fsS --max-time 5 -k "https://127.0.0.1:$KCM_PORT/healthz" | grep -qx ok; }
api_ready() { api_get /readyz | grep -qx ok; }

cmd_up() {
  need_bins
  mkdir -p "$LOGS" "$RUN" "$DATA"
  gen_pki
  write_kubeconfig "$KUBECONFIG_FILE" admin imaging-cloud-admin
  write_kubeconfig "$STATE/controller-manager.kubeconfig" controller-manager system:kube-controller-manager

  start kine \
    --listen-address "127.0.0.1:$KINE_PORT" \
    --metrics-bind-address "127.0.0.1:$KINE_METRICS_PORT" \
    --endpoint "sqlite://$DATA/kine.db?_journal=WAL&cache=shared&_busy_timeout=30000"
  wait_until kine "kine on 127.0.0.1:$KINE_PORT" port_open "$KINE_PORT"

  start kube-apiserver \
    --etcd-servers "http://127.0.0.1:$KINE_PORT" \
    --bind-address 127.0.0.1 --advertise-address 127.0.0.1 --secure-port "$API_PORT" \
    --endpoint-reconciler-type none \
    --cert-dir "$PKI/apiserver-generated" \
    --tls-cert-file "$PKI/apiserver.crt" --tls-private-key-file "$PKI/apiserver.key" \
    --client-ca-file "$PKI/ca.crt" \
    --authorization-mode RBAC \
    --service-account-issuer "$ISSUER" \
    --service-account-key-file "$PKI/sa.pub" \
    --service-account-signing-key-file "$PKI/sa.key" \
    --service-cluster-ip-range "$SERVICE_CIDR" \
    --profiling=false \
    --v=1
  wait_until kube-apiserver "https://127.0.0.1:$API_PORT/readyz" api_ready

  start kube-controller-manager \
    --kubeconfig "$STATE/controller-manager.kubeconfig" \
    --authentication-kubeconfig "$STATE/controller-manager.kubeconfig" \
    --authorization-kubeconfig "$STATE/controller-manager.kubeconfig" \
    --bind-address 127.0.0.1 --secure-port "$KCM_PORT" \
    --cert-dir "$PKI/controller-manager-generated" \
    --service-account-private-key-file "$PKI/sa.key" \
    --root-ca-file "$PKI/ca.crt" \
    --cluster-signing-cert-file "$PKI/ca.crt" --cluster-signing-key-file "$PKI/ca.key" \
    --use-service-account-credentials=true \
    --leader-elect=false \
    --profiling=false \
    --v=1
  wait_until kube-controller-manager "https://127.0.0.1:$KCM_PORT/healthz" kcm_healthy
  # The namespace controller needs the "default" service account machinery and discovery;
  # wait for the first controller-made object as a sign the controllers are syncing.
  wait_until kube-controller-manager "the default ServiceAccount in namespace default" \
    api_get /api/v1/namespaces/default/serviceaccounts/default

  log "cluster ready: https://127.0.0.1:$API_PORT"
  log "KUBECONFIG=${KUBECONFIG_FILE#"$ROOT"/}"
}

stop() { # stop NAME: SIGTERM the process group, SIGKILL after 20s
  local name="$1" pid
  pid="$(pid_of "$name")"
  if [ -z "$pid" ]; then return; fi
  if kill -0 "$pid" 2>/dev/null; then
    kill -TERM -- "-$pid" 2>/dev/null || kill -TERM "$pid" 2>/dev/null || true
    local i
    for i in $(seq 1 40); do kill -0 "$pid" 2>/dev/null || break; sleep 0.5; done
    if kill -0 "$pid" 2>/dev/null; then
      log "$name (pid $pid) did not stop on SIGTERM, killing"
      kill -KILL -- "-$pid" 2>/dev/null || kill -KILL "$pid" 2>/dev/null || true
      sleep 0.5
    fi
    log "$name stopped (pid $pid)"
  fi
  kill -0 "$pid" 2>/dev/null && die "$name (pid $pid) is still running"
  rm -f "$RUN/$name.pid"
}

cmd_down() {
  local i
  for ((i = ${#COMPONENTS[@]} - 1; i >= 0; i--)); do stop "${COMPONENTS[$i]}"; done
  log "cluster down"
}

cmd_status() {
  local c rc=0
  for c in "${COMPONENTS[@]}"; do
    if alive "$c"; then printf '%-24s running (pid %s)\n' "$c" "$(pid_of "$c")"
    else printf '%-24s stopped\n' "$c"; rc=1; fi
  done
  if [ -f "$PKI/admin.crt" ] && api_ready 2>/dev/null; then
    printf '%-24s ok (https://127.0.0.1:%s)\n' "apiserver /readyz" "$API_PORT"
  else printf '%-24s not ready\n' "apiserver /readyz"; rc=1; fi
  if kcm_healthy 2>/dev/null; then printf '%-24s ok\n' "controller-manager"; else printf '%-24s not healthy\n' "controller-manager"; rc=1; fi
  printf 'kubeconfig: %s\n' "$KUBECONFIG_FILE"
  return "$rc"
}

cmd_purge() {
  cmd_down
  rm -rf "$STATE"
  log "removed ${STATE#"$ROOT"/}"
}

case "${1:-}" in
  up) cmd_up ;;
  down) cmd_down ;;
  status) cmd_status ;;
  purge) cmd_purge ;;
  *) die "usage: scripts/cluster.sh up|down|status|purge" ;;
esac
