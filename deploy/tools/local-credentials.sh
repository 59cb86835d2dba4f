#!/usr/bin/env bash
# Prints the path of deploy/kind/credentials.values.yaml, the passwords of the local
# cluster's MySQL and RabbitMQ as Helm values, after writing it if it is missing.
# Tilt renders the chart with `helm template`, where `lookup` finds nothing, so
# passwords the chart made up would change at every render; this file keeps them.
# Only the path goes to stdout: the Tiltfile reads it with local().
set -euo pipefail

root="$(cd "$(dirname "$0")/../.." && pwd)"
file="$root/deploy/kind/credentials.values.yaml"

password() {
    local value
    # tr ends on SIGPIPE once head has its 24 characters: not a failure.
    value="$(set +o pipefail; LC_ALL=C tr -dc 'A-Za-z0-9' </dev/urandom | head -c 24)"
    if [[ ${#value} -ne 24 ]]; then
        echo "local-credentials: could not read 24 characters from /dev/urandom" >&2
        exit 1
    fi
    echo "$value"
}

if [[ ! -f "$file" ]]; then
    users="$(password)"
    orders="$(password)"
    rabbitmq="$(password)"
    root_password="$(password)"
    content="# Generated once by deploy/tools/local-credentials.sh for the local kind cluster
# (make dev, make deploy ENV=local), and git-ignored. MySQL and RabbitMQ keep the
# passwords they first started with: delete this file only together with the kind
# cluster (make dev-down).

mysql:
  databases:
    users:
      password: \"$users\"
    orders:
      password: \"$orders\"
rabbitmq:
  password: \"$rabbitmq\"
infrastructure:
  mysql:
    rootPassword: \"$root_password\""
    mkdir -p "$(dirname "$file")"
    # noclobber: of two first runs at once, the second keeps the first one's file.
    if (umask 077 && set -o noclobber && printf '%s\n' "$content" >"$file") 2>/dev/null; then
        echo "local-credentials: generated $file" >&2
    elif [[ ! -f "$file" ]]; then
        echo "local-credentials: could not write $file" >&2
        exit 1
    fi
fi
echo "$file"
