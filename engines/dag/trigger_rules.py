"""Trigger rules: when may a task run, given how its upstream task instances ended.

A transcription of Airflow 3.3's TriggerRuleDep (airflow/ti_deps/deps/trigger_rule_dep.py,
`_evaluate_direct_relatives` with `flag_upstream_failed=True`, what the scheduler uses): a rule
first may settle the task as skipped / upstream_failed without running it, then says run or
wait. Tasks without upstream, and the `always` rule, always run. Counts are of upstream task
*instances*, so a mapped upstream expanded to five counts five.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from engines.dag.errors import UnknownTriggerRule
from engines.dag.states import TI, TaskInstanceState


class TriggerRule(StrEnum):
    """Airflow 3.3's trigger rules (airflow/task/trigger_rule.py); the value is what a DAG file writes."""

    ALL_SUCCESS = "all_success"
    ALL_FAILED = "all_failed"
    ALL_DONE = "all_done"
    ALL_DONE_MIN_ONE_SUCCESS = "all_done_min_one_success"
    ALL_DONE_SETUP_SUCCESS = "all_done_setup_success"
    ONE_SUCCESS = "one_success"
    ONE_FAILED = "one_failed"
    ONE_DONE = "one_done"
    NONE_FAILED = "none_failed"
    NONE_SKIPPED = "none_skipped"
    ALWAYS = "always"
    NONE_FAILED_MIN_ONE_SUCCESS = "none_failed_min_one_success"
    ALL_SKIPPED = "all_skipped"


TRIGGER_RULES: tuple[TriggerRule, ...] = tuple(TriggerRule)


class TriggerRuleDecision(StrEnum):
    """What a trigger rule says about a task whose upstream stand somewhere: keep waiting, run it,
    or settle it without running (the last two are the task-instance states it then takes)."""

    WAIT = "wait"
    RUN = "run"
    SKIPPED = TaskInstanceState.SKIPPED.value
    UPSTREAM_FAILED = TaskInstanceState.UPSTREAM_FAILED.value


WAIT = TriggerRuleDecision.WAIT
RUN = TriggerRuleDecision.RUN
_SKIP = TriggerRuleDecision.SKIPPED
_UPF = TriggerRuleDecision.UPSTREAM_FAILED


def check_trigger_rule(rule: TriggerRule | str, where: str = "") -> TriggerRule:
    """The rule as a TriggerRule, or an error naming it, the task and all 13 rules Airflow 3.3 has."""
    if not isinstance(rule, str) or rule not in TRIGGER_RULES:
        raise UnknownTriggerRule(f"{where}: unknown trigger_rule {rule!r}; Airflow 3.3's rules are "
                                 f"{', '.join(TRIGGER_RULES)}")
    return TriggerRule(rule)


@dataclass(slots=True)
class UpstreamCounts:
    """How many upstream task instances there are and how many ended in each finished state
    (Airflow's _UpstreamTIStates; the setup counts are included in the others, as there)."""

    total: int = 0
    success: int = 0
    skipped: int = 0
    failed: int = 0
    upstream_failed: int = 0
    removed: int = 0
    setups: int = 0  # upstream task instances of setup tasks
    success_setup: int = 0
    skipped_setup: int = 0

    @property
    def done(self) -> int:
        return self.success + self.skipped + self.failed + self.upstream_failed + self.removed

    def add(self, state: TaskInstanceState, is_setup: bool = False) -> None:
        if state == TI.SUCCESS:
            self.success += 1
            self.success_setup += is_setup
        elif state == TI.SKIPPED:
            self.skipped += 1
            self.skipped_setup += is_setup
        elif state == TI.FAILED:
            self.failed += 1
        elif state == TI.UPSTREAM_FAILED:
            self.upstream_failed += 1
        elif state == TI.REMOVED:
            self.removed += 1


    def remove(self, state: TaskInstanceState, is_setup: bool = False) -> None:
        """Take back one `add` (an upstream re-marked from one finished state to another)."""
        if state == TI.SUCCESS:
            self.success -= 1
            self.success_setup -= is_setup
        elif state == TI.SKIPPED:
            self.skipped -= 1
            self.skipped_setup -= is_setup
        elif state == TI.FAILED:
            self.failed -= 1
        elif state == TI.UPSTREAM_FAILED:
            self.upstream_failed -= 1
        elif state == TI.REMOVED:
            self.removed -= 1


