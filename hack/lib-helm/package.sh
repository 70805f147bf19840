#!/usr/bin/env bash
# Copyright 2026 The secrets-store-integration Authors
# SPDX-License-Identifier: Apache-2.0

# Package the platform's Helm library chart (deckhouse_lib_helm, github.com/deckhouse/lib-helm)
# into charts/deckhouse_lib_helm-$LIB_HELM_VERSION.tgz, the dependency Chart.yaml declares. The
# archive is committed, as Deckhouse modules do, so that rendering the chart needs no network.
#
# The chart is taken from the library's git repository at the tag of the version, directory
# charts/helm_lib, and written the way `helm package` lays it out (one top-level directory named
# after the chart). The archive is reproducible: the same tag gives the same bytes.
#
#   git clone --bare https://github.com/deckhouse/lib-helm /srv/src/lib-helm.git
#   LIB_HELM_SRC=/srv/src/lib-helm.git hack/lib-helm/package.sh
#
# Environment: LIB_HELM_SRC (a git repository of lib-helm, bare or not), LIB_HELM_VERSION (default
# below; keep it in step with Chart.yaml).
set -euo pipefail
LIB_HELM_VERSION=${LIB_HELM_VERSION:-1.71.11}
: "${LIB_HELM_SRC:?set LIB_HELM_SRC to a git repository of github.com/deckhouse/lib-helm}"
root=$(cd "$(dirname "$0")/../.." && pwd)
tag="deckhouse_lib_helm-$LIB_HELM_VERSION"
out="$root/charts/$tag.tgz"

version=$(git -C "$LIB_HELM_SRC" show "$tag:charts/helm_lib/Chart.yaml" | awk '$1 == "version:" {print $2}')
if [ "$version" != "$LIB_HELM_VERSION" ]; then
  echo "tag $tag carries chart version '$version', want $LIB_HELM_VERSION" >&2
  exit 1
fi
mkdir -p "$root/charts"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
git -C "$LIB_HELM_SRC" archive --format=tar --prefix=deckhouse_lib_helm/ "$tag:charts/helm_lib" | tar -xf - -C "$work"
# Names sorted, the tagged commit's time, no owner names, gzip without name and time: reproducible.
mtime=$(git -C "$LIB_HELM_SRC" log -1 --format=%ct "$tag^{commit}")
tar -C "$work" --sort=name --mtime="@$mtime" --owner=0 --group=0 --numeric-owner -cf - deckhouse_lib_helm |
  gzip -n -9 >"$out.tmp"
mv "$out.tmp" "$out"
echo "wrote $out (lib-helm $tag, commit $(git -C "$LIB_HELM_SRC" rev-parse "$tag^{commit}"))"
