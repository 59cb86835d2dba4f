#!/usr/bin/env bash
# kind-load-images.sh CLUSTER TAG: loads the four images of build-images.sh into the
# nodes of a kind cluster. kind reads docker's image store itself; podman's images
# go through an archive.
set -euo pipefail

cluster="${1:?usage: kind-load-images.sh CLUSTER TAG}"
tag="${2:?usage: kind-load-images.sh CLUSTER TAG}"
here="$(cd "$(dirname "$0")" && pwd)"
tool="$("$here/container-tool.sh")"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

count=0
for name in user-service order-service subscriber operator; do
    count=$((count + 1))
    ref="docker.io/eda/$name:$tag"
    echo ">> [$count/4] loading $ref into the kind cluster $cluster"
    if [[ "$tool" == podman ]]; then
        podman save --quiet -o "$work/$name.tar" "$ref"
        kind load image-archive "$work/$name.tar" --name "$cluster"
        rm -f "$work/$name.tar"
    else
        kind load docker-image "$ref" --name "$cluster"
    fi
done
