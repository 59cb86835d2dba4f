"""`make golden`: write the rendered examples in deploy/helm/golden/ from the chart."""

from __future__ import annotations

from tests.deploy.chart import GOLDEN, VALUES_FILES, golden_path, golden_text


def main() -> None:
    GOLDEN.mkdir(parents=True, exist_ok=True)
    for values_file in VALUES_FILES:
        golden_path(values_file).write_text(golden_text(values_file))
        print(f"wrote {golden_path(values_file).relative_to(GOLDEN.parents[2])}")


if __name__ == "__main__":
    main()
