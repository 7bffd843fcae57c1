"""`workflow-canvas run WORKLOAD`: one workload under one scenario on the engines, side by side."""

from __future__ import annotations

import argparse

from app.cli.args import day_arg, word


def register(sub: argparse._SubParsersAction) -> None:
    _add_run(sub)


def _add_run(sub) -> None:
    parser = sub.add_parser("run", help="run a workload under a scenario on the engines, side by side")
    parser.add_argument("workload", metavar="WORKLOAD", type=word, help="order-1001, nightly-etl or expense-approval")
    parser.add_argument("--scenario", default=None, type=word,
                        help="e.g. happy, cancel, crash (default: the workload's first scenario)")
    parser.add_argument("--day", type=day_arg, default=None,
                        help="the virtual day of the scenario's action (cancel, crash), 0 to 3650; "
                             "a day after the workload ended shows what each engine does with a late action")
    parser.add_argument("--engine", default="all", choices=("replay", "dag", "statemachine", "all"))
    parser.add_argument("--verbose", "-v", action="store_true", help="show each event's plain-words detail")
    parser.add_argument("--json", action="store_true", help="print per engine {status, outcome, problems, trace}")
    parser.set_defaults(handler=_run)


def _run(args) -> int:
    from engines.trace import ENGINES
    from workloads.runner import run_side_by_side

    engines = ENGINES if args.engine == "all" else (args.engine,)
    from workloads.runner import scenarios

    scenario = args.scenario or scenarios(args.workload)[0]
    runs = run_side_by_side(args.workload, scenario, day=args.day, engines=engines)
    if args.json:
        from app.cli.common import print_json

        print_json({engine: run.to_json() for engine, run in runs.items()})
        return 0
    _print_timelines(runs, args.verbose)
    return 0


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
