"""Reading what a user hands us: files and numbers, refused at the edge with one clear line.

Every command reads its files through `read_user_text` so that a FIFO, a directory, a binary or
UTF-16 file, or a file too big to be what it claims gets the same kind of error, naming the file,
instead of a hang or a UnicodeDecodeError traceback.
"""

from __future__ import annotations

import math
import os
import stat
from pathlib import Path

from engines.errors import WorkflowCanvasError

#: No card, definition or input file a person writes is anywhere near this; anything bigger is a mistake.
MAX_USER_FILE_BYTES = 8 * 1024 * 1024


class InputError(WorkflowCanvasError):
    """A file or value from the user that cannot be used; the message names it and the fault."""


def read_user_text(path: str | os.PathLike[str], what: str = "file", *,
                   max_bytes: int = MAX_USER_FILE_BYTES) -> str:
    """The text of a regular UTF-8 file, or an InputError naming the file and what is wrong.

    The file is opened without blocking and checked to be a regular file before a byte is read,
    so a FIFO or a device never hangs the command.
    """
    p = Path(path)
    try:
        fd = os.open(p, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
    except FileNotFoundError:
        raise InputError(f"{p}: no such {what}") from None
    except IsADirectoryError:
        raise InputError(f"{p}: is a directory, not a {what}") from None
    except OSError as exc:
        raise InputError(f"{p}: cannot open the {what}: {exc.strerror}") from None
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            kind = "a directory" if stat.S_ISDIR(info.st_mode) else "not a regular file"
            raise InputError(f"{p}: {kind}; a {what} must be a regular file")
        if info.st_size > max_bytes:
            raise InputError(f"{p}: {info.st_size:,} bytes; a {what} is at most {max_bytes:,} bytes")
        with os.fdopen(fd, "rb", closefd=True) as f:
            fd = -1
            data = f.read(max_bytes + 1)
    finally:
        if fd >= 0:
            os.close(fd)
    if len(data) > max_bytes:
        raise InputError(f"{p}: more than {max_bytes:,} bytes; a {what} is at most {max_bytes:,} bytes")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise InputError(f"{p}:{line}: not UTF-8 text (byte 0x{data[exc.start]:02x} at offset {exc.start}); "
                         f"save the {what} as UTF-8") from None
    if "\x00" in text:
        line = text[: text.index("\x00")].count("\n") + 1
        raise InputError(f"{p}:{line}: contains a NUL character; a {what} is text")
    return text.removeprefix("\ufeff")


def bounded_number(value: float, what: str, low: float, high: float) -> float:
    """`value` if it is a finite number in [low, high]; else an InputError with the bound in it."""
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise InputError(f"{what}: {value!r} is not a finite number (expected {low:g} to {high:g})")
    if not low <= value <= high:
        raise InputError(f"{what}: {value:g} is out of range (expected {low:g} to {high:g})")
    return value


#: C0 and C1 control characters but tab and newline: what an escape sequence is made of.
_CONTROL = {code: None for code in (*range(0, 9), *range(11, 32), *range(127, 160))}


def printable(text: str) -> str:
    """`text` from a card, ASL or scene file with its control characters dropped, so that
    `\\x1b[2J` in a title cannot clear a terminal. Rich markup is escaped where text is drawn."""
    return text.translate(_CONTROL)
