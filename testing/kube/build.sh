#!/usr/bin/env bash
# Builds kube-testenv (etcd + kube-apiserver + kube-controller-manager in one binary) for the
# Rust test fixtures in tools/sisyphus-test-support.
#
# Output: ${SISYPHUS_KUBE_TESTENV:-<repo>/target/kube-testenv/kube-testenv}; a relative
# SISYPHUS_KUBE_TESTENV is taken from the repository root, as the Rust fixture does. The build is
# skipped when <output>.stamp holds the sha256 of go.mod, go.sum, every .go file, the Go version,
# the build environment and the ldflags of the last build. Concurrent runs for one output (two CI
# jobs sharing a target dir) take turns on <output>.lock (testing/lib/go-build.sh). Uses the
# default GOCACHE/GOMODCACHE.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/../.." && pwd)
out=${SISYPHUS_KUBE_TESTENV:-$repo/target/kube-testenv/kube-testenv}
[[ $out == /* ]] || out=$repo/$out
cd "$here"

version=$(sed -n 's|^[[:space:]]*k8s.io/kubernetes v\([0-9.]*\)$|\1|p' go.mod | head -n1)
if [[ ! $version =~ ^1\.([0-9]+)\.[0-9]+$ ]]; then
    echo "build.sh: cannot read the k8s.io/kubernetes version from $here/go.mod (found \`$version\`)" >&2
    exit 1
fi
minor=${BASH_REMATCH[1]}
pkg=k8s.io/component-base/version
ldflags="-s -w -X $pkg.gitVersion=v$version -X $pkg.gitMajor=1 -X $pkg.gitMinor=$minor -X $pkg.gitTreeState=clean"

mapfile -t inputs < <(find . -name '*.go' -o -name go.mod -o -name go.sum | LC_ALL=C sort)
# shellcheck source=../lib/go-build.sh
source "$here/../lib/go-build.sh"
go_build_stamped kube-testenv "Kubernetes v$version" "$out" ./cmd/kube-testenv "$ldflags" "${inputs[@]}"
