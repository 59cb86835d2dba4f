"""``eda-operator``: run the scaling operator (kopf) cluster-wide."""

from __future__ import annotations

import sys
from collections.abc import Sequence


def main(argv: Sequence[str] | None = None) -> int:
    raise SystemExit("eda-operator: not built yet")


if __name__ == "__main__":
    sys.exit(main())
