"""The operator's console script, as the chart runs it."""

from __future__ import annotations

import sys
from pathlib import Path

OPERATOR = str(Path(sys.executable).parent / "eda-operator")
