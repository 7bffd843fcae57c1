"""XCom: small values a task hands to the tasks after it, kept in the metadata database.

As in Airflow, a task's return value is pushed under the key "return_value" (each key too, with
`multiple_outputs`), `ti.xcom_push` pushes under any key, and `ti.xcom_pull` reads them back by
run, task, key and map index. Values are stored the way Airflow's serde stores them
(airflow/sdk/serde): JSON, with tuples, sets, datetimes, dates, timedeltas and Decimals in a
`{"__classname__": ..., "__version__": ..., "__data__": ...}` envelope, so a set comes back a set
and a datetime a datetime. Anything else (an open file, a lambda) fails the try with a TypeError,
as in Airflow; nothing is ever pickled.

Airflow sets no size limit on XCom in its metadata database; a big value is a design smell, not
an error, so above ADVISED_XCOM_BYTES the trace carries the advice (pass a reference: a table, a
file) and the value is stored.
"""

from __future__ import annotations

import json
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any, Callable, Iterable, Mapping

from engines.dag.models import TaskInstance
from engines.dag.session import Session
from engines.dag.xcomarg import XCOM_RETURN_KEY

__all__ = ["XCOM_RETURN_KEY", "XCom", "serialize", "deserialize", "ADVISED_XCOM_BYTES"]

#: Above this a pushed value gets the advice to pass a reference instead (it is still stored).
ADVISED_XCOM_BYTES = 48 * 1024
CLASSNAME, VERSION, DATA = "__classname__", "__version__", "__data__"
_MAX_DEPTH = 200

_COLLECTIONS: dict[str, type] = {"builtins.tuple": tuple, "builtins.set": set, "builtins.frozenset": frozenset}


def _encode(value: Any, depth: int = 0) -> Any:
    if depth > _MAX_DEPTH:
        raise RecursionError(f"XCom value nested deeper than {_MAX_DEPTH} levels")
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if isinstance(value, list):
        return [_encode(v, depth + 1) for v in value]
    if isinstance(value, dict):
        if CLASSNAME in value:
            raise AttributeError(f"reserved key {CLASSNAME} found in a dict to serialize")
        return {str(k): _encode(v, depth + 1) for k, v in value.items()}
    if isinstance(value, (tuple, set, frozenset)) and type(value) in (tuple, set, frozenset):
        items: list[Any] = list(value) if isinstance(value, tuple) else sorted(value, key=repr)
        name = f"builtins.{type(value).__name__}"
        return {CLASSNAME: name, VERSION: 1, DATA: [_encode(v, depth + 1) for v in items]}
    if isinstance(value, datetime):
        return {CLASSNAME: "datetime.datetime", VERSION: 2, DATA: value.isoformat()}
    if isinstance(value, date):
        return {CLASSNAME: "datetime.date", VERSION: 1, DATA: value.isoformat()}
    if isinstance(value, timedelta):
        return {CLASSNAME: "datetime.timedelta", VERSION: 1, DATA: value.total_seconds()}
    if isinstance(value, Decimal):
        return {CLASSNAME: "decimal.Decimal", VERSION: 1, DATA: str(value)}
    raise TypeError(f"cannot serialize object of type {type(value).__module__}.{type(value).__qualname__}")


def _decode(value: Any) -> Any:
    if isinstance(value, list):
        return [_decode(v) for v in value]
    if isinstance(value, dict):
        name = value.get(CLASSNAME)
        if name is None:
            return {k: _decode(v) for k, v in value.items()}
        data: Any = value.get(DATA)
        if name in _COLLECTIONS:
            return _COLLECTIONS[name](_decode(v) for v in data)
        if name == "datetime.datetime":
            return datetime.fromisoformat(data)
        if name == "datetime.date":
            return date.fromisoformat(data)
        if name == "datetime.timedelta":
            return timedelta(seconds=data)
        if name == "decimal.Decimal":
            return Decimal(data)
        raise ValueError(f"unknown serde class {name!r} in a stored XCom")
    return value


def serialize(value: Any) -> str:
    """The stored text of an XCom value; TypeError for a value Airflow's serde refuses too."""
    return json.dumps(_encode(value), separators=(",", ":"))


def deserialize(text: str) -> Any:
    return _decode(json.loads(text))


#: (run_id, task_id, map_index, key)
Key = tuple[str, str, int, str]


class XCom:
    """The XComs of one scheduler: pushed values in memory, their rows through the session."""

    def __init__(self, session: Session, advise: Callable[[TaskInstance, str, int], None] | None = None) -> None:
        self._session = session
        self._values: dict[Key, Any] = {}
        self._by_task: dict[tuple[str, str, str], list[int]] = {}  # (run, task, key) -> map indexes pushed
        self._advise = advise

    def push(self, ti: TaskInstance, key: str, value: Any) -> None:
        """Store `value` under (run, task, map index, key). TypeError if serde cannot store it."""
        try:
            text = serialize(value)
        except RecursionError as exc:
            raise TypeError(f"task {ti.task_id}: XCom {key!r}: {exc}") from None
        except (TypeError, ValueError, AttributeError) as exc:
            raise TypeError(f"task {ti.task_id}: XCom {key!r}: {exc}") from None
        if len(text) > ADVISED_XCOM_BYTES and self._advise is not None:
            self._advise(ti, key, len(text))
        run_id, task_id, map_index = ti.run_id, ti.task_id, ti.map_index
        self._set(run_id, task_id, map_index, key, deserialize(text))  # what a reader gets: the round trip
        self._session.defer(lambda meta: meta.set_xcom(run_id, task_id, key, text, map_index))

    def _set(self, run_id: str, task_id: str, map_index: int, key: str, value: Any) -> None:
        k = (run_id, task_id, map_index, key)
        if k not in self._values:
            indexes = self._by_task.setdefault((run_id, task_id, key), [])
            indexes.append(map_index)
            indexes.sort()
        self._values[k] = value

    def pull(self, run_id: str, task_id: str, key: str = XCOM_RETURN_KEY, default: Any = None,
             map_index: int = -1) -> Any:
        """The value one task instance pushed under `key`, or `default`."""
        return self._values.get((run_id, task_id, map_index, key), default)

    def pull_all(self, run_id: str, task_id: str, key: str = XCOM_RETURN_KEY) -> list[Any] | None:
        """Every map index's value of a task under `key`, map index order; None if none was pushed."""
        indexes = self._by_task.get((run_id, task_id, key))
        if not indexes:
            return None
        return [self._values[(run_id, task_id, i, key)] for i in indexes]

    def pull_many(self, run_id: str, task_ids: Iterable[str], key: str = XCOM_RETURN_KEY,
                  default: Any = None) -> list[Any]:
        """One value per task id, in order (`default` for a task that pushed nothing)."""
        return [self.pull(run_id, t, key, default) for t in task_ids]

    def clear(self, ti: TaskInstance) -> None:
        """A new try starts clean: the XComs of the last try of this task instance are gone (Airflow
        clears a task instance's XCom when it runs again)."""
        for (run_id, task_id, key), indexes in list(self._by_task.items()):
            if run_id == ti.run_id and task_id == ti.task_id and ti.map_index in indexes:
                indexes.remove(ti.map_index)
                del self._values[(run_id, task_id, ti.map_index, key)]

    def restore(self, run_id: str, stored: Mapping[tuple[str, int, str], str]) -> None:
        """A restarted scheduler reads a run's XComs back from the metadata database."""
        for (task_id, map_index, key), text in stored.items():
            self._set(run_id, task_id, map_index, key, deserialize(text))
