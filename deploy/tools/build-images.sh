#!/usr/bin/env bash
# make images, and the build step of make deploy ENV=local: builds the four
# application images from deploy/docker with docker or podman (container-tool.sh),
# tagged with image-tag.sh's tag, on the base images deploy/docker/base-images.env
# names (passed as the build arguments PYTHON_IMAGE and UV_IMAGE). With a registry
# (REGISTRY or EDA_REGISTRY) it also tags each <registry>/eda/<name>:<tag> and pushes
# them, once all four are built and none is built on a stand-in base image.
# EDA_BASE_IMAGES_FILE names another file of the same form: the tests give the
# stand-ins podman-offline.sh makes (.tools/base-images.env), never pushed.
set -euo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
images="user-service order-service subscriber operator"
# The label podman-offline.sh puts on its stand-ins; images built on one inherit it.
standin_label=eda.standin.recipe

fail() { echo "images: $*" >&2; exit 1; }

base_file="${EDA_BASE_IMAGES_FILE:-$root/deploy/docker/base-images.env}"
[[ -f "$base_file" ]] || fail "$base_file: no such file of base images"
# name[:port]/path:tag, optionally @sha256:<64 hex>; in a variable for bash 3.2 (macOS).
reference='^[a-z0-9][a-z0-9.-]*(:[0-9]+)?(/[a-z0-9._-]+)+:[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}(@sha256:[0-9a-f]{64})?$'
python_image=""
uv_image=""
while IFS= read -r line || [[ -n "$line" ]]; do
    [[ -z "$line" || "$line" == \#* ]] && continue
    name="${line%%=*}"
    value="${line#*=}"
    [[ "$line" == *=* && "$value" =~ $reference ]] \
        || fail "$base_file: '$line' is not NAME=name:tag or NAME=name:tag@sha256:<64 hex>"
    case "$name" in
        PYTHON_IMAGE) python_image="$value" ;;
        UV_IMAGE) uv_image="$value" ;;
        *) fail "$base_file: $name is not a base image the Dockerfiles take (PYTHON_IMAGE, UV_IMAGE)" ;;
    esac
done <"$base_file"
[[ -n "$python_image" && -n "$uv_image" ]] || fail "$base_file: PYTHON_IMAGE and UV_IMAGE expected"

tool="$("$here/container-tool.sh")"
tag="$("$here/image-tag.sh")"
registry="${REGISTRY:-${EDA_REGISTRY:-}}"
registry="${registry%/}"

# A pushed tag must name one build for good: a -dirty one would be overwritten by
# the next build of another uncommitted tree.
if [[ -n "$registry" && "$tag" == *-dirty && -z "${EDA_IMAGE_TAG:-}" ]]; then
    fail "uncommitted changes, so nothing is built to push under $tag; commit first, or set EDA_IMAGE_TAG to a tag of your own"
fi

labels() { # ref: the stand-in label's value, empty when the image has none; fails when it is not here
    local value
    value="$("$tool" image inspect --format "{{ index .Config.Labels \"$standin_label\" }}" "$1" 2>/dev/null)" || return 1
    [[ "$value" == "<no value>" ]] || echo "$value"
}
standin() { # ref: as labels, and empty for an image not here (a build pulls it)
    labels "$1" || true
}

# What is pushed must be built on the real base images: not on a stand-in (a local
# name, or an image carrying the label, such as one an older podman-offline.sh left
# under the official name), which no registry ever served.
if [[ -n "$registry" ]]; then
    for base in "$python_image" "$uv_image"; do
        if [[ "$base" == localhost/* || -n "$(standin "$base")" ]]; then
            fail "$base is a stand-in base image (podman-offline.sh), so nothing is built to push to $registry; remove it ($tool rmi $base) and build on the official one"
        fi
    done
fi

count=0
for name in $images; do
    count=$((count + 1))
    # Named in full: podman would call eda/<name> localhost/eda/<name>, which kind's
    # nodes would not match to the chart's eda/<name>.
    ref="docker.io/eda/$name:$tag"
    echo ">> [$count/4] building $ref ($tool, deploy/docker/$name.Dockerfile, on $python_image)"
    "$tool" build -f "$root/deploy/docker/$name.Dockerfile" -t "$ref" \
        --build-arg "PYTHON_IMAGE=$python_image" --build-arg "UV_IMAGE=$uv_image" "$root"
done

if [[ -n "$registry" ]]; then
    # Every image checked before the first push: nothing goes out when one is refused.
    for name in $images; do
        recipe="$(labels "docker.io/eda/$name:$tag")" \
            || fail "cannot read the labels of docker.io/eda/$name:$tag, so nothing is pushed to $registry"
        if [[ -n "$recipe" ]]; then
            fail "docker.io/eda/$name:$tag is built on a stand-in base image ($standin_label=$recipe), so nothing is pushed to $registry; build on the official base images"
        fi
    done
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
