#!/usr/bin/env bash
# make deploy ENV=<local|staging>: helm upgrade --install of deploy/helm/eda with that
# environment's values into the current kube context, only if the context is one the
# environment may change, and after saying which context, namespace and release.
# local: only the kind cluster (kind-eda, or EDA_LOCAL_CONTEXT), with the four images
# built here and loaded into it, and the local credentials. staging: only the context
# named by EDA_STAGING_CONTEXT, or typed in at a terminal, with the images make images
# pushed (same tag), never the local kind cluster.
set -euo pipefail

env_name="${1:?usage: deploy.sh local|staging}"
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
chart="$root/deploy/helm/eda"
values="$chart/values-$env_name.yaml"
local_context="${EDA_LOCAL_CONTEXT:-kind-eda}"
namespace="${EDA_NAMESPACE:-eda}"
release="${EDA_RELEASE:-eda}"
registry="${REGISTRY:-${EDA_REGISTRY:-}}"

refuse() {
    echo "deploy: $*; nothing was changed" >&2
    exit 2
}

[[ -f "$values" ]] || refuse "no values file for ENV=$env_name ($values)"

bin="$("$here/require-tools.sh" helm kubectl)"
if [[ -n "$bin" ]]; then
    export PATH="$bin:$PATH"
fi

context="$(kubectl config current-context 2>/dev/null || true)"
[[ -n "$context" ]] || refuse "no current kube context"
target="context $context, namespace $namespace, release $release"

case "$env_name" in
    local)
        [[ "$context" == "$local_context" ]] ||
            refuse "ENV=local goes only to $local_context (EDA_LOCAL_CONTEXT); the current context is $context"
        [[ "$context" == kind-* ]] ||
            refuse "ENV=local loads its images into a kind cluster, and $context is not a kind context (kind-<cluster>)"
        "$here/require-tools.sh" kind container >/dev/null ;;
    *)
        [[ "$context" != "$local_context" && "$context" != kind-eda ]] ||
            refuse "ENV=$env_name never goes to the local kind context $context"
        if [[ -n "${EDA_STAGING_CONTEXT:-}" ]]; then
            [[ "$context" == "$EDA_STAGING_CONTEXT" ]] ||
                refuse "ENV=$env_name: the current context is $context, but EDA_STAGING_CONTEXT allows only $EDA_STAGING_CONTEXT"
        elif [[ -t 0 ]]; then
            printf 'deploy: ENV=%s will change %s.\nType the context name to go on: ' "$env_name" "$target" >&2
            answer=""
            read -r answer || true
            [[ "$answer" == "$context" ]] ||
                refuse "ENV=$env_name: the answer was not the context name $context"
        else
            refuse "ENV=$env_name would change $target; set EDA_STAGING_CONTEXT=$context to allow it, or run this at a terminal and type the context name"
        fi ;;
esac

tag="$("$here/image-tag.sh")"
if [[ "$env_name" != local && "$tag" == *-dirty && -z "${EDA_IMAGE_TAG:-}" ]]; then
    refuse "ENV=$env_name installs pushed images, and uncommitted changes make the tag $tag, which make images never pushes; commit first, or set EDA_IMAGE_TAG"
fi
args=(--values "$values")
case "$env_name" in
    local)
        credentials="$("$here/local-credentials.sh")"
        args+=(--values "$credentials") ;;
    *)
        if [[ -n "$registry" ]]; then
            args+=(--set "defaults.image.registry=$registry")
        fi ;;
esac
args+=(--set "defaults.image.tag=$tag")

echo ">> ENV=$env_name: about to change $target (values-$env_name.yaml, image tag $tag)"
if [[ "$env_name" != local ]]; then
    # A Secret the release reads but does not make would hold its pods and hook Jobs in
    # ContainerCreating until --wait gives up ten minutes later: look for each first.
    rendered="$(helm template "$release" "$chart" --namespace "$namespace" "${args[@]}")" ||
        refuse "ENV=$env_name: the chart does not render with these values (helm template says why above)"
    missing=()
    for secret in $("$here/needed-secrets.sh" <<<"$rendered"); do
        if ! answer="$(kubectl --context "$context" --namespace "$namespace" get secret "$secret" -o name 2>&1)"; then
            if [[ "$answer" == *NotFound* || "$answer" == *"not found"* ]]; then
                missing+=("$secret")
            else
                echo ">> could not check Secret $secret (${answer%%$'\n'*}); going on" >&2
            fi
        fi
    done
    ((${#missing[@]} == 0)) ||
        refuse "ENV=$env_name reads Secrets that namespace $namespace does not have: ${missing[*]}; create them first (docs/deploy.md, Staging Secrets)"
fi
if [[ "$env_name" == local ]]; then
    # Built here and loaded into kind: a registry in the environment is not for local.
    REGISTRY="" EDA_REGISTRY="" EDA_IMAGE_TAG="$tag" "$here/build-images.sh"
    "$here/kind-load-images.sh" "${context#kind-}" "$tag"
fi

echo ">> helm upgrade --install $release into $target"
exec helm upgrade --install "$release" "$chart" \
    --kube-context "$context" --namespace "$namespace" --create-namespace \
    "${args[@]}" --wait --timeout 10m
