"""The preamble of the generated runner scripts (private)."""

# Finds the runfiles directory whether the script runs under `bazel run`, `bazel test` or
# directly from bazel-bin, and defines `rf PATH`: the absolute path of a runfile.
RUNFILES_PREAMBLE = """\
#!/usr/bin/env bash
set -euo pipefail
if [[ -z "${RUNFILES_DIR:-}" ]]; then
  if [[ -d "$0.runfiles" ]]; then
    RUNFILES_DIR="$0.runfiles"
  else
    echo "error: cannot find the runfiles of $0 (run it with \\`bazel run\\`)" >&2
    exit 1
  fi
fi
RUNFILES_DIR="$(cd "$RUNFILES_DIR" && pwd)"
rf() { printf '%s/%s' "$RUNFILES_DIR" "$1"; }
"""
