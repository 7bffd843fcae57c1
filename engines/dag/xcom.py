"""XCom: small values a task hands to the tasks after it, kept in the metadata database.

As in Airflow, a task's return value is pushed under the key "return_value", `ti.xcom_push`
pushes under any key, and `ti.xcom_pull` reads them back by run, task and key. XCom is for small
things (a row count, an id): a value must be JSON and stay under MAX_XCOM_BYTES; a big result is
passed by reference (a table, a file). A pushed value is readable at once; its row is written
with the pass that pushed it.
"""

from __future__ import annotations

import json
from typing import Any, Iterable, Mapping

from engines.dag.errors import XComError
from engines.dag.models import TaskInstance
from engines.dag.session import Session

#: The key a task's return value is pushed under (Airflow's XCOM_RETURN_KEY).
XCOM_RETURN_KEY = "return_value"
#: XCom is for small values; Airflow keeps it in the metadata database.
MAX_XCOM_BYTES = 48 * 1024


class XCom:
    """The XComs of one scheduler: pushed values in memory, their rows through the session."""

    def __init__(self, session: Session) -> None:
        self._session = session
        self._values: dict[tuple[str, str, str], Any] = {}

    def push(self, ti: TaskInstance, key: str, value: Any) -> None:
        """Store `value` under (run, task, key); None is not stored. XComError if it is not small JSON."""
        if value is None:
            return
        try:
            text = json.dumps(value)
        except (TypeError, ValueError) as exc:
            raise XComError(f"task {ti.task_id}: XCom {key!r} must be JSON (small values only): {exc}") from None
        if len(text) > MAX_XCOM_BYTES:
            raise XComError(f"task {ti.task_id}: XCom {key!r} is {len(text)} bytes; keep XCom under {MAX_XCOM_BYTES} "
                            "bytes and pass a reference (a table, a file) instead")
        run_id, task_id = ti.run_id, ti.task_id
        self._values[(run_id, task_id, key)] = json.loads(text)  # what a reader gets: the JSON round trip
        self._session.defer(lambda meta: meta.set_xcom(run_id, task_id, key, text))

    def pull(self, run_id: str, task_id: str, key: str = XCOM_RETURN_KEY, default: Any = None) -> Any:
        """The value a task pushed under `key` in a run, or `default`."""
        return self._values.get((run_id, task_id, key), default)

    def pull_many(self, run_id: str, task_ids: Iterable[str], key: str = XCOM_RETURN_KEY,
                  default: Any = None) -> list[Any]:
        """One value per task id, in order (`default` for a task that pushed nothing)."""
        return [self.pull(run_id, t, key, default) for t in task_ids]

    def restore(self, run_id: str, values: Mapping[tuple[str, str], Any]) -> None:
        """A restarted scheduler reads a run's XComs back from the metadata database."""
        for (task_id, key), value in values.items():
            self._values[(run_id, task_id, key)] = value
