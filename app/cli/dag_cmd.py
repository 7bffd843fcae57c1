"""`workflow-canvas dag …`: the DAG engine with Airflow CLI habits (`dags list`, `dags test`)."""

from __future__ import annotations

from pathlib import Path

from app.cli.args import bounded_float, day_arg, word

#: `--sensor-timeout-days`: Airflow takes any timeout; a day up to a year covers every lesson, and a
#: number past that is a typo (nan, inf and 1e308 would overflow a timedelta).
sensor_timeout_days = bounded_float(0, 366, unit="days")

#: DAG name → (workload module, one-line description). Underscore names as Airflow dag_ids.
DAGS = {
    "nightly_etl": ("workloads.nightly_etl.dag", "@daily  extract >> transform >> load (retries=3)"),
    "order_1001": ("workloads.order_1001.dag", "manual  charge >> reserve >> wait_30_days >> ship >> email"),
}


def register(subparsers) -> None:
    p = subparsers.add_parser("dag", help="the Airflow-style DAG scheduler: list DAGs, test one on virtual time",
                              description="The Airflow-style DAG engine (dag list, dag test NAME).")
    sub = p.add_subparsers(dest="dag_command", metavar="SUBCOMMAND", required=True)
    ls = sub.add_parser("list", help="the registered DAGs (like `airflow dags list`)")
    ls.add_argument("--json", action="store_true", help="print JSON")
    ls.set_defaults(handler=_list)
    t = sub.add_parser("test", help="one DAG run to completion on virtual time (like `airflow dags test`)")
    t.add_argument("name", type=word, help="nightly_etl or order_1001")
    t.add_argument("--scenario", type=word, default="happy", help="a scenario of that workload (default: happy)")
    t.add_argument("--day", type=day_arg, default=None, help="day of the cancel/crash/deploy (order_1001)")
    t.add_argument("--sensor-timeout-days", type=sensor_timeout_days, default=None,
                   help="wait_30_days sensor timeout in days (default: Airflow's 7)")
    t.add_argument("--mode", choices=("poke", "reschedule", "deferrable"), default="poke",
                   help="how the sensor waits (order_1001): poke holds a worker slot, reschedule frees it between "
                        "pokes, deferrable hands the wait to the triggerer")
    t.add_argument("--db", type=Path, default=None, metavar="FILE",
                   help="metadata database file (default: in memory, a fresh timeline)")
    t.add_argument("--json", action="store_true", help="print JSON: run state, grid, outcome, trace")
    t.set_defaults(handler=_test)


def _name(name: str) -> str:
    key = name.replace("-", "_")
    if key not in DAGS:
        from app.cli.common import CliError

        raise CliError(f"no DAG {name!r}; DAGs: {', '.join(DAGS)}")
    return key


def _list(args) -> int:
    from app.cli.common import print_json

    if args.json:
        print_json([{"dag_id": k, "description": d} for k, (_, d) in DAGS.items()])
        return 0
    for dag_id, (_, desc) in DAGS.items():
        print(f"{dag_id:<12} {desc}")
    return 0


def _test(args) -> int:
    import importlib
    from datetime import timedelta

    from app.cli.common import CliError, print_json
    from engines.clock import day_of

    key = _name(args.name)
    module = importlib.import_module(DAGS[key][0])
    if args.scenario not in module.SCENARIOS:
        raise CliError(f"{key}: unknown scenario {args.scenario!r}; choose one of {', '.join(module.SCENARIOS)}")
    from app.cli.common import check_db
    from engines.dag.metadata import ENGINE, SCHEMA_VERSION

    # refuse a foreign, damaged, newer or other engine's file before the services write a byte to it
    check_db(args.db, ENGINE, SCHEMA_VERSION)
    db = str(args.db) if args.db is not None else ":memory:"
    if key == "order_1001":
        timeout = timedelta(days=args.sensor_timeout_days) if args.sensor_timeout_days is not None else None
        result = module.run(args.scenario, day=args.day, sensor_timeout=timeout, mode=args.mode, db=db)
    else:
        if args.day is not None or args.sensor_timeout_days is not None:
            raise CliError(f"{key}: --day and --sensor-timeout-days apply to order_1001 only")
        result = module.run(args.scenario, db=db)
    details = result.dag
    grid = details.grid
    if args.json:
        out = result.to_json()
        out["run_state"] = details.run_state
        out["grid"] = [{**row, "start": _iso(row["start"]), "end": _iso(row["end"])} for row in grid]
        out["pokes"] = details.pokes
        print_json(out)
        return 0 if details.run_state == "success" else 1
    print(f"DAG run {details.run_id} of {key} ({args.scenario}): {details.run_state}")
    print(f"{'task_id':<14} {'try':>3}  {'state':<17} {'start (day)':>11}  {'end (day)':>9}  {'slot-seconds':>12}")
    for row in grid:
        start = f"{day_of(row['start']):.4f}" if row["start"] else "-"
        end = f"{day_of(row['end']):.4f}" if row["end"] else "-"
        print(f"{row['task_id']:<14} {row['try_number']:>3}  {row['state']:<17} {start:>11}  {end:>9}  {row['slot_seconds']:>12,.0f}")
    o = result.outcome
    print(f"charged ${o.charged_cents / 100:,.2f}  refunded ${o.refunded_cents / 100:,.2f}  shipped {o.shipped}  "
          f"slot-seconds {o.slot_seconds:,.0f}  pokes {details.pokes:,}")
    for p in o.problems:
        print(f"  ! {p}")
    return 0 if details.run_state == "success" else 1


def _iso(t) -> str | None:
    return None if t is None else t.isoformat()
