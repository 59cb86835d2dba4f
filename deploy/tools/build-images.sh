#!/usr/bin/env bash
# make images, and the build step of make deploy ENV=local: builds the four
# application images from deploy/docker with docker or podman (container-tool.sh),
# tagged with image-tag.sh's tag. With a registry (REGISTRY or EDA_REGISTRY) it also
# tags each <registry>/eda/<name>:<tag> and pushes them, once all four are built.
set -euo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
images="user-service order-service subscriber operator"

tool="$("$here/container-tool.sh")"
tag="$("$here/image-tag.sh")"
registry="${REGISTRY:-${EDA_REGISTRY:-}}"
registry="${registry%/}"

# A pushed tag must name one build for good: a -dirty one would be overwritten by
# the next build of another uncommitted tree.
if [[ -n "$registry" && "$tag" == *-dirty && -z "${EDA_IMAGE_TAG:-}" ]]; then
    echo "images: uncommitted changes, so nothing is built to push under $tag; commit first, or set EDA_IMAGE_TAG to a tag of your own" >&2
    exit 1
fi

count=0
for name in $images; do
    count=$((count + 1))
    # Named in full: podman would call eda/<name> localhost/eda/<name>, which kind's
    # nodes would not match to the chart's eda/<name>.
    ref="docker.io/eda/$name:$tag"
    echo ">> [$count/4] building $ref ($tool, deploy/docker/$name.Dockerfile)"
    "$tool" build -f "$root/deploy/docker/$name.Dockerfile" -t "$ref" "$root"
done

if [[ -n "$registry" ]]; then
    count=0
    for name in $images; do
        count=$((count + 1))
        remote="$registry/eda/$name:$tag"
        echo ">> [$count/4] pushing $remote"
        "$tool" tag "docker.io/eda/$name:$tag" "$remote"
        "$tool" push "$remote"
    done
    echo ">> pushed the four images to $registry, tag $tag"
else
    echo ">> built the four images, tag $tag (no registry given: nothing pushed)"
fi
