#!/usr/bin/env bash
# Copyright 2026 The secrets-store-integration Authors
# SPDX-License-Identifier: Apache-2.0

# Build the binaries of the local real cluster from the Go module proxy, once per version.
#
# Every binary lands in $STACK_CACHE/<component>-<version>/, outside the repository. A binary
# that is already there is never rebuilt, so the second run of `make cluster-up` builds nothing.
#
#   kubernetes  kube-apiserver, kube-controller-manager, kube-scheduler, kubelet, kubectl
#               (k8s.io/kubernetes has replace directives for its staging modules, so it is
#               built through a wrapper module that pins each staging module to its published
#               v0.x tag)
#   etcd        go.etcd.io/etcd/server/v3 through a wrapper main calling etcdmain.Main
#   openbao     github.com/openbao/openbao by pseudo-version (its root module has no /v2, so
#               the v2.x tags are not module versions); api/auth/userpass/v2 is not served and
#               not needed by `bao`, so it is replaced by an empty stub module
#   kube-rbac-proxy
#               github.com/brancz/kube-rbac-proxy, the sidecar in front of the module's metrics
#               (Deckhouse ships its own build as a common image; the local cluster gets this one
#               under the same value, global.modulesImages.digests.common.kubeRbacProxy)
#   containerd  containerd, containerd-shim-runc-v2 and ctr from github.com/containerd/containerd/v2
#               (`go install <cmd>@<version>`: the module has no replace directives), static
#               with CGO off and the tags of containerd's own static release (the btrfs
#               snapshotter needs cgo and is left out, as no_btrfs says); the shim with
#               no_grpc, as containerd's Makefile builds it. runc is Debian's.
#
# Usage: build.sh [kubernetes] [etcd] [openbao] [kube-rbac-proxy] [containerd]   (default: all, in parallel)
# Normally run by `stack build` (test/stack), which sets the environment.
set -euo pipefail
# Versions and paths come from the caller (test/stack/versions.go is their one source):
: "${STACK_CACHE:?}" "${K8S_VERSION:?}" "${K8S_CMDS:?}" "${ETCD_VERSION:?}" "${OPENBAO_VERSION:?}" "${OPENBAO_PSEUDO:?}" "${KRP_VERSION:?}"
: "${CONTAINERD_VERSION:?}" "${CONTAINERD_CMDS:?}"
K8S_DIR="$STACK_CACHE/kubernetes-$K8S_VERSION"
ETCD_DIR="$STACK_CACHE/etcd-$ETCD_VERSION"
OPENBAO_DIR="$STACK_CACHE/openbao-$OPENBAO_VERSION"
KRP_DIR="$STACK_CACHE/kube-rbac-proxy-$KRP_VERSION"
CONTAINERD_DIR="$STACK_CACHE/containerd-$CONTAINERD_VERSION"
WANT=("$@"); [ ${#WANT[@]} -eq 0 ] && WANT=(kubernetes etcd openbao kube-rbac-proxy containerd)
export GOFLAGS="-buildvcs=false" CGO_ENABLED=0
export GONOSUMDB="${GONOSUMDB:+$GONOSUMDB,}github.com/openbao/go-kms-wrapping"

log() { printf '>> %s\n' "$*"; }

build_kubernetes() {
  local dir="$K8S_DIR" wrap="$STACK_CACHE/src/k8s-wrapper-$K8S_VERSION" cmds=() c
  for c in $K8S_CMDS; do [ -x "$dir/$c" ] || cmds+=("$c"); done
  if [ ${#cmds[@]} -eq 0 ]; then log "kubernetes $K8S_VERSION: cached in $dir"; return; fi
  mkdir -p "$wrap" "$dir"
  cd "$wrap"
  local kmod godir godebug staging_v minor
  kmod="$(go mod download -json "k8s.io/kubernetes@$K8S_VERSION" | sed -n 's/.*"GoMod": "\(.*\)".*/\1/p')"
  godir="$(awk '/^go /{print $2; exit}' "$kmod")"
  godebug="$(grep -E '^godebug ' "$kmod" || true)"
  staging_v="v0.${K8S_VERSION#v1.}"
  minor="$(echo "$K8S_VERSION" | cut -d. -f2)"
  {
    printf 'module stack/k8swrapper\n\ngo %s\n' "$godir"
    [ -n "$godebug" ] && echo "$godebug"
    printf '\nrequire k8s.io/kubernetes %s\n\nreplace (\n' "$K8S_VERSION"
    awk -v v="$staging_v" '/=> \.\/staging\/src\//{print "\t" $1 " => " $1 " " v}' "$kmod"
    echo ")"
  } > go.mod
  { printf '//go:build tools\n\npackage tools\n\nimport (\n'
    for c in $K8S_CMDS; do printf '\t_ "k8s.io/kubernetes/cmd/%s"\n' "$c"; done
    echo ")"; } > tools.go
  go mod tidy
  local ldf="-s -w" p t0
  for p in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
    ldf="$ldf -X $p.gitVersion=$K8S_VERSION -X $p.gitMajor=1 -X $p.gitMinor=$minor -X $p.gitTreeState=clean -X $p.gitCommit=module-proxy"
  done
  for c in "${cmds[@]}"; do
    t0=$(date +%s)
    go build -trimpath -ldflags "$ldf" -o "$dir/$c.tmp" "k8s.io/kubernetes/cmd/$c"
    mv "$dir/$c.tmp" "$dir/$c"
    log "built $dir/$c in $(( $(date +%s) - t0 ))s"
  done
}

build_etcd() {
  local dir="$ETCD_DIR" wrap="$STACK_CACHE/src/etcd-wrapper-$ETCD_VERSION"
  if [ -x "$dir/etcd" ]; then log "etcd $ETCD_VERSION: cached in $dir"; return; fi
  mkdir -p "$wrap" "$dir"
  cd "$wrap"
  printf 'module stack/etcdwrapper\n\ngo 1.23\n\nrequire go.etcd.io/etcd/server/v3 %s\n' "$ETCD_VERSION" > go.mod
  cat > main.go <<'EOF'
package main

import (
	"os"

	"go.etcd.io/etcd/server/v3/etcdmain"
)

func main() { etcdmain.Main(os.Args) }
EOF
  go mod tidy
  go build -trimpath -ldflags "-s -w" -o "$dir/etcd.tmp" .
  mv "$dir/etcd.tmp" "$dir/etcd"
  log "built $dir/etcd"
}

build_openbao() {
  local dir="$OPENBAO_DIR" wrap="$STACK_CACHE/src/openbao-wrapper-$OPENBAO_VERSION"
  if [ -x "$dir/bao" ]; then log "openbao $OPENBAO_VERSION: cached in $dir"; return; fi
  mkdir -p "$wrap/stub-userpass" "$dir"
  cd "$wrap"
  printf 'module github.com/openbao/openbao/api/auth/userpass/v2\n\ngo 1.22\n' > stub-userpass/go.mod
  cat > go.mod <<EOF
module stack/baowrapper

go 1.24.6

require github.com/openbao/openbao $OPENBAO_PSEUDO

replace (
	github.com/openbao/openbao/api/v2 => github.com/openbao/openbao/api/v2 v$OPENBAO_VERSION
	github.com/openbao/openbao/sdk/v2 => github.com/openbao/openbao/sdk/v2 v$OPENBAO_VERSION
	github.com/openbao/openbao/api/auth/approle/v2 => github.com/openbao/openbao/api/auth/approle/v2 v2.0.1
	github.com/openbao/openbao/api/auth/kubernetes/v2 => github.com/openbao/openbao/api/auth/kubernetes/v2 v2.0.1
	github.com/openbao/openbao/api/auth/userpass/v2 => ./stub-userpass
)
EOF
  printf '//go:build tools\n\npackage tools\n\nimport _ "github.com/openbao/openbao"\n' > tools.go
  # -e: tidy walks the tests of imported packages; one imports the stubbed userpass module
  go mod tidy -e
  go build -trimpath -tags openbao \
    -ldflags "-s -w -X github.com/openbao/openbao/version.fullVersion=$OPENBAO_VERSION" \
    -o "$dir/bao.tmp" github.com/openbao/openbao
  mv "$dir/bao.tmp" "$dir/bao"
  log "built $dir/bao"
}

# cmd/kube-rbac-proxy through a wrapper module, which repeats the replace directive of the
# module's go.mod (`go install pkg@version` refuses a module that has one).
build_kube_rbac_proxy() {
  local dir="$KRP_DIR" wrap="$STACK_CACHE/src/kube-rbac-proxy-wrapper-$KRP_VERSION" kmod
  if [ -x "$dir/kube-rbac-proxy" ]; then log "kube-rbac-proxy $KRP_VERSION: cached in $dir"; return; fi
  mkdir -p "$wrap" "$dir"
  cd "$wrap"
  kmod="$(go mod download -json "github.com/brancz/kube-rbac-proxy@$KRP_VERSION" | sed -n 's/.*"GoMod": "\(.*\)".*/\1/p')"
  {
    printf 'module stack/krpwrapper\n\ngo %s\n\nrequire github.com/brancz/kube-rbac-proxy %s\n\n' \
      "$(awk '/^go /{print $2; exit}' "$kmod")" "$KRP_VERSION"
    grep -E '^replace ' "$kmod" || true
  } > go.mod
  printf '//go:build tools\n\npackage tools\n\nimport _ "github.com/brancz/kube-rbac-proxy/cmd/kube-rbac-proxy"\n' > tools.go
  go mod tidy
  go build -trimpath -ldflags "-s -w" -o "$dir/kube-rbac-proxy.tmp" github.com/brancz/kube-rbac-proxy/cmd/kube-rbac-proxy
  mv "$dir/kube-rbac-proxy.tmp" "$dir/kube-rbac-proxy"
  log "built $dir/kube-rbac-proxy"
}


build_containerd() {
  local dir="$CONTAINERD_DIR" mod=github.com/containerd/containerd/v2 cmds=() c t0 tags ldf
  for c in $CONTAINERD_CMDS; do [ -x "$dir/$c" ] || cmds+=("$c"); done
  if [ ${#cmds[@]} -eq 0 ]; then log "containerd $CONTAINERD_VERSION: cached in $dir"; return; fi
  log "building containerd $CONTAINERD_VERSION (${cmds[*]}) into $dir (once; about 5 minutes on 2 cores, longer on a busy machine)"
  mkdir -p "$dir"
  ldf="-s -w -X $mod/version.Version=$CONTAINERD_VERSION -X $mod/version.Revision=module-proxy -X $mod/version.Package=$mod"
  for c in "${cmds[@]}"; do
    t0=$(date +%s)
    tags="urfave_cli_no_docs osusergo netgo static_build no_btrfs"
    [ "$c" = containerd-shim-runc-v2 ] && tags="$tags no_grpc"
    # GOBIN is a fresh directory so that a failed or interrupted build leaves no binary in $dir
    rm -rf "$dir/.tmp-$c"
    # GOTOOLCHAIN=auto: containerd's go.mod asks for a newer Go (1.26.6 for v2.4.2) than the
    # repository's; an older go (CI installs the version of go.mod, and may say local) then
    # fetches that toolchain from the module proxy instead of refusing to build
    GOTOOLCHAIN=auto GOBIN="$dir/.tmp-$c" go install -trimpath -tags "$tags" -ldflags "$ldf" "$mod/cmd/$c@$CONTAINERD_VERSION"
    mv "$dir/.tmp-$c/$c" "$dir/$c"
    rmdir "$dir/.tmp-$c"
    log "built $dir/$c in $(( $(date +%s) - t0 ))s"
  done
}

pids=()
for w in "${WANT[@]}"; do
  case "$w" in
    kubernetes|etcd|openbao|containerd) ( "build_$w" ) & pids+=($!) ;;
    kube-rbac-proxy) ( build_kube_rbac_proxy ) & pids+=($!) ;;
    *) echo "build.sh: unknown component $w (want kubernetes, etcd, openbao, kube-rbac-proxy or containerd)" >&2; exit 2 ;;
  esac
done
rc=0
for p in "${pids[@]}"; do wait "$p" || rc=1; done
exit $rc
