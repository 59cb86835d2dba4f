#!/usr/bin/env bash
# make deploy ENV=<local|staging>: helm upgrade --install with that environment's
# values into the current kube context. It refuses a context that does not fit
# the environment: staging never goes to the local kind cluster, local never
# anywhere else.
set -euo pipefail

env_name="${1:?usage: deploy.sh local|staging}"
root="$(cd "$(dirname "$0")/../.." && pwd)"
helm="$root/.tools/bin/helm"
kubectl="$root/.tools/bin/kubectl"
local_context="${EDA_LOCAL_CONTEXT:-kind-eda}"
namespace="${EDA_NAMESPACE:-eda}"
release="${EDA_RELEASE:-eda}"
values="$root/deploy/helm/eda/values-$env_name.yaml"

[[ -f "$values" ]] || { echo "deploy: no values file for ENV=$env_name ($values)" >&2; exit 2; }
context="$("$kubectl" config current-context 2>/dev/null || true)"
[[ -n "$context" ]] || { echo "deploy: no current kube context" >&2; exit 2; }

case "$env_name" in
    local)
        if [[ "$context" != "$local_context" ]]; then
            echo "deploy: ENV=local goes only to $local_context; the current context is $context" >&2
            exit 2
        fi ;;
    *)
        if [[ "$context" == "$local_context" || "$context" == kind-* ]]; then
            echo "deploy: ENV=$env_name refuses the local kind context $context" >&2
            exit 2
        fi ;;
esac

echo ">> helm upgrade --install $release (values-$env_name.yaml) into $context, namespace $namespace"
exec "$helm" upgrade --install "$release" "$root/deploy/helm/eda" \
    --kube-context "$context" --namespace "$namespace" --create-namespace \
    --values "$values" --wait --timeout 10m
