"""`workflow-canvas`: with no argument it opens the TUI; subcommands serve scripts and classrooms.

Each command group lives in its own module with a `register(subparsers)` function. Modules import
their heavy dependencies inside their handlers, so `workflow-canvas` with no argument starts the
TUI without paying for engines it has not used yet.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from importlib.metadata import PackageNotFoundError, version

from engines.errors import WorkflowCanvasError

# Command-group modules under app.cli, in the order `--help` lists them.
COMMAND_MODULES = (
    "replay_cmd",
    "ledger_cmd",
    "dag_cmd",
    "asl_cmd",
    "workloads_cmd",
    "run_cmd",
    "lessons_cmd",
    "serve_cmd",
)


def _version() -> str:
    try:
        return version("workflow-canvas")
    except PackageNotFoundError:  # running from a checkout that was never installed
        return "0+unknown"


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="workflow-canvas",
        description=(
            "Learn how workflow engines work by running them: three real mini-engines "
            "(replay, dag, statemachine) on one virtual clock. With no command, opens the app."
        ),
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {_version()}")
    parser.add_argument(
        "--screenshot",
        nargs=2,
        metavar=("SCREEN", "FILE.svg"),
        help="write an SVG picture of a screen (e.g. canvas) for slides, then exit",
    )
    parser.add_argument(
        "--keymap",
        metavar="FILE.toml",
        help='put your own keys on the app\'s actions: TOML lines like "run.step" = "pagedown" (ids in the help screen)',
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in COMMAND_MODULES:
        importlib.import_module(f"app.cli.{name}").register(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    handler = getattr(args, "handler", None)
    try:
        if handler is None:
            from app.tui import run_tui

            return run_tui(screenshot=args.screenshot, keymap_file=args.keymap)
        return int(handler(args) or 0)
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:  # `workflow-canvas … | head`: the reader left; not an error
        import os

        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
    except WorkflowCanvasError as exc:  # bad input: engines' errors say what and where
        print(f"workflow-canvas: error: {exc}", file=sys.stderr)
        return 1


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
