#!/usr/bin/env bash
# dev.sh up|down [CLUSTER]: make dev and make dev-down, the Tilt loop on the kind
# cluster CLUSTER (default eda, context kind-CLUSTER). up checks the tools, creates
# the cluster when it is missing and runs tilt up; down runs tilt down and deletes
# the cluster.
set -euo pipefail

action="${1:?usage: dev.sh up|down [cluster]}"
cluster="${2:-eda}"
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
cd "$root"

case "$action" in
    up)
        bin="$("$here/require-tools.sh" helm kubectl kind tilt container)"
        # Tilt runs helm from PATH: the fetched copy only when it is the one chosen.
        if [[ -n "$bin" ]]; then
            export PATH="$bin:$PATH"
        fi
        if [[ "$("$here/container-tool.sh")" == podman && -z "${DOCKER_HOST:-}" ]]; then
            echo "note: Tilt builds through the Docker API; with Podman, set DOCKER_HOST to Podman's socket" >&2
        fi
        clusters="$(kind get clusters 2>/dev/null || true)"
        if ! grep -qx "$cluster" <<<"$clusters"; then
            echo ">> creating the kind cluster $cluster"
            kind create cluster --config "$root/deploy/kind/cluster.yaml" --name "$cluster"
        fi
        exec tilt up --context "kind-$cluster" ;;
    down)
        "$here/require-tools.sh" kind >/dev/null
        if bin="$("$here/require-tools.sh" helm kubectl tilt)"; then
            if [[ -n "$bin" ]]; then
                export PATH="$bin:$PATH"
            fi
            tilt down --context "kind-$cluster" || echo "dev: tilt down failed; deleting the cluster anyway" >&2
        else
            echo "dev: without tilt, helm and kubectl, only the cluster is deleted" >&2
        fi
        exec kind delete cluster --name "$cluster" ;;
    *)
        echo "usage: dev.sh up|down [cluster]" >&2
        exit 2 ;;
esac
