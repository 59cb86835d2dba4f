#!/usr/bin/env bash
# Start the local MariaDB and RabbitMQ the tests use, when they are not already up, and
# install the TLS terminator (stunnel) the secured-link tests put in front of servers and
# promtool, which checks and unit-tests the chart's alerts.
set -euo pipefail

up() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

wait_for() {
  local name=$1 port=$2
  for _ in $(seq 60); do up "$port" && return 0; sleep 1; done
  echo "$name did not come up on 127.0.0.1:$port" >&2
  return 1
}

if ! command -v stunnel4 >/dev/null && ! command -v stunnel >/dev/null; then
  echo ">> stunnel is missing (TLS terminator of the secured-link tests): installing stunnel4"
  export DEBIAN_FRONTEND=noninteractive
  # A fresh machine may have no package lists yet: update once and try again.
  { apt-get install -y -qq --no-install-recommends stunnel4 >/dev/null 2>&1 \
    || { apt-get update -qq && apt-get install -y -qq --no-install-recommends stunnel4 >/dev/null; }; } \
    || echo ">> could not install stunnel4 (root and apt-get needed): the secured-link tests will fail" >&2
fi

if ! command -v promtool >/dev/null; then
  echo ">> promtool is missing (checks and unit tests of the chart's alerts): installing Debian's prometheus"
  export DEBIAN_FRONTEND=noninteractive
  # The package starts no service here; only its promtool is used.
  { apt-get install -y -qq --no-install-recommends prometheus >/dev/null 2>&1 \
    || { apt-get update -qq && apt-get install -y -qq --no-install-recommends prometheus >/dev/null; }; } \
    || echo ">> could not install prometheus (root and apt-get needed): the alert tests will fail" >&2
fi

if ! up 3306; then
  echo ">> MariaDB is down on 127.0.0.1:3306: starting it"
  start-stop-daemon --start --oknodo --background --exec /usr/sbin/mariadbd
  wait_for MariaDB 3306
fi
if ! up 5672; then
  echo ">> RabbitMQ is down on 127.0.0.1:5672: starting it"
  rabbitmq-server -detached
  wait_for RabbitMQ 5672
fi
if ! up 15672; then  # operator: unacked counts; secured tests: the management API over https
  rabbitmq-plugins enable --quiet rabbitmq_management >/dev/null
  wait_for "RabbitMQ management" 15672
fi
