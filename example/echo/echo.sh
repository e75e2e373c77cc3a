#!/bin/sh
# A stand-in for the echo server binary: prints the arguments and environment it was started
# with, so `sisyphus app run-config` can be tried without building anything.
echo "args:"
for arg in "$@"; do printf '  %s\n' "$arg"; done
echo "env:"
env | sort | sed 's/^/  /'
