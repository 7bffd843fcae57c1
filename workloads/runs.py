"""What running one workload under one scenario on one engine gives back.

Every engine's version of a workload returns a `WorkloadRun`, so the side-by-side runner, the
verifier, the lessons and the app read one shape. The outcome's figures come from the services'
ledger, never from the engine's own account of what it did.

Beyond its Outcome a run carries two typed records, so a reader names what it wants as an
attribute and mypy knows its type:

* `details`: what the engine itself can tell about the run (`ReplayDetails`, `DagDetails` or
  `StatemachineDetails`, see `workloads.details`); `run.replay`, `run.dag`, `run.statemachine`
  narrow to one of them.
* `observed`: what this particular workload saw on the way (the ETL's warehouse rows, the
  expense claim's inbox row, ORDER #1001's status queries...), a subclass of `Observations`
  each workload package defines; `run.observed_as(EtlObservations)` narrows to it.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Any, Callable, TypeVar

from engines.dag import DagRunState
from engines.errors import WorkflowCanvasError
from engines.trace import EngineName, Outcome, OutcomeStatus, TraceEvent
from workloads.details import DagDetails, EngineDetails, ReplayDetails, StatemachineDetails
from workloads.services.ledger import Ledger

Listener = Callable[[TraceEvent], None]


class WorkloadName(StrEnum):
    """The runnable workloads, by the name the CLI, the cards and the app use."""

    ORDER_1001 = "order-1001"
    NIGHTLY_ETL = "nightly-etl"
    EXPENSE_APPROVAL = "expense-approval"
    SUBSCRIPTION = "subscription-renewal"
    KYC = "kyc-review"
    THUMBNAILS = "thumbnail-fan-out"


@dataclass(frozen=True)
class Observations:
    """What one workload saw during a run, beyond the outcome and the engine's details.

    Each workload package subclasses it with its own typed fields (a frozen dataclass), so the
    side-by-side runner can carry any workload's record while a reader that knows the workload
    asks for its type with `WorkloadRun.observed_as`.
    """


class RunShapeError(WorkflowCanvasError):
    """A reader asked a run for details or observations it does not have (e.g. the DAG grid of a
    replay run): a bug in the reader, named plainly instead of an AttributeError on None."""


D = TypeVar("D", ReplayDetails, DagDetails, StatemachineDetails)
O = TypeVar("O", bound=Observations)


#: The details record each engine's runs carry.
_DETAILS_OF: dict[EngineName, type[EngineDetails]] = {
    "replay": ReplayDetails, "dag": DagDetails, "statemachine": StatemachineDetails,
}


@dataclass
class WorkloadRun:
    """One workload, one scenario, one engine: its trace, its ledger-based outcome and its records."""

    engine: EngineName
    workload: WorkloadName
    scenario: str
    trace: list[TraceEvent]
    outcome: Outcome
    ledger: Ledger
    details: EngineDetails
    observed: Observations | None = None
    #: Set when the engine raised instead of ending (`failed_run`): the exception, in one line.
    error: str | None = None

    def __post_init__(self) -> None:
        """A run's details are its engine's (what lets a reader go from `run.engine` to `run.dag`)."""
        if not isinstance(self.details, _DETAILS_OF[self.engine]):
            raise RunShapeError(f"a {self.engine} run of {self.workload} cannot carry {type(self.details).__name__}")

    @property
    def replay(self) -> ReplayDetails:
        """The replay engine's details (workflow status, history rows, replay figures)."""
        return self._details(ReplayDetails)

    @property
    def dag(self) -> DagDetails:
        """The DAG scheduler's details (run state, task-instance grid, pokes, slot-seconds)."""
        return self._details(DagDetails)

    @property
    def statemachine(self) -> StatemachineDetails:
        """The state-machine engine's details (execution status, states, history)."""
        return self._details(StatemachineDetails)

    def observed_as(self, kind: type[O]) -> O:
        """This run's observations as the workload's own record type."""
        if not isinstance(self.observed, kind):
            seen = "nothing" if self.observed is None else type(self.observed).__name__
            raise RunShapeError(f"the {self.engine} run of {self.workload} ({self.scenario}) observed "
                                f"{seen}, not {kind.__name__}")
        return self.observed

    def _details(self, kind: type[D]) -> D:
        if not isinstance(self.details, kind):
            raise RunShapeError(f"the {self.engine} run of {self.workload} ({self.scenario}) has "
                                f"{type(self.details).__name__}, not {kind.__name__}")
        return self.details

    def to_json(self) -> dict[str, Any]:
        """The `run --json` shape, per engine."""
        o = self.outcome
        return {
            "status": o.status.value,
            "outcome": {
                "charged_cents": o.charged_cents,
                "refunded_cents": o.refunded_cents,
                "reserved": o.reserved,
                "released": o.released,
                "shipped": o.shipped,
                "emailed": o.emailed,
                "slot_seconds": o.slot_seconds,
                "events": o.events,
            },
            "problems": list(o.problems),
            "error": self.error,
            "trace": [e.model_dump(mode="json") for e in self.trace],
        }


#: What an engine's run that raised can still say about itself: nothing was read back.
_UNREAD: dict[EngineName, Callable[[], EngineDetails]] = {
    "replay": lambda: ReplayDetails(run_id="", workflow_status="", history_length=0),
    "dag": lambda: DagDetails(run_id="", run_state=DagRunState.FAILED, dag_version=0),
    "statemachine": lambda: StatemachineDetails(state_machine="", execution_arn="", execution_status="",
                                                definition_version=0),
}


def failed_run(workload: WorkloadName, engine: EngineName, scenario: str, error: BaseException,
               trace: list[TraceEvent]) -> WorkloadRun:
    """The run of an engine that raised instead of ending: failed, with the error in its problems.

    The side-by-side runner shows it in that engine's column so the other columns keep their own
    traces. Its ledger is empty and its details blank because the run never got to read them
    back; the problem line says so rather than inventing figures.
    """
    said = " ".join(f"{type(error).__name__}: {error}".split())  # one line, whatever the message held
    problem = (f"the {engine} run of {workload} ({scenario}) raised {said} before it ended; "
               "its ledger and details were never read, so its figures are blank, not the services'")
    return WorkloadRun(engine=engine, workload=workload, scenario=scenario, trace=list(trace),
                       outcome=Outcome(engine=engine, status=OutcomeStatus.FAILED, events=len(trace), problems=[problem]),
                       ledger=Ledger(), details=_UNREAD[engine](), error=said)


#: A Step Functions execution status as an Outcome status (one table for every workload).
STATEMACHINE_STATUS: dict[str, OutcomeStatus] = {
    "SUCCEEDED": OutcomeStatus.COMPLETED, "FAILED": OutcomeStatus.FAILED, "ABORTED": OutcomeStatus.CANCELED,
    "TIMED_OUT": OutcomeStatus.TIMED_OUT, "RUNNING": OutcomeStatus.WAITING,
}


def outcome_from_ledger(
    engine: EngineName,
    status: OutcomeStatus | str,
    ledger: Ledger,
    order_id: str | None = None,
    *,
    slot_seconds: float = 0.0,
    events: int = 0,
    problems: list[str] | None = None,
    result: Any = None,
) -> Outcome:
    """An Outcome whose money and goods are read from what the services recorded."""
    return Outcome(
        engine=engine,
        status=OutcomeStatus(status),
        slot_seconds=slot_seconds,
        events=events,
        problems=list(problems or []),
        result=result,
        **ledger.counts(order_id),
    )
