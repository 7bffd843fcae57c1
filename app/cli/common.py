"""What every command group shares: where databases live, JSON output, one-line errors."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Any

from engines.errors import WorkflowCanvasError

APP_NAME = "workflow-canvas"
HOME_ENV = "WORKFLOW_CANVAS_HOME"


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


def add_db_option(parser, name: str) -> None:
    parser.add_argument(
        "--db",
        type=Path,
        default=None,
        metavar="FILE",
        help=f"SQLite database file (default: {default_db(name)})",
    )


def db_path(args, name: str) -> Path:
    return args.db if args.db is not None else default_db(name)


def parse_json_arg(text: str | None, what: str) -> Any:
    """JSON from the command line, or a clear error naming the argument and position."""
    if text is None:
        return None
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise CliError(f"{what}: not valid JSON at line {exc.lineno}, column {exc.colno}: {exc.msg}") from None


def print_json(value: Any) -> None:
    json.dump(value, sys.stdout, indent=2, default=str)
    sys.stdout.write("\n")
