#!/usr/bin/env bash
# Build the local Pulumi/Kubernetes toolchain from Go modules.
#
#   scripts/toolchain.sh [build]      build what is missing, link .toolchain/bin, install the k8s plugin
#   scripts/toolchain.sh check        check that the wrapper go.mod files agree with versions.env
#   scripts/toolchain.sh env          print `export` lines for PATH, PULUMI_HOME, ... (eval "$(...)")
#   scripts/toolchain.sh key          print the cache directory used for the current versions
#   scripts/toolchain.sh prune        delete cached builds other than the current key (~0.7 GB each)
#   scripts/toolchain.sh k8s-replaces print the replace block for the k8s wrappers (from k8s.io/kubernetes' go.mod)
#
# Binaries go to a cache outside the repo, keyed by the versions and build recipe:
#   ${IMAGING_CLOUD_TOOLCHAIN_CACHE:-${XDG_CACHE_HOME:-~/.cache}/imaging-cloud/toolchain}/<key>/bin
# and are symlinked into <repo>/.toolchain/bin (gitignored). The Kubernetes provider is
# installed as a Pulumi plugin into PULUMI_HOME (default <repo>/.local/pulumi-home).
# Versions: tools/toolchain/versions.env. Wrapper modules: tools/toolchain/<binary>/go.mod.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
TC="$ROOT/tools/toolchain"
# shellcheck source=../tools/toolchain/versions.env
. "$TC/versions.env"

RECIPE=2 # bump when the build commands below change in a way that changes the binaries
CACHE_ROOT="${IMAGING_CLOUD_TOOLCHAIN_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/imaging-cloud/toolchain}"
LINK_DIR="$ROOT/.toolchain/bin"
PULUMI_HOME_DIR="${PULUMI_HOME:-$ROOT/.local/pulumi-home}"
JOBS="${TOOLCHAIN_JOBS:-2}"

export GOFLAGS="-mod=mod -buildvcs=false"
export CGO_ENABLED=0

log() { printf '==> [toolchain] %s\n' "$*" >&2; }
die() { printf 'toolchain: ERROR: %s\n' "$*" >&2; exit 1; }

# run_step NAME LOGFILE CMD...: run CMD with output to LOGFILE; on failure name the step and show the log tail.
run_step() {
  local name="$1" logfile="$2"; shift 2
  local start=$SECONDS
  log "$name ..."
  if ! "$@" >"$logfile" 2>&1; then
    printf 'toolchain: ERROR: step "%s" failed (log: %s); last lines:\n' "$name" "$logfile" >&2
    tail -n 25 "$logfile" >&2 || true
    exit 1
  fi
  log "$name done in $((SECONDS - start))s"
  printf '%s\t%s\n' "$name" "$((SECONDS - start))" >>"$OUT/timings.tsv"
}

require_go() {
  command -v go >/dev/null 2>&1 || die "go not found on PATH (need go >= $GO_MIN_VERSION)"
  local have; have="$(go env GOVERSION)"; have="${have#go}"
  if [ "$(printf '%s\n%s\n' "$GO_MIN_VERSION" "$have" | sort -V | head -n1)" != "$GO_MIN_VERSION" ]; then
    die "go $have is older than the required $GO_MIN_VERSION"
  fi
}

version_key() {
  {
    printf 'recipe=%s\n' "$RECIPE"
    go env GOVERSION GOOS GOARCH
    cat "$TC/versions.env"
    local f
    for f in "$TC"/*/go.mod "$TC"/*/*.go; do
      [ -f "$f" ] && { printf '%s\n' "${f#"$TC"/}"; cat "$f"; }
    done
  } | sha256sum | cut -c1-16
}

# modver DIR MODULE: the version of MODULE required by DIR/go.mod.
modver() { (cd "$1" && go list -m -f '{{.Version}}' "$2"); }

