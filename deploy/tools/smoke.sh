#!/usr/bin/env bash
# make smoke: the system on a real cluster, end to end, on a machine with kind, helm,
# kubectl and Docker or Podman.
#   1. a kind cluster: KIND_CLUSTER when set (kept), else a new eda-smoke-<random>
#      (deleted at the end, also when a step fails);
#   2-3. make deploy ENV=local into it: the four images built and loaded, the chart
#      installed with values-local.yaml and helm --wait;
#   4. every Deployment and StatefulSet rolled out;
#   5-6. through port-forwards, python -m tests.smoke: a user places orders, each ends
#      confirmed, the user's stats add up, and Jaeger v2's query API (/api/v3 on
#      16686) holds the traced order's spans from order-service and both subscribers;
#   7. eda load drives the order.placed subscriber's backlog; its SubscriberScaler,
#      made quick to react, must raise the replicas and bring them back down;
#   8. helm uninstall --wait leaves no pod of the release; the cluster is deleted.
set -euo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
namespace=eda
release=eda
python="$root/.venv/bin/python"
subscriber=eda-orders-order-placed

log() { echo ">> smoke: $*" >&2; }
fail() { echo "smoke: FAILED: $*" >&2; exit 1; }

bin="$("$here/require-tools.sh" helm kubectl kind container)"
if [[ -n "$bin" ]]; then
    export PATH="$bin:$PATH"
fi
[[ -x "$python" ]] || fail "$python is missing: run make env first"

work="$(mktemp -d)"
forwards=()
created=""
cluster="${KIND_CLUSTER:-}"

cleanup() {
    local code=$?
    for pid in "${forwards[@]}"; do
        kill "$pid" 2>/dev/null || true
    done
    if [[ -n "$created" ]]; then
        log "deleting the kind cluster $created"
        kind delete cluster --name "$created" >&2 || true
    fi
    rm -rf "$work"
    exit "$code"
}
trap cleanup EXIT

if [[ -z "$cluster" ]]; then
    cluster="eda-smoke-$(LC_ALL=C tr -dc 'a-z0-9' </dev/urandom | head -c 6 || true)"
    log "creating the kind cluster $cluster"
    created="$cluster"
    kind create cluster --config "$root/deploy/kind/cluster.yaml" --name "$cluster" --wait 120s >&2
else
    kind get clusters 2>/dev/null | grep -qx "$cluster" || fail "KIND_CLUSTER=$cluster: no such kind cluster"
fi
context="kind-$cluster"
kubectl config use-context "$context" >/dev/null

log "make deploy ENV=local into $context"
EDA_LOCAL_CONTEXT="$context" EDA_NAMESPACE="$namespace" EDA_RELEASE="$release" \
    "$here/deploy.sh" local </dev/null

log "waiting for every workload"
for kind_name in deployment statefulset; do
    for workload in $(kubectl -n "$namespace" get "$kind_name" -o name); do
        kubectl -n "$namespace" rollout status "$workload" --timeout 300s >&2 \
            || fail "$workload did not roll out"
    done
done

# forward VARIABLE SERVICE PORT: a port-forward on a port kubectl picks, put in
# VARIABLE (not printed: the forward's pid must stay in this shell for the cleanup).
forward() {
    local out="$work/forward-$2.log" port=""
    # Made here: the background job opens its redirection only once it runs, and on a
    # busy machine the first read below came before that (sed: can't read).
    : >"$out"
    kubectl -n "$namespace" port-forward "service/$2" ":$3" >>"$out" 2>&1 &
    forwards+=("$!")
    for _ in $(seq 1 100); do
        port="$(sed -n 's/^Forwarding from 127\.0\.0\.1:\([0-9]*\) .*/\1/p' "$out" | head -1)"
        if [[ -n "$port" ]]; then
            printf -v "$1" '%s' "$port"
            return 0
        fi
        sleep 0.2  # polling the log for kubectl's first line, within the loop's 20 s
    done
    fail "kubectl port-forward service/$2: $(cat "$out")"
}
users_port="" orders_port="" jaeger_port=""
forward users_port "$release-user-service" 8001
forward orders_port "$release-order-service" 8002
forward jaeger_port "$release-jaeger" 16686
users="http://127.0.0.1:$users_port"
orders="http://127.0.0.1:$orders_port"

log "orders, stats and the trace (python -m tests.smoke)"
(cd "$root" && "$python" -m tests.smoke --users "$users" --orders "$orders" \
    --jaeger "http://127.0.0.1:$jaeger_port")

replicas() {
    kubectl -n "$namespace" get deployment "$subscriber" -o jsonpath='{.spec.replicas}'
}
log "scaling $subscriber through its SubscriberScaler under eda load"
kubectl -n "$namespace" patch subscriberscaler "$subscriber" --type merge \
    -p '{"spec":{"minReplicas":1,"maxReplicas":3,"targetBacklogPerReplica":5,"scaleDownStabilizationSeconds":30}}' >&2
low="$(replicas)"
"$root/.venv/bin/eda" load --rate 200 --duration 150 --users "$users" --orders "$orders" \
    >"$work/load.log" 2>&1 &
load=$!
peak="$low"
for _ in $(seq 1 150); do
    now="$(replicas)"
    if ((now > peak)); then
        peak="$now"
        log "replicas: $now"
    fi
    if ((peak > low)) || ! kill -0 "$load" 2>/dev/null; then
        break
    fi
    sleep 1  # one reading a second, within the loop's 150 s
done
wait "$load" || fail "eda load failed: $(tail -5 "$work/load.log")"
((peak > low)) || fail "$subscriber stayed at $low replicas under load"
for _ in $(seq 1 300); do
    if (($(replicas) <= low)); then
        break
    fi
    sleep 1  # the scaler waits its 30 s stabilisation before scaling down
done
(($(replicas) <= low)) || fail "$subscriber did not scale back to $low replicas (now $(replicas))"
log "replicas rose from $low to $peak and fell back to $low"

for pid in "${forwards[@]}"; do
    kill "$pid" 2>/dev/null || true
done
forwards=()
log "helm uninstall $release"
helm uninstall "$release" --kube-context "$context" --namespace "$namespace" --wait --timeout 5m >&2
kubectl -n "$namespace" wait --for=delete pod --selector "app.kubernetes.io/instance=$release" \
    --timeout 180s >&2 || fail "pods of $release are left after helm uninstall"
left="$(kubectl -n "$namespace" get deployments,statefulsets,jobs,services,configmaps,secrets \
    --selector "app.kubernetes.io/instance=$release" -o name)"
[[ -z "$left" ]] || fail "left after helm uninstall: $left"
log "passed"
