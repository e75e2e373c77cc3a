#!/usr/bin/env bash
set -euo pipefail
if [[ -z "${RUNFILES_DIR:-}" ]]; then
  if [[ -d "$0.runfiles" ]]; then
    RUNFILES_DIR="$0.runfiles"
  else
    echo "error: cannot find the runfiles of $0 (run it with \`bazel run\`)" >&2
    exit 1
  fi
fi
RUNFILES_DIR="$(cd "$RUNFILES_DIR" && pwd)"
rf() { printf '%s/%s' "$RUNFILES_DIR" "$1"; }
sisyphus="$(rf 'dev_april_sisyphus_tools/sisyphus')"
cd "${BUILD_WORKING_DIRECTORY:-.}"
echo 'pushing the binary image' >&2
"$sisyphus" image push --layout "$(rf 'dev_april_sisyphus/example/echo/image')" --tag 'localhost:5000/acme/containers/echo:latest' "$@"
echo 'pushing the config image' >&2
"$sisyphus" image push --layout "$(rf 'dev_april_sisyphus/example/echo/sisyphus')" --tag 'localhost:5000/acme/containers/echo_config:latest' "$@"
