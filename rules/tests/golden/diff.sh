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
plan="$(rf 'dev_april_sisyphus/example/production/production.binpb')"
cd "${BUILD_WORKING_DIRECTORY:-.}"
exec "$sisyphus" diff --plan "$plan" "$@"
