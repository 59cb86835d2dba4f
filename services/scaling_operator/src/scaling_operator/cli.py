"""eda-operator: scale every subscriber Deployment on its own broker backlog.

Settings come from the environment: EDA_OPERATOR__* for the operator itself,
EDA_KAFKA__* and EDA_RABBITMQ__* for the brokers (see docs/operator.md).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

import kopf

from scaling_operator.handlers import build_registry
from scaling_operator.kube import login
from scaling_operator.settings import load_config
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
    namespace = args.namespace or config.operator.namespace
    health = config.operator
    kopf.configure(verbose=args.verbose)
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
