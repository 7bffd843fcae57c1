"""`workflow-canvas lessons` lists the 13 scenes; `lesson NN` prints one and runs its demo.

The demo is optional here: if `lessons.demos` exists, `lesson NN --knob name=value` runs the
scene's demo on the real engines after the text; until then the text is printed alone.
"""

from __future__ import annotations

import argparse
from typing import Any


def register(sub: argparse._SubParsersAction) -> None:
    _add_lessons(sub)
    _add_lesson(sub)


def _add_lessons(sub) -> None:
    parser = sub.add_parser("lessons", help="list the course's 13 scenes")
    parser.add_argument("--json", action="store_true", help="print the scenes as JSON")
    parser.set_defaults(handler=_lessons)


def _add_lesson(sub) -> None:
    parser = sub.add_parser("lesson", help="print one scene (e.g. 07 or 6.5) and run its demo")
    parser.add_argument("number", metavar="NN", help="scene number: 01..12, or 6.5 (06a)")
    parser.add_argument(
        "--knob",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="set one of the scene's knobs (repeatable); `lessons` lists them",
    )
    parser.add_argument("--json", action="store_true", help="print the scene, knobs and demo result as JSON")
    parser.set_defaults(handler=_lesson)


def scene_json(scene, with_body: bool = False) -> dict:
    """A scene's front matter as plain data (and its text if asked)."""
    data = {
        "number": scene.number,
        "display": scene.display,
        "title": scene.title,
        "summary": scene.summary,
        "terms": list(scene.terms),
        "keys": list(scene.keys),
        "knobs": [k.model_dump(exclude_defaults=False) for k in scene.knobs],
    }
    if with_body:
        data["body"] = scene.body
    return data


def _lessons(args) -> int:
    from lessons.scenes import all_scenes

    scenes = all_scenes()
    if args.json:
        from app.cli.common import print_json

        print_json([scene_json(s) for s in scenes])
        return 0
    from rich.console import Console
    from rich.table import Table

    table = Table(title="Build a workflow engine: 13 scenes")
    table.add_column("scene", justify="right", style="bold")
    table.add_column("title")
    table.add_column("terms earned")
    table.add_column("knobs", style="dim")
    for s in scenes:
        table.add_row(s.display, f"{s.title}\n[dim]{s.summary}[/]", ", ".join(s.terms), ", ".join(k.name for k in s.knobs))
    Console().print(table)
    return 0


def parse_knobs(scene, pairs: list[str]) -> dict[str, Any]:
    """`name=value` strings → checked knob values (defaults filled in); CliError on a bad pair."""
    from app.cli.common import CliError

    given: dict[str, str] = {}
    for pair in pairs:
        name, sep, value = pair.partition("=")
        if not sep or not name.strip():
            raise CliError(f"--knob {pair!r}: write it as name=value (knobs: {', '.join(k.name for k in scene.knobs)})")
        given[name.strip()] = value
    return scene.knob_values(given)


def demo_json(result) -> dict:
    """A DemoResult as plain data; each run in the `run --json` shape (status, outcome, trace)."""
    return {
        "scene": result.scene,
        "knobs": dict(result.knobs),
        "headline": result.headline,
        "figures": dict(result.figures),
        "lines": list(result.lines),
        "history": list(result.history),
        "runs": {label: {"engine": run.engine, "scenario": run.scenario, **run.to_json()}
                 for label, run in (result.runs or {}).items()},
    }


def _lesson(args) -> int:
    from lessons.scenes import get_scene

    scene = get_scene(args.number)
    knobs = parse_knobs(scene, args.knob)
    from lessons.demos import run_demo

    result = run_demo(scene.number, **knobs)
    if args.json:
        from app.cli.common import print_json

        print_json({
            "scene": scene_json(scene, with_body=True),
            "knobs": knobs,
            "demo": demo_json(result),
        })
        return 0
    from rich.console import Console
    from rich.markdown import Markdown
    from rich.panel import Panel

    console = Console()
    console.print(Panel(f"[bold]Scene {scene.display} · {scene.title}[/]\n{scene.summary}", expand=False))
    console.print(Markdown(scene.body))
    console.print("[dim]knobs: " + ", ".join(f"{k}={v}" for k, v in knobs.items()) + "[/]")
    console.print(Panel(f"[bold]{result.headline}[/]", title="demo", expand=False))
    for line in result.lines:
        console.print(f"  {line}")
    for name, value in result.figures.items():
        console.print(f"  [bold]{name}[/]: {value}")
    return 0
