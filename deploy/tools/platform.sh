#!/usr/bin/env bash
# Prints this machine as os/arch in the words helm, kubectl and kind publish their
# binaries under: linux/amd64, linux/arm64, darwin/arm64, darwin/amd64.
set -euo pipefail

os="$(uname -s | tr '[:upper:]' '[:lower:]')"
machine="$(uname -m)"
case "$machine" in
    x86_64 | amd64) arch=amd64 ;;
    arm64 | aarch64) arch=arm64 ;;
    *) arch="$machine" ;;
esac
echo "$os/$arch"
