#!/usr/bin/env bash
# Prints the container tool that builds the images: EDA_CONTAINER_TOOL when set
# (docker or podman), else docker when it is on PATH, else podman.
set -euo pipefail

install="install Docker (https://docs.docker.com/get-docker/) or Podman (https://podman.io/docs/installation)"
tool="${EDA_CONTAINER_TOOL:-}"
case "$tool" in
    "")
        for candidate in docker podman; do
            if command -v "$candidate" >/dev/null; then
                echo "$candidate"
                exit 0
            fi
        done
        echo "container tool: neither docker nor podman is on PATH; $install" >&2
        exit 1 ;;
    docker | podman)
        if ! command -v "$tool" >/dev/null; then
            echo "container tool: EDA_CONTAINER_TOOL=$tool, but $tool is not on PATH; $install" >&2
            exit 1
        fi
        echo "$tool" ;;
    *)
        echo "container tool: EDA_CONTAINER_TOOL=$tool; docker or podman expected" >&2
        exit 2 ;;
esac
