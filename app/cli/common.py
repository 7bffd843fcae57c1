"""What every command group shares: where databases live, JSON output, one-line errors."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Any, Callable

from engines.errors import WorkflowCanvasError

APP_NAME = "workflow-canvas"
HOME_ENV = "WORKFLOW_CANVAS_HOME"

DURABLE_HELP = ("sync every commit to disk (SQLite synchronous=FULL): survives power loss, at a price "
                "(bench/durability.py); the default (NORMAL) survives a killed process")


class CliError(WorkflowCanvasError):
    """An error the user can fix; printed as one line, exit code 1."""


def data_dir() -> Path:
    """The user's data directory for the app (override with $WORKFLOW_CANVAS_HOME)."""
    override = os.environ.get(HOME_ENV)
    if override:
        return Path(override)
    from platformdirs import user_data_dir

    return Path(user_data_dir(APP_NAME, appauthor=False))


def default_db(name: str) -> Path:
    return data_dir() / f"{name}.db"


def add_db_option(parser, name: str, *, in_memory: bool = False) -> None:
    """`--db FILE` and `--durable`, the same on every command that keeps a database.

    `in_memory`: without --db the command runs on a fresh in-memory database (`dag test`,
    `asl run`) instead of the default file in the data directory.
    """
    default = "in memory, a fresh timeline" if in_memory else str(default_db(name))
    parser.add_argument("--db", type=Path, default=None, metavar="FILE", help=f"SQLite database file (default: {default})")
    parser.add_argument("--durable", action="store_true", help=DURABLE_HELP)


def db_path(args, name: str) -> Path:
    return args.db if args.db is not None else default_db(name)


def check_db(path: str | Path | None, owner: str, version: int | None = None) -> None:
    """Refuse a --db file before the command writes anything to it: a file that is not an SQLite
    database, is damaged, is another program's or another engine's, or holds `owner`'s tables at a
    schema newer than `version`. The file is only read; a missing file is left for the command to
    create.
    """
    if path is None or str(path) == ":memory:" or not Path(path).exists():
        return
    from engines.store import Store

    with Store(path, owner=owner, create=False) as store:
        if version is not None:
            store.check_schema(owner, version)


def run_handler(handler: Callable[[Any], int | None], args) -> int:
    """Run a command's handler with its `--durable` switch in force for every store it opens."""
    from engines.store import durable_writes

    with durable_writes(bool(getattr(args, "durable", False))):
        return int(handler(args) or 0)


def parse_json_arg(text: str | None, what: str) -> Any:
    """JSON from the command line, or a clear error naming the argument and position."""
    if text is None:
        return None
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise CliError(f"{what}: not valid JSON at line {exc.lineno}, column {exc.colno}: {exc.msg}") from None
    except RecursionError:
        raise CliError(f"{what}: JSON nested too deeply") from None


def print_json(value: Any) -> None:
    json.dump(value, sys.stdout, indent=2, default=str)
    sys.stdout.write("\n")
