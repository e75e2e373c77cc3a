# Sourced by testing/*/build.sh: one stamped, locked `go build` of a harness binary.
#
# go_build_stamped NAME LABEL OUT PACKAGE LDFLAGS FILE...
#   Builds PACKAGE (of the module in the current directory) into OUT with LDFLAGS, unless
#   OUT.stamp holds the sha256 of FILE..., the Go version, the build environment and LDFLAGS
#   of the last build. Concurrent runs for one OUT (two CI jobs sharing a target dir) take turns
#   on OUT.lock. The binary and its stamp are moved into place only once the build succeeded.
#   Uses the default GOCACHE/GOMODCACHE.
go_build_stamped() {
    local name=$1 label=$2 out=$3 package=$4 ldflags=$5
    shift 5
    local stamp
    stamp=$(
        {
            sha256sum "$@"
            go env GOVERSION GOOS GOARCH CGO_ENABLED GOFLAGS
            echo "$ldflags"
        } | sha256sum | cut -d' ' -f1
    )
    mkdir -p "$(dirname "$out")"
    exec 9>"$out.lock"
    flock 9
    if [[ -x $out && -f $out.stamp && $(cat "$out.stamp") == "$stamp" ]]; then
        echo "$name is up to date: $out"
        return 0
    fi
    local start tmp
    start=$(date +%s)
    tmp=$(mktemp "$out.XXXXXX")
    # shellcheck disable=SC2064 # expand $tmp now: it is local to this function
    trap "rm -f '$tmp' '$tmp.stamp'" EXIT
    go build -ldflags "$ldflags" -o "$tmp" "$package"
    echo "$stamp" >"$tmp.stamp"
    mv -f "$tmp" "$out"
    mv -f "$tmp.stamp" "$out.stamp"
    echo "built $out ($label) in $(($(date +%s) - start))s"
}