cmd_check() {
  require_go
  local bad=0 got
  check() { # check DIR MODULE WANT
    got="$(modver "$TC/$1" "$2" 2>/dev/null || true)"
    if [ "$got" != "$3" ]; then
      printf 'toolchain: version mismatch: tools/toolchain/%s/go.mod has %s %s, versions.env wants %s\n' \
        "$1" "$2" "${got:-<none>}" "$3" >&2
      bad=1
    fi
  }
  check pulumi github.com/pulumi/pulumi/pkg/v3 "v$PULUMI_VERSION"
  check pulumi github.com/pulumi/pulumi/sdk/v3 "v$PULUMI_VERSION"
  check pulumi-language-python github.com/pulumi/pulumi/sdk/v3 "v$PULUMI_VERSION"
  check pulumi-resource-kubernetes github.com/pulumi/pulumi-kubernetes/provider/v4 "$PULUMI_KUBERNETES_PROVIDER_MODULE_VERSION"
  check kube-apiserver k8s.io/kubernetes "v$KUBERNETES_VERSION"
  check kube-controller-manager k8s.io/kubernetes "v$KUBERNETES_VERSION"
  check kine github.com/k3s-io/kine "v$KINE_VERSION"
  local d
  for d in kube-apiserver kube-controller-manager; do
    if grep -E '^\s*k8s\.io/[^ ]+ => k8s\.io/[^ ]+ v' "$TC/$d/go.mod" | grep -vq " v$KUBERNETES_STAGING_VERSION\$"; then
      printf 'toolchain: tools/toolchain/%s/go.mod has k8s.io replaces not at v%s\n' "$d" "$KUBERNETES_STAGING_VERSION" >&2
      bad=1
    fi
  done
  [ "$bad" = 0 ] || die "wrapper go.mod files disagree with tools/toolchain/versions.env"
  log "versions consistent"
}

cmd_k8s_replaces() {
  require_go
  local dir
  dir="$(go mod download -json "k8s.io/kubernetes@v$KUBERNETES_VERSION" | sed -n 's/^\t"GoMod": "\(.*\)",$/\1/p')"
  [ -f "$dir" ] || die "could not download the go.mod of k8s.io/kubernetes@v$KUBERNETES_VERSION"
  echo "replace ("
  awk -v v="v$KUBERNETES_STAGING_VERSION" '
    /^require \(/ { r = 1; next }
    r && /^\)/ { r = 0 }
    r && $1 ~ /^k8s\.io\// && $2 == "v0.0.0" { printf "\t%s => %s %s\n", $1, $1, v }' "$dir"
  echo ")"
  grep -E '^godebug' "$dir" | sed 's/^/\/\/ copy: /'
}

cmd_env() {
  cat <<EOF
export PATH="$LINK_DIR:\$PATH"
export PULUMI_HOME="$PULUMI_HOME_DIR"
export PULUMI_SKIP_UPDATE_CHECK=true
export PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION=true
EOF
}

go_build() { # go_build OUTPUT PKG LDFLAGS [TAGS]  (run inside a wrapper module directory)
  go build -p "$JOBS" -trimpath ${4:+-tags "$4"} -ldflags "$3" -o "$1" "$2"
}

# have NAME: the binary is already in the cache.
have() { [ -x "$OUT/bin/$1" ] && [ -f "$OUT/stamps/$1" ]; }
stamp() { mkdir -p "$OUT/stamps"; date -u +%FT%TZ >"$OUT/stamps/$1"; }

build_pulumi() {
  have pulumi && { log "pulumi v$PULUMI_VERSION: cached"; return; }
  cd "$TC/pulumi"
  run_step "build pulumi v$PULUMI_VERSION" "$OUT/logs/pulumi.log" \
    go_build "$OUT/bin/pulumi" github.com/pulumi/pulumi/pkg/v3/cmd/pulumi \
    "-X github.com/pulumi/pulumi/sdk/v3/go/common/version.Version=v$PULUMI_VERSION" osusergo,grpcnotrace
  stamp pulumi
}

copy_exec_script() {
  local dir
  dir="$(go mod download -json "github.com/pulumi/pulumi/sdk/v3@v$PULUMI_VERSION" | sed -n 's/^\t"Dir": "\(.*\)",$/\1/p')"
  [ -f "$dir/python/cmd/pulumi-language-python-exec" ] || { echo "no exec script in $dir" >&2; return 1; }
  install -m 0755 "$dir/python/cmd/pulumi-language-python-exec" "$OUT/bin/pulumi-language-python-exec"
}

build_language_python() {
  have pulumi-language-python && [ -x "$OUT/bin/pulumi-language-python-exec" ] && {
    log "pulumi-language-python $PULUMI_LANGUAGE_PYTHON_VERSION: cached"; return; }
  cd "$TC/pulumi-language-python"
  run_step "build pulumi-language-python $PULUMI_LANGUAGE_PYTHON_VERSION" "$OUT/logs/pulumi-language-python.log" \
    go_build "$OUT/bin/pulumi-language-python" . "-X main.version=$PULUMI_LANGUAGE_PYTHON_VERSION" osusergo,grpcnotrace
  run_step "copy pulumi-language-python-exec from sdk/v3@v$PULUMI_VERSION" "$OUT/logs/pulumi-language-python-exec.log" \
    copy_exec_script
  stamp pulumi-language-python
}

