#!/usr/bin/env bash
# Copyright 2026 The secrets-store-integration Authors
# SPDX-License-Identifier: Apache-2.0

# Build dmt (github.com/deckhouse/dmt), the linter Deckhouse's module CI runs (`dmt lint`), once
# per version, into $STACK_CACHE/tools/dmt-$DMT_VERSION/dmt, outside the repository. A binary that
# is already there is never rebuilt. It takes 10-25 minutes on 2 cores (8 measured, downloads
# included; most of it is compiling helm, the Kubernetes client libraries and prometheus). The
# dependencies come from the Go module proxy.
#
# Two sources are not served by the Go module proxy and must be given as directories:
#   DMT_SRC      dmt itself, and
#   KUBEDOG_SRC  github.com/werf/kubedog, which dmt requires (through github.com/werf/nelm);
# at the versions dmt pins, the proxy answers both with 403 "This module version is not available".
# Each may be a git repository (bare or not; the pinned commit is taken from it with
# `git archive`) or a source tree already at the right version. Get them with
#   git clone --bare https://github.com/deckhouse/dmt    /srv/src/dmt.git
#   git clone --bare https://github.com/werf/kubedog     /srv/src/kubedog.git
#   DMT_SRC=/srv/src/dmt.git KUBEDOG_SRC=/srv/src/kubedog.git hack/dmt/build.sh
# kubedog is built from the commit named by the pseudo-version in dmt's go.mod; KUBEDOG_REF
# overrides it when a copy lacks that commit (the commit actually used is written next to the
# binary, in BUILDINFO). The build copy's go.mod gets a replace directive to that directory.
#
# Environment: STACK_CACHE (default /var/cache/secrets-store-integration), DMT_VERSION (default
# below; keep it in step with DMT_VERSION in the Makefile), DMT_SRC, KUBEDOG_SRC, KUBEDOG_REF.
set -euo pipefail
STACK_CACHE=${STACK_CACHE:-/var/cache/secrets-store-integration}
DMT_VERSION=${DMT_VERSION:-v0.1.104}
OUT_DIR="$STACK_CACHE/tools/dmt-$DMT_VERSION"
BIN="$OUT_DIR/dmt"
WORK="$STACK_CACHE/src/dmt-$DMT_VERSION"
export CGO_ENABLED=0 GOFLAGS="-buildvcs=false -mod=mod"

log() { printf '>> %s\n' "$*"; }
die() { printf 'hack/dmt/build.sh: %s\n' "$*" >&2; exit 1; }

if [ -x "$BIN" ]; then
  log "dmt $DMT_VERSION: cached in $BIN"
  exit 0
fi

how_to_get="neither dmt nor kubedog is served by the Go module proxy; clone them and pass the directories:
  git clone --bare https://github.com/deckhouse/dmt /srv/src/dmt.git
  git clone --bare https://github.com/werf/kubedog /srv/src/kubedog.git
  DMT_SRC=/srv/src/dmt.git KUBEDOG_SRC=/srv/src/kubedog.git hack/dmt/build.sh"
[ -n "${DMT_SRC:-}" ] && [ -d "$DMT_SRC" ] || die "DMT_SRC is not set or not a directory: $how_to_get"
[ -n "${KUBEDOG_SRC:-}" ] && [ -d "$KUBEDOG_SRC" ] || die "KUBEDOG_SRC is not set or not a directory: $how_to_get"

is_git() { [ -d "$1/.git" ] || [ "$(git -C "$1" rev-parse --is-bare-repository 2>/dev/null)" = true ]; }

# unpack SRC REF DEST MODULE [HINT]: DEST becomes the source of MODULE at REF (a git repository)
# or a copy of SRC (a source tree); prints the commit used, or "tree".
unpack() {
  local src=$1 ref=$2 dest=$3 module=$4 commit="tree"
  rm -rf "$dest"; mkdir -p "$dest"
  if is_git "$src"; then
    commit=$(git -C "$src" rev-parse --verify -q "$ref^{commit}") ||
      die "$src has no commit $ref for $module: fetch it (git -C $src fetch --tags origin), or point at a newer clone${5:+, or $5}"
    git -C "$src" archive "$commit" | tar -x -C "$dest"
  else
    cp -a "$src/." "$dest/"
  fi
  grep -qx "module $module" "$dest/go.mod" || die "$src is not the source of $module (its go.mod names another module)"
  echo "$commit"
}

t0=$(date +%s)
log "building dmt $DMT_VERSION into $BIN (once; 10-25 minutes on 2 cores)"
dmt_commit=$(unpack "$DMT_SRC" "$DMT_VERSION" "$WORK/dmt" github.com/deckhouse/dmt)
[ "$dmt_commit" = tree ] && log "DMT_SRC is a source tree: taken as dmt $DMT_VERSION as it is"

kd_pinned=$(awk '$1 == "github.com/werf/kubedog" {print $2}' "$WORK/dmt/go.mod")
[ -n "$kd_pinned" ] || die "dmt's go.mod does not require github.com/werf/kubedog any more: drop KUBEDOG_SRC from this script"
if [[ $kd_pinned =~ [0-9]{14}-([0-9a-f]{12})$ ]]; then
  kd_ref=${BASH_REMATCH[1]} # a pseudo-version ends with the commit
else
  kd_ref=$kd_pinned # a tag
fi
kd_ref=${KUBEDOG_REF:-$kd_ref}
kd_commit=$(unpack "$KUBEDOG_SRC" "$kd_ref" "$WORK/kubedog" github.com/werf/kubedog \
  "set KUBEDOG_REF to a commit it has")
if [ "$kd_commit" = tree ]; then
  log "kubedog: dmt pins $kd_pinned; KUBEDOG_SRC is a source tree, taken as that version as it is"
else
  log "kubedog: dmt pins $kd_pinned; building with commit $kd_commit from $KUBEDOG_SRC"
fi

cd "$WORK/dmt"
go mod edit -replace "github.com/werf/kubedog=$WORK/kubedog"
date_iso=$( { is_git "$DMT_SRC" && git -C "$DMT_SRC" log -1 --format=%cI "$dmt_commit"; } || echo unknown)
ldflags="-s -w -X github.com/deckhouse/dmt/internal/version.Version=$DMT_VERSION"
ldflags="$ldflags -X github.com/deckhouse/dmt/internal/version.Commit=${dmt_commit:0:8}"
ldflags="$ldflags -X github.com/deckhouse/dmt/internal/version.Date=$date_iso"
log "go build ./cmd/dmt in $WORK/dmt (dependencies from ${GOPROXY:-$(go env GOPROXY)})"
mkdir -p "$OUT_DIR"
go build -trimpath -ldflags "$ldflags" -o "$BIN.tmp" ./cmd/dmt
{
  echo "dmt $DMT_VERSION from $DMT_SRC, commit $dmt_commit"
  echo "github.com/werf/kubedog: dmt pins $kd_pinned; replaced by $KUBEDOG_SRC, commit $kd_commit"
  go version
} > "$OUT_DIR/BUILDINFO"
mv "$BIN.tmp" "$BIN"
log "dmt $DMT_VERSION built in $(( $(date +%s) - t0 ))s: $BIN"
