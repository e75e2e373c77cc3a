#!/bin/sh
# Stand-in coverage tool (testing/bazel/standins): coverage needs the real remote_coverage_tools.
echo "error: coverage is not available with the offline stand-ins of testing/bazel/bazel-ci" >&2
exit 1
