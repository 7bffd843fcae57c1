"""`workflow-canvas export WORKLOAD --to temporal|airflow|stepfunctions DIR`: the bridge to the real engines."""

from __future__ import annotations

import argparse
from pathlib import Path

from app.cli.args import word

SYSTEMS = ("temporal", "airflow", "stepfunctions")


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser(
        "export", help="write a workload for a real engine: a temporalio worker, an Airflow 3 DAG file, or ASL + Lambdas",
        description="Write WORKLOAD as a runnable project for the real engine, in its own idiom, calling the same "
                    "services through canvas_services.py. DIR must be new or empty. Its README.md says how to run it.")
    parser.add_argument("workload", metavar="WORKLOAD", type=word, help="e.g. order-1001, nightly-etl, expense-approval")
    parser.add_argument("--to", required=True, choices=SYSTEMS, help="the real system to write for")
    parser.add_argument("dir", metavar="DIR", type=Path, help="a new or empty directory")
    parser.set_defaults(handler=_export)


def _export(args) -> int:
    from workloads.eject import export

    files = export(args.workload, args.to, args.dir)
    for path in files:
        print(path)
    print(f"wrote {len(files)} files for {args.to}; see {args.dir / 'README.md'} for how to run them")
    return 0