def _settle(rule: TriggerRule | str, c: UpstreamCounts) -> TriggerRuleDecision | None:
    """The state Airflow's flag_upstream_failed branch sets without running the task, if any."""
    upstream, success, skipped, failed, upf = c.total, c.success, c.skipped, c.failed, c.upstream_failed
    done = c.done >= upstream
    if rule == TriggerRule.ALL_SUCCESS:
        return _UPF if (upf or failed) else _SKIP if skipped else None
    if rule == TriggerRule.ALL_FAILED:
        return _SKIP if (success or skipped) else None
    if rule == TriggerRule.ONE_SUCCESS:
        if done and c.done == skipped:
            return _SKIP
        return _UPF if done and success <= 0 else None
    if rule == TriggerRule.ONE_FAILED:
        return _SKIP if done and not (failed or upf) else None
    if rule == TriggerRule.ONE_DONE:
        return _SKIP if done and not (failed or success) else None
    if rule == TriggerRule.NONE_FAILED:
        return _UPF if (upf or failed) else None
    if rule == TriggerRule.NONE_FAILED_MIN_ONE_SUCCESS:
        if upf or failed:
            return _UPF
        if skipped == upstream:
            return _SKIP
        return _UPF if done and success == 0 else None
    if rule == TriggerRule.NONE_SKIPPED:
        return _SKIP if skipped else None
    if rule == TriggerRule.ALL_SKIPPED:
        return _SKIP if (success or failed or upf) else None
    if rule == TriggerRule.ALL_DONE_MIN_ONE_SUCCESS:
        if skipped > 0:  # skipped upstream are not "done" for this rule
            return _SKIP
        if success + failed + upf + c.removed >= upstream - skipped and success == 0:
            return _UPF
        return None
    if rule == TriggerRule.ALL_DONE_SETUP_SUCCESS:
        if done and c.setups and c.skipped_setup >= c.setups:
            return _SKIP
        if done and c.setups and c.success_setup == 0:
            return _UPF
        return None
    return None


def _passes(rule: TriggerRule | str, c: UpstreamCounts) -> bool:
    """Whether the rule's dependency is met (Airflow yields no failing status)."""
    upstream, success, skipped, failed, upf, removed = (c.total, c.success, c.skipped, c.failed,
                                                        c.upstream_failed, c.removed)
    done = c.done >= upstream
    if rule == TriggerRule.ONE_SUCCESS:
        return success > 0
    if rule == TriggerRule.ONE_FAILED:
        return bool(failed or upf)
    if rule == TriggerRule.ONE_DONE:
        return success + failed > 0
    if rule == TriggerRule.ALL_SUCCESS:
        return upstream - success - removed <= 0
    if rule == TriggerRule.ALL_FAILED:
        return upstream - failed - upf - removed <= 0
    if rule == TriggerRule.ALL_DONE:
        return done
    if rule == TriggerRule.NONE_FAILED:
        return upstream - success - skipped - removed <= 0
    if rule == TriggerRule.NONE_FAILED_MIN_ONE_SUCCESS:
        return upstream - success - skipped - removed <= 0 and success > 0
    if rule == TriggerRule.NONE_SKIPPED:
        return done and skipped == 0
    if rule == TriggerRule.ALL_SKIPPED:
        return upstream - skipped <= 0
    if rule == TriggerRule.ALL_DONE_SETUP_SUCCESS:
        return done and not (c.setups and not c.success_setup)
    if rule == TriggerRule.ALL_DONE_MIN_ONE_SUCCESS:
        return skipped == 0 and success + failed + upf >= upstream - skipped - removed and success > 0
    raise UnknownTriggerRule(f"unknown trigger_rule {rule!r}")


def evaluate(rule: TriggerRule | str, c: UpstreamCounts) -> TriggerRuleDecision:
    """WAIT, RUN, SKIPPED or UPSTREAM_FAILED for a task whose upstream stand at `c`."""
    if c.total == 0 or rule == TriggerRule.ALWAYS:
        return RUN
    settled = _settle(rule, c)
    if settled is not None:
        return settled
    return RUN if _passes(rule, c) else WAIT


def setup_constraint(states: list[TaskInstanceState]) -> TriggerRuleDecision:
    """Airflow's _evaluate_setup_constraint for a work task's indirect setups (setups upstream of
    it, not directly, whose teardown is downstream of it): any failed -> upstream_failed, any
    skipped -> skipped, all success -> run, else wait."""
    if any(s in (TI.FAILED, TI.UPSTREAM_FAILED) for s in states):
        return _UPF
    if any(s == TI.SKIPPED for s in states):
        return _SKIP
    return RUN if all(s == TI.SUCCESS for s in states) else WAIT
