#!/usr/bin/env bash
# Start the local MariaDB and RabbitMQ the tests use, when they are not already up.
set -euo pipefail

up() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

wait_for() {
  local name=$1 port=$2
  for _ in $(seq 60); do up "$port" && return 0; sleep 1; done
  echo "$name did not come up on 127.0.0.1:$port" >&2
  return 1
}

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
up 15672 || rabbitmq-plugins enable --quiet rabbitmq_management >/dev/null  # operator: unacked counts
