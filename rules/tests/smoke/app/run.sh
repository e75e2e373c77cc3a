#!/bin/sh
echo "smoke app: $*"
