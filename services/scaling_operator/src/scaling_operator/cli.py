"""eda-operator: scale every subscriber Deployment on its own broker backlog.

Settings come from the environment: EDA_OPERATOR__* for the operator itself,
EDA_KAFKA__* and EDA_RABBITMQ__* for the brokers (see docs/operator.md). Before it
watches anything it tries its links once: a misconfigured one (a refused password, a
certificate that does not verify) ends it with one line and exit status 1.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import Sequence

import kopf

from scaling_operator.handlers import build_registry
from scaling_operator.kube import login
from scaling_operator.metrics import serve_metrics
from scaling_operator.settings import load_config
from scaling_operator.startup import check_links
from shared.links import LinkMisconfigured
from shared.settings import SettingsError


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="eda-operator", description=__doc__)
    parser.add_argument(
        "--namespace",
        help="watch only this namespace (default: EDA_OPERATOR__NAMESPACE, else all namespaces)",
    )
    parser.add_argument("--verbose", action="store_true", help="debug logging")
    args = parser.parse_args(argv)
    try:
        config = load_config()
        login()  # no credentials at all: say so once, instead of kopf retrying forever
    except (SettingsError, kopf.LoginError) as exc:
        print(f"eda-operator: {exc}", file=sys.stderr)
        return 1
    kopf.configure(verbose=args.verbose)
    try:
        # An unreachable broker is only logged: the readings retry it.
        asyncio.run(check_links(config))
    except LinkMisconfigured as exc:
        print(f"eda-operator: {exc}", file=sys.stderr)
        return 1
    namespace = args.namespace or config.operator.namespace
    health = config.operator
    if health.metrics_port:
        try:
            serve_metrics(health.metrics_host, health.metrics_port)
        except OSError as exc:
            print(
                f"eda-operator: EDA_OPERATOR__METRICS_PORT: cannot serve /metrics on"
                f" {health.metrics_host}:{health.metrics_port} ({exc.strerror})",
                file=sys.stderr,
            )
            return 1
    kopf.run(
        registry=build_registry(config),
        # One replica: without kopf's peering, two would both scale the same Deployments.
        standalone=True,
        clusterwide=not namespace,
        namespaces=[namespace] if namespace else [],
        liveness_endpoint=(
            f"http://{health.health_host}:{health.health_port}/healthz"
            if health.health_port
            else None
        ),
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
