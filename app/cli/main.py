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
from typing import TYPE_CHECKING, Any

from app.cli.args import day_arg, word
from engines.errors import WorkflowCanvasError

if TYPE_CHECKING:
    from workloads.cards import Card

# Command-group modules under app.cli, in the order `--help` lists them.
COMMAND_MODULES = (
    "replay_cmd",
    "ledger_cmd",
    "dag_cmd",
    "asl_cmd",
    "workloads_cmd",
    "run_cmd",
    "export_cmd",
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
    shot = parser.add_argument_group(
        "screenshot options",
        "with --screenshot run: `--workload W --scenario S [--day N] [--at-day D]` shows the run view at virtual "
        "day D with the scenario's action on day N; with --screenshot canvas: `--place A=replay,B=dag`",
    )
    shot.add_argument("--workload", dest="shot_workload", type=word, metavar="W", help="run: the workload (default order-1001)")
    shot.add_argument("--scenario", dest="shot_scenario", type=word, metavar="S", help="run: the scenario (default happy)")
    shot.add_argument("--day", dest="shot_day", type=day_arg, metavar="N", help="run: the day of the scenario's action")
    shot.add_argument("--at-day", dest="shot_at_day", type=day_arg, metavar="D",
                      help="run: the virtual day to show (default: the end of the runs)")
    shot.add_argument("--size", dest="shot_size", metavar="WxH", help="the terminal size (default 120x40)")
    shot.add_argument("--theme", dest="shot_theme", type=word, metavar="NAME", help="a theme, e.g. projector")
    shot.add_argument("--place", dest="shot_place", metavar="CARD=ENGINE,...", help="canvas: place cards first")
    parser.add_argument(
        "--keymap",
        metavar="FILE.toml",
        help='put your own keys on the app\'s actions: TOML lines like "run.step" = "pagedown" (ids in the help screen)',
    )
    parser.add_argument(
        "--card",
        action="append",
        dest="user_cards",  # not `card`: `choose CARD` and `verify CARD` name their argument so
        metavar="FILE.toml",
        help="add your own workload card to the canvas's deck (repeatable); it is checked as `verify` checks "
             "a card file: a bad one is one line naming the file and the field, and the app does not start",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in COMMAND_MODULES:
        importlib.import_module(f"app.cli.{name}").register(sub)
    return parser


SHOT_FLAGS = {"shot_workload": "--workload", "shot_scenario": "--scenario", "shot_day": "--day",
              "shot_at_day": "--at-day", "shot_size": "--size", "shot_theme": "--theme", "shot_place": "--place"}


def _shot_options(args: argparse.Namespace) -> dict[str, object]:
    """The screenshot options given; any of them without --screenshot is an error naming it."""
    from app.cli.common import CliError

    given = {dest: getattr(args, dest, None) for dest in SHOT_FLAGS if getattr(args, dest, None) is not None}
    if given and not args.screenshot:
        raise CliError(f"{', '.join(SHOT_FLAGS[d] for d in given)}: only with --screenshot SCREEN FILE.svg")
    return given


def user_cards(paths: list[str]) -> list[Card]:
    """The cards of `--card FILE.toml …`, each loaded and validated by workloads.cards (the loader
    `verify FILE.toml` uses); a card may not take the letter or id of a card already on the deck
    (the canvas names a card by its letter). CardError: `file: field: problem`."""
    from pathlib import Path

    from workloads.cards import CardError, bundled_cards, load_card

    taken = {card.letter: card for card in bundled_cards()}
    ids = {card.id for card in taken.values()}
    cards = []
    for path in paths:
        card = load_card(Path(path).expanduser())
        name = Path(path).name
        if card.letter in taken:
            raise CardError(f"{name}: letter: {card.letter!r} is already used by card {taken[card.letter].id!r}; "
                            "give your card another letter")
        if card.id in ids:
            raise CardError(f"{name}: id: {card.id!r} is already the id of another card; give your card its own id")
        taken[card.letter] = card
        ids.add(card.id)
        cards.append(card)
    return cards


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    handler = getattr(args, "handler", None)
    try:
        if handler is None:
            from app.tui import run_tui

            # Checked before the terminal is taken: a bad card is one line on stderr, exit 1.
            cards: dict[str, Any] = {"cards": user_cards(args.user_cards)} if args.user_cards else {}
            return run_tui(screenshot=args.screenshot, keymap_file=args.keymap, shot=_shot_options(args), **cards)
        if args.user_cards:
            from app.cli.common import CliError

            raise CliError("--card: only when opening the app (the commands take a card as their argument)")
        from app.cli.common import run_handler

        return run_handler(handler, args)
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