prepare_kubernetes_src() {
  local mod="github.com/pulumi/pulumi-kubernetes/provider/v4" dir build="$OUT/src/pulumi-resource-kubernetes"
  dir="$(go mod download -json "$mod@$PULUMI_KUBERNETES_PROVIDER_MODULE_VERSION" | sed -n 's/^\t"Dir": "\(.*\)",$/\1/p')"
  [ -d "$dir" ] || { echo "module $mod@$PULUMI_KUBERNETES_PROVIDER_MODULE_VERSION not downloaded" >&2; return 1; }
  rm -rf "$build"; mkdir -p "$build"
  cp -R "$dir" "$build/src"; chmod -R u+w "$build/src"
  # The module's own replace (sdk/v4 => ../sdk) points into the repository checkout; use the
  # sdk/v4 version its go.mod requires instead.
  (cd "$build/src" && go mod edit -dropreplace=github.com/pulumi/pulumi-kubernetes/sdk/v4)
  # Release-time step of upstream: embed the versioned schema and the terraform mapping.
  (cd "$build/src/cmd/pulumi-resource-kubernetes" && VERSION="$PULUMI_KUBERNETES_PROVIDER_VERSION" go run generate.go)
  [ -s "$build/src/cmd/pulumi-resource-kubernetes/schema-embed.json" ] || { echo "schema-embed.json not generated" >&2; return 1; }
  # -modfile builds need a go.mod in the build directory to anchor the ./src replace.
  printf 'module imaging-cloud.local/toolchain/pulumi-resource-kubernetes-build\n\ngo 1.26\n' >"$build/go.mod"
}

build_kubernetes_provider() {
  if ! have pulumi-resource-kubernetes; then
    run_step "prepare pulumi-kubernetes provider source ($PULUMI_KUBERNETES_PROVIDER_MODULE_VERSION, generate embeds)" \
      "$OUT/logs/pulumi-resource-kubernetes-generate.log" prepare_kubernetes_src
    cd "$OUT/src/pulumi-resource-kubernetes"
    run_step "build pulumi-resource-kubernetes $PULUMI_KUBERNETES_PROVIDER_VERSION" "$OUT/logs/pulumi-resource-kubernetes.log" \
      go build -modfile="$TC/pulumi-resource-kubernetes/go.mod" -p "$JOBS" -trimpath \
      -ldflags "-X github.com/pulumi/pulumi-kubernetes/provider/v4/pkg/version.Version=v$PULUMI_KUBERNETES_PROVIDER_VERSION" \
      -o "$OUT/bin/pulumi-resource-kubernetes" github.com/pulumi/pulumi-kubernetes/provider/v4/cmd/pulumi-resource-kubernetes
    rm -rf "$OUT/src/pulumi-resource-kubernetes"
    stamp pulumi-resource-kubernetes
  else
    log "pulumi-resource-kubernetes $PULUMI_KUBERNETES_PROVIDER_VERSION: cached"
  fi
}

k8s_ldflags() {
  local pkg="k8s.io/component-base/version" major="${KUBERNETES_VERSION%%.*}" rest="${KUBERNETES_VERSION#*.}"
  printf -- '-X %s.gitVersion=v%s -X %s.gitMajor=%s -X %s.gitMinor=%s -X %s.gitTreeState=clean -X %s.buildDate=%s' \
    "$pkg" "$KUBERNETES_VERSION" "$pkg" "$major" "$pkg" "${rest%%.*}" "$pkg" "$pkg" "1970-01-01T00:00:00Z"
  printf -- ' -X k8s.io/client-go/pkg/version.gitVersion=v%s' "$KUBERNETES_VERSION"
}

build_k8s() { # build_k8s NAME
  have "$1" && { log "$1 v$KUBERNETES_VERSION: cached"; return; }
  cd "$TC/$1"
  run_step "build $1 v$KUBERNETES_VERSION" "$OUT/logs/$1.log" \
    go_build "$OUT/bin/$1" "k8s.io/kubernetes/cmd/$1" "$(k8s_ldflags)" selinux,notest,grpcnotrace
  stamp "$1"
}

