"""Activity tasks: scheduling, claiming, heartbeats, results, and retries by the policy.

An activity task carries its ActivityTaskScheduled attributes as its payload. Only the outcome of
an attempt is recorded: ActivityTaskStarted is written together with the result (as Temporal
does for retried activities), so a history shows one Started per recorded outcome, not one per
attempt. A failed attempt the RetryPolicy retries stays invisible for its backoff and leaves no
history event, only a trace; the last failure records ActivityTaskFailed / ActivityTaskTimedOut
with its retry state, and wakes the workflow.
"""

from __future__ import annotations

import sqlite3
from typing import Any

from engines import jsonio
from engines.replay.history import EventType
from engines.replay.history_store import HistoryStore
from engines.replay.payloads import to_json_text
from engines.replay.retry import RetryPolicy
from engines.replay.task_claims import ActivityClaim, EagerRequest
from engines.replay.task_queues import TaskKind, TaskQueues
from engines.replay.workflow_tasks import WorkflowTasks
from engines.trace import Severity


class ActivityTasks:
    """The activity tasks of one store, from ActivityTaskScheduled to their recorded outcome."""

    def __init__(self, history: HistoryStore, queues: TaskQueues, workflow_tasks: WorkflowTasks) -> None:
        self._history = history
        self._timeline = history.timeline
        self._queues = queues
        self._workflow_tasks = workflow_tasks

    def schedule(self, c: sqlite3.Connection, run_id: str, workflow_id: str, event_id: int, attrs: dict[str, Any],
                 eager: EagerRequest | None) -> ActivityClaim | None:
        """The task for the ActivityTaskScheduled event `event_id`. With `eager` and a worker that
        runs this type on this queue, the task comes back already claimed for it (the same lease
        a poll would set); else None and the task waits for a poll."""
        now = self._timeline.ts()
        payload = {**attrs, "workflow_id": workflow_id}
        owner = expires = None
        if eager is not None and attrs["task_queue"] == eager.task_queue and attrs["activity_type"] in eager.activity_types:
            owner, expires = eager.worker_id, now + payload["start_to_close_timeout"]
        task_id = c.execute("INSERT INTO rp_tasks (kind, task_queue, run_id, type_name, scheduled_event_id, visible_at, "
                            "first_scheduled_at, payload, lease_owner, lease_expires) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                            (TaskKind.ACTIVITY, attrs["task_queue"], run_id, attrs["activity_type"], event_id, now, now,
                             jsonio.dumps_strict(payload), owner, expires)).lastrowid
        if owner is None or task_id is None:
            return None
        return ActivityClaim.from_task(task_id, run_id, event_id, 1, now, payload, None, owner)

    def claim(self, task_queue: str, worker_id: str, types: list[str], *,
              run_id: str | None = None) -> ActivityClaim | None:
        """Atomically take the oldest runnable activity task of a registered type (or None).

        With `run_id`, only that run's tasks: a worker that just recorded one of the run's
        activities takes a sibling that is ready too, before the run's workflow task.
        A task whose lease ran out (its worker died or hung past start-to-close) counts as a
        timed-out attempt: it is retried by its policy (after the backoff) or timed out for good.
        """
        if not types:
            return None
        if run_id is None and not self._queues.maybe_runnable(TaskKind.ACTIVITY, task_queue, self._timeline.ts()):
            return None
        marks = ",".join("?" * len(types))
        with self._history.transaction() as c:
            while True:
                now = self._timeline.ts()
                where, params = self._queues.visible(TaskKind.ACTIVITY, task_queue, now, run_id)
                row = c.execute(
                    f"SELECT * FROM rp_tasks WHERE {where} "
                    f"AND (lease_owner IS NULL OR lease_expires <= ?) AND type_name IN ({marks}) "
                    "ORDER BY visible_at, task_id LIMIT 1", (*params, now, *types)).fetchone()
                if row is None:
                    return None
                payload = jsonio.loads(row["payload"])
                if row["lease_owner"] is not None:
                    self._attempt_failed(c, row, payload, {"type": "StartToCloseTimeout", "non_retryable": False,
                                                           "message": f"no result within {payload['start_to_close_timeout']:g} s "
                                                                      f"(worker {row['lease_owner']} is gone)"},
                                         timed_out=True)
                    continue
                c.execute("UPDATE rp_tasks SET lease_owner = ?, lease_expires = ? WHERE task_id = ?",
                          (worker_id, now + payload["start_to_close_timeout"], row["task_id"]))
                return ActivityClaim.from_task(row["task_id"], row["run_id"], row["scheduled_event_id"], row["attempt"],
                                               row["first_scheduled_at"], payload,
                                               jsonio.loads(row["heartbeat"]) if row["heartbeat"] else None, worker_id)

    def heartbeat(self, claim: ActivityClaim, details: Any) -> None:
        """Record progress details and extend the lease by another start-to-close."""
        with self._history.transaction() as c:
            self._queues.check_lease(c, claim.task_id, claim.worker_id, claim.attempt)
            c.execute("UPDATE rp_tasks SET heartbeat = ?, lease_expires = ? WHERE task_id = ?",
                      (to_json_text(details, "heartbeat details"), self._timeline.ts() + claim.start_to_close, claim.task_id))

    def complete(self, claim: ActivityClaim, result: Any) -> None:
        """ActivityTaskStarted + ActivityTaskCompleted in one transaction, and wake the workflow.

        The Started event of a retried activity records its attempt and the previous attempt's
        failure (`last_failure`), as Temporal's does. While the run's workflow task is in flight
        both events are buffered (the Completed event's started_event_id is wired when written)."""
        with self._history.transaction() as c:
            row = self._queues.check_lease(c, claim.task_id, claim.worker_id, claim.attempt)
            started = self._workflow_tasks.add_input(c, claim.run_id, EventType.ACTIVITY_TASK_STARTED,
                                                     self._started_attrs(row, claim.scheduled_event_id, claim.attempt,
                                                                         claim.worker_id), traced=False)
            self._workflow_tasks.add_input(c, claim.run_id, EventType.ACTIVITY_TASK_COMPLETED,
                                           {"scheduled_event_id": claim.scheduled_event_id, "started_event_id": started,
                                            "activity_type": claim.activity_type, "result": result})
            c.execute("DELETE FROM rp_tasks WHERE task_id = ?", (claim.task_id,))
            self._workflow_tasks.schedule(c, claim.run_id)

    @staticmethod
    def _started_attrs(row: sqlite3.Row, scheduled_event_id: int, attempt: int, identity: str | None) -> dict[str, Any]:
        attrs: dict[str, Any] = {"scheduled_event_id": scheduled_event_id, "attempt": attempt, "identity": identity}
        if attempt > 1 and row["last_failure"]:
            attrs["last_failure"] = jsonio.loads(row["last_failure"])
        return attrs

    def fail(self, claim: ActivityClaim, failure: dict[str, Any]) -> bool:
        """One attempt failed. Retries by the policy (True) or records ActivityTaskFailed (False)."""
        with self._history.transaction() as c:
            row = self._queues.check_lease(c, claim.task_id, claim.worker_id, claim.attempt)
            return self._attempt_failed(c, row, jsonio.loads(row["payload"]), failure, timed_out=False)

    def _attempt_failed(self, c: sqlite3.Connection, row: sqlite3.Row, payload: dict[str, Any], failure: dict[str, Any], *,
                        timed_out: bool) -> bool:
        attempt, now = row["attempt"], self._timeline.ts()
        policy = RetryPolicy.from_json(payload["retry_policy"])
        limit = payload.get("schedule_to_close_timeout")
        delay = policy.backoff(attempt).total_seconds()
        retry = policy.should_retry(attempt, failure.get("type", ""), bool(failure.get("non_retryable")))
        if retry and limit is not None and now + delay > row["first_scheduled_at"] + limit:
            retry = False
        event_type = EventType.ACTIVITY_TASK_TIMED_OUT if timed_out else EventType.ACTIVITY_TASK_FAILED
        if retry:
            c.execute("UPDATE rp_tasks SET attempt = attempt + 1, visible_at = ?, lease_owner = NULL, lease_expires = NULL, "
                      "last_failure = ? WHERE task_id = ?", (now + delay, jsonio.dumps_strict(failure), row["task_id"]))
            what = f"{payload['activity_type']} attempt {attempt} {'timed out' if timed_out else 'failed'}: {failure.get('type')}"
            self._history.emit(event_type, payload["workflow_id"], f"{what}; retry in {delay:g} s (attempt {attempt + 1})",
                               Severity.WARNING, attempt=attempt, activity_type=payload["activity_type"], will_retry=True,
                               backoff_seconds=delay, failure=failure)
            return True
        started = self._workflow_tasks.add_input(c, row["run_id"], EventType.ACTIVITY_TASK_STARTED,
                                                 self._started_attrs(row, row["scheduled_event_id"], attempt,
                                                                     row["lease_owner"]), traced=False)
        self._workflow_tasks.add_input(c, row["run_id"], event_type,
                                       {"scheduled_event_id": row["scheduled_event_id"], "started_event_id": started,
                                        "attempt": attempt, "activity_type": payload["activity_type"], "failure": failure,
                                        "retry_state": policy.retry_state(failure, attempt)})
        c.execute("DELETE FROM rp_tasks WHERE task_id = ?", (row["task_id"],))
        self._workflow_tasks.schedule(c, row["run_id"])
        return False
