#!/usr/bin/env bash
# Builds KWOK (sigs.k8s.io/kwok/cmd/kwok, unchanged, at the version go.mod names as this
# module's `tool`) for `kube-testenv up --kwok`, which runs it with stages.yaml. KWOK is its
# own module because it pins other k8s.io versions than testing/kube's kube-apiserver.
#
# Output: ${SISYPHUS_KWOK:-<repo>/target/kwok/kwok}; a relative SISYPHUS_KWOK is taken from the
# repository root, as the Rust fixture does. The build is skipped when <output>.stamp holds the
# sha256 of go.mod, go.sum, the Go version, the build environment and the ldflags of the last
# build. Concurrent runs for one output take turns on <output>.lock (testing/lib/go-build.sh).
# Uses the default GOCACHE/GOMODCACHE.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/../.." && pwd)
out=${SISYPHUS_KWOK:-$repo/target/kwok/kwok}
[[ $out == /* ]] || out=$repo/$out
cd "$here"

version=$(sed -n 's|^[[:space:]]*sigs.k8s.io/kwok v\([0-9.]*\)\( // indirect\)\{0,1\}$|\1|p' go.mod | head -n1)
if [[ ! $version =~ ^[0-9]+\.[0-9]+\.[0-9]+$ ]]; then
    echo "build.sh: cannot read the sigs.k8s.io/kwok version from $here/go.mod (found \`$version\`)" >&2
    exit 1
fi
ldflags="-s -w -X sigs.k8s.io/kwok/pkg/consts.Version=v$version"

# shellcheck source=../lib/go-build.sh
source "$here/../lib/go-build.sh"
go_build_stamped kwok "KWOK v$version" "$out" sigs.k8s.io/kwok/cmd/kwok "$ldflags" go.mod go.sum