build_kine() {
  have kine && { log "kine v$KINE_VERSION: cached"; return; }
  cd "$TC/kine"
  run_step "build kine v$KINE_VERSION" "$OUT/logs/kine.log" \
    go_build "$OUT/bin/kine" github.com/k3s-io/kine "-X github.com/k3s-io/kine/pkg/version.Version=v$KINE_VERSION"
  stamp kine
}

link_bins() {
  mkdir -p "$LINK_DIR"
  local b
  # The provider is deliberately not linked: a pulumi-resource-* on PATH would be used for
  # every requested version, with a warning on each run. It is installed as a plugin instead.
  for b in pulumi pulumi-language-python pulumi-language-python-exec kube-apiserver kube-controller-manager kine; do
    ln -sfn "$OUT/bin/$b" "$LINK_DIR/$b"
  done
  # Drop links left from an older key that are not ours any more.
  for b in "$LINK_DIR"/*; do [ -e "$b" ] || rm -f "$b"; done
}

install_k8s_plugin() {
  local slot="$PULUMI_HOME_DIR/plugins/resource-kubernetes-v$PULUMI_KUBERNETES_VERSION"
  if [ -x "$slot/pulumi-resource-kubernetes" ] && cmp -s "$slot/pulumi-resource-kubernetes" "$OUT/bin/pulumi-resource-kubernetes"; then
    log "kubernetes plugin v$PULUMI_KUBERNETES_VERSION already installed in $PULUMI_HOME_DIR"
    return
  fi
  mkdir -p "$PULUMI_HOME_DIR"
  run_step "install kubernetes plugin as v$PULUMI_KUBERNETES_VERSION into $PULUMI_HOME_DIR" "$OUT/logs/plugin-install.log" \
    env PULUMI_HOME="$PULUMI_HOME_DIR" PULUMI_SKIP_UPDATE_CHECK=true \
    "$OUT/bin/pulumi" plugin install resource kubernetes "v$PULUMI_KUBERNETES_VERSION" \
    --file "$OUT/bin/pulumi-resource-kubernetes" --reinstall
}

smoke() {
  "$OUT/bin/pulumi" version | grep -qx "v$PULUMI_VERSION" || { echo "pulumi version mismatch"; return 1; }
  "$OUT/bin/kube-apiserver" --version | grep -q "v$KUBERNETES_VERSION" || { echo "kube-apiserver version mismatch"; return 1; }
  "$OUT/bin/kube-controller-manager" --version | grep -q "v$KUBERNETES_VERSION" || { echo "kube-controller-manager version mismatch"; return 1; }
  "$OUT/bin/kine" --help >/dev/null 2>&1 || { echo "kine does not run"; return 1; }
  env PULUMI_HOME="$PULUMI_HOME_DIR" PULUMI_SKIP_UPDATE_CHECK=true "$OUT/bin/pulumi" plugin ls
}

cmd_build() {
  require_go
  cmd_check
  local key; key="$(version_key)"
  OUT="$CACHE_ROOT/$key"
  mkdir -p "$OUT/bin" "$OUT/logs" "$OUT/stamps"
  : >>"$OUT/timings.tsv"
  log "cache: $OUT"
  cp "$TC/versions.env" "$OUT/versions.env"
  local t0=$SECONDS
  build_pulumi
  build_language_python
  build_kubernetes_provider
  build_kine
  build_k8s kube-apiserver
  build_k8s kube-controller-manager
  link_bins
  install_k8s_plugin
  run_step "smoke-test the binaries" "$OUT/logs/smoke.log" smoke
  log "toolchain ready in $((SECONDS - t0))s: ${LINK_DIR#"$ROOT"/} -> $OUT/bin"
  log "use: eval \"\$(scripts/toolchain.sh env)\""
}

cmd_prune() {
  require_go
  local key d; key="$(version_key)"
  [ -d "$CACHE_ROOT" ] || return 0
  for d in "$CACHE_ROOT"/*/; do
    d="${d%/}"
    [ "$(basename "$d")" = "$key" ] && continue
    log "removing $d"; rm -rf "$d"
  done
}

case "${1:-build}" in
  build) cmd_build ;;
  check) cmd_check ;;
  env) cmd_env ;;
  key) require_go; printf '%s/%s\n' "$CACHE_ROOT" "$(version_key)" ;;
  k8s-replaces) cmd_k8s_replaces ;;
  prune) cmd_prune ;;
  *) die "unknown command '$1' (build|check|env|key|prune|k8s-replaces)" ;;
esac
