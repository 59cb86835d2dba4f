#!/usr/bin/env bash
# Prints the tag of the four images: EDA_IMAGE_TAG when set, else the commit
# (12 hex digits), with -dirty when the work tree has changes a build would take in.
set -euo pipefail

root="$(cd "$(dirname "$0")/../.." && pwd)"

if [[ -n "${EDA_IMAGE_TAG:-}" ]]; then
    # Docker's rule for a tag, in a variable for bash 3.2 (macOS's /bin/bash).
    tag_pattern='^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$'
    if [[ ! "$EDA_IMAGE_TAG" =~ $tag_pattern ]]; then
        echo "image tag: EDA_IMAGE_TAG=$EDA_IMAGE_TAG is not a valid image tag" >&2
        exit 2
    fi
    echo "$EDA_IMAGE_TAG"
    exit 0
fi

if ! commit="$(git -C "$root" rev-parse --short=12 HEAD 2>/dev/null)"; then
    echo "image tag: $root has no git commit to tag the images with; set EDA_IMAGE_TAG" >&2
    exit 1
fi
# Optional locks off: other git commands may be running in this checkout.
if [[ -n "$(git -C "$root" --no-optional-locks status --porcelain)" ]]; then
    echo "image tag: uncommitted changes, so the tag is $commit-dirty: it names this tree's build, not a commit" >&2
    echo "$commit-dirty"
else
    echo "$commit"
fi
