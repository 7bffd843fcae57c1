"""Join the answers of two record.py processes (one run with --reverse) into expected.json.

    python tools/airflow_conformance/merge.py A.json B.json --out tests/dag/conformance/expected.json
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("parts", type=Path, nargs="+")
    ap.add_argument("--out", type=Path, required=True)
    args = ap.parse_args()
    merged: dict = {}
    for part in args.parts:
        data = json.loads(part.read_text())
        dags = merged.setdefault("dags", {})
        dags.update(data.pop("dags"))
        errors = data.pop("import_errors", None)
        if errors:
            merged.setdefault("import_errors", {}).update(errors)
        merged.update(data)
    args.out.write_text(json.dumps(merged, indent=1, sort_keys=True) + "\n")
    print(f"{len(merged['dags'])} DAGs in {args.out}")


if __name__ == "__main__":
    main()
