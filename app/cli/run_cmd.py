"""`workflow-canvas run WORKLOAD`: one workload under one scenario on the engines, side by side."""

from __future__ import annotations

import argparse

from app.cli.args import day_arg, word


def register(sub: argparse._SubParsersAction) -> None:
    _add_run(sub)


def _add_run(sub) -> None:
    parser = sub.add_parser("run", help="run a workload under a scenario on the engines, side by side")
    parser.add_argument("workload", metavar="WORKLOAD", type=word, help="order-1001, nightly-etl, expense-approval, subscription-renewal, kyc-review or thumbnail-fan-out")
    parser.add_argument("--scenario", default=None, type=word,
                        help="e.g. happy, cancel, crash (default: the workload's first scenario)")
    parser.add_argument("--day", type=day_arg, default=None,
                        help="the virtual day of the scenario's action (cancel, crash), 0 to 3650; "
                             "a day after the workload ended shows what each engine does with a late action")
    parser.add_argument("--engine", default="all", choices=("replay", "dag", "statemachine", "all"))
    parser.add_argument("--verbose", "-v", action="store_true", help="show each event's plain-words detail")
    parser.add_argument("--json", action="store_true", help="print per engine {status, outcome, problems, trace}")
    parser.add_argument("--on", choices=("mini", "real"), default="mini",
                        help="real: also run the exported workload on the real engines (the `real` extra: "
                             "Temporal's dev server, Airflow 3's dag.test(), Step Functions on moto) and list "
                             "every difference from the mini-engines")
    parser.add_argument("--endpoint-url", default=None, metavar="URL",
                        help="with --on real: a Step Functions endpoint instead of moto (its Lambdas must exist there)")
    parser.set_defaults(handler=_run)


def _run(args) -> int:
    from engines.trace import ENGINES
    from workloads.runner import run_side_by_side

    engines = ENGINES if args.engine == "all" else (args.engine,)
    from workloads.runner import scenarios

    scenario = args.scenario or scenarios(args.workload)[0]
    if args.on == "real":
        return _run_real(args, scenario, engines)
    if args.endpoint_url:
        from app.cli.common import CliError

        raise CliError("--endpoint-url needs --on real")
    runs = run_side_by_side(args.workload, scenario, day=args.day, engines=engines)
    if args.json:
        from app.cli.common import print_json

        print_json({engine: run.to_json() for engine, run in runs.items()})
        return 0
    _print_timelines(runs, args.verbose)
    return 0


def _run_real(args, scenario: str, engines: tuple[str, ...]) -> int:
    """Each engine's real counterpart beside it: statuses, ledgers and every difference."""
    from app.cli.common import CliError, print_json
    from workloads.eject import MINI_ENGINE, comparison_json

    if args.day is not None:
        raise CliError("--day is not taken with --on real: the exported workloads play each scenario's own day")
    results: dict[str, dict] = {}
    for system, engine in MINI_ENGINE.items():
        if engine in engines:
            options = {"endpoint_url": args.endpoint_url} if system.value == "stepfunctions" and args.endpoint_url else {}
            results[system.value] = comparison_json(args.workload, scenario, system, **options)
    if args.json:
        print_json(results)
        return 0
    _print_real(args.workload, scenario, results)
    return 0


def _print_real(workload: str, scenario: str, results: dict[str, dict]) -> None:
    from rich.console import Console
    from rich.markup import escape
    from rich.table import Table

    table = Table(title=f"{workload} · {scenario}: the mini-engines beside the real ones", expand=True, show_lines=True)
    for name in ("real engine", "mini-engine", "status (mini · real)", "differences"):
        table.add_column(name, overflow="fold", ratio=2 if name == "differences" else 1)
    for system, r in results.items():
        if "real" not in r:
            table.add_row(system, "", "", f"[yellow]{escape(r.get('unavailable') or r.get('skipped', ''))}[/]")
            continue
        diffs = "\n".join(escape(line) for line in r["differences"]) or "[green]none: same status, ledger and steps[/]"
        real = r["real"]
        table.add_row(f"{system}\n[dim]{escape(real['engine_version'])}[/]", r["mini"]["engine"],
                      f"{escape(r['mini']['status'])} · {escape(real['status'])}", diffs)
    Console().print(table)


def _print_timelines(runs, verbose: bool = False) -> None:
    """Rich side-by-side timelines: a row per virtual moment, a column per engine, outcomes last."""
    from collections import defaultdict

    from rich.console import Console
    from rich.markup import escape
    from rich.table import Table

    from engines.clock import day_of
    from workloads.verifier import describe_outcome

    cells: dict[float, dict[str, list[str]]] = defaultdict(lambda: defaultdict(list))
    for engine, run in runs.items():
        for e in run.trace:
            style = {"warning": "yellow", "error": "red"}.get(e.severity.value, "")
            what = e.data.get("activity_type") or e.data.get("attributes", {}).get("activity_type") or e.subject
            # Trace text comes from workloads, user cards and error messages: text, never markup.
            text = f"{escape(e.kind)} [dim]{escape(str(what))}[/]" + (
                f"\n  [dim]{escape(e.detail)}[/]" if verbose and e.detail else "")
            cells[round(day_of(e.time), 4)][engine].append(f"[{style}]{text}[/]" if style else text)
    table = Table(expand=True, show_lines=True)
    table.add_column("day", justify="right", no_wrap=True)
    for engine in runs:
        table.add_column(engine, ratio=1, overflow="fold")
    for day in sorted(cells):
        table.add_row(f"{day:g}", *("\n".join(cells[day].get(engine, [])) for engine in runs))
    table.add_row("end", *(f"[bold]{escape(describe_outcome(run.outcome))}[/]" for run in runs.values()))
    if any(run.outcome.problems for run in runs.values()):
        table.add_row("why", *("\n".join(f"[red]{escape(p)}[/]" for p in run.outcome.problems) for run in runs.values()))
    Console().print(table)
