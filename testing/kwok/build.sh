#!/usr/bin/env bash
# Builds KWOK (sigs.k8s.io/kwok/cmd/kwok, unchanged, at the version go.mod names as this
# module's `tool`) for `kube-testenv up --kwok`, which runs it with stages.yaml. KWOK is its
# own module because it pins other k8s.io versions than testing/kube's kube-apiserver.
#
# Output: ${SISYPHUS_KWOK:-<repo>/target/kwok/kwok}; a relative SISYPHUS_KWOK is taken from the
# repository root, as the Rust fixture does. The build is skipped when <output>.stamp holds the
# sha256 of go.mod, go.sum, the Go version, the build environment and the ldflags of the last
# build. Concurrent runs for one output take turns on <output>.lock. Uses the default
# GOCACHE/GOMODCACHE.
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

stamp=$(
    {
        sha256sum go.mod go.sum
        go env GOVERSION GOOS GOARCH CGO_ENABLED GOFLAGS
        echo "$ldflags"
    } | sha256sum | cut -d' ' -f1
)
mkdir -p "$(dirname "$out")"
exec 9>"$out.lock"
flock 9
if [[ -x $out && -f $out.stamp && $(cat "$out.stamp") == "$stamp" ]]; then
    echo "kwok is up to date: $out"
    exit 0
fi

start=$(date +%s)
tmp=$(mktemp "$out.XXXXXX")
trap 'rm -f "$tmp" "$tmp.stamp"' EXIT
go build -ldflags "$ldflags" -o "$tmp" sigs.k8s.io/kwok/cmd/kwok
echo "$stamp" >"$tmp.stamp"
mv -f "$tmp" "$out"
mv -f "$tmp.stamp" "$out.stamp"
echo "built $out (KWOK v$version) in $(($(date +%s) - start))s"
