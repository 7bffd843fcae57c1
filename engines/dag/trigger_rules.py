"""Trigger rules: when may a task run, given how its upstream tasks ended.

A transcription of Airflow's TriggerRuleDep with `flag_upstream_failed=True` (what the scheduler
uses): a rule either says wait, run, or settles the task as skipped / upstream_failed without
running it. Tasks without upstream always run.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from engines.dag.errors import UnknownTriggerRule
from engines.dag.states import TI, TaskInstanceState


class TriggerRule(StrEnum):
    """Airflow's trigger rules (airflow/utils/trigger_rule.py); the value is what a DAG file writes."""

    ALL_SUCCESS = "all_success"
    ALL_FAILED = "all_failed"
    ALL_DONE = "all_done"
    ALL_SKIPPED = "all_skipped"
    ONE_SUCCESS = "one_success"
    ONE_FAILED = "one_failed"
    ONE_DONE = "one_done"
    NONE_FAILED = "none_failed"
    NONE_FAILED_MIN_ONE_SUCCESS = "none_failed_min_one_success"
    NONE_SKIPPED = "none_skipped"
    ALWAYS = "always"


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


def check_trigger_rule(rule: TriggerRule | str, where: str = "") -> TriggerRule:
    """The rule as a TriggerRule, or an error naming it, the task and the rules that exist."""
    if not isinstance(rule, str) or rule not in TRIGGER_RULES:
        raise UnknownTriggerRule(f"{where}: unknown trigger_rule {rule!r}; Airflow has {', '.join(TRIGGER_RULES)}")
    return TriggerRule(rule)


@dataclass(slots=True)
class UpstreamCounts:
    """How many upstream task instances ended in each finished state."""

    total: int = 0
    success: int = 0
    skipped: int = 0
    failed: int = 0
    upstream_failed: int = 0
    removed: int = 0

    @property
    def done(self) -> int:
        return self.success + self.skipped + self.failed + self.upstream_failed + self.removed

    def add(self, state: TaskInstanceState) -> None:
        if state == TI.SUCCESS:
            self.success += 1
        elif state == TI.SKIPPED:
            self.skipped += 1
        elif state == TI.FAILED:
            self.failed += 1
        elif state == TI.UPSTREAM_FAILED:
            self.upstream_failed += 1
        elif state == TI.REMOVED:
            self.removed += 1


def evaluate(rule: TriggerRule | str, c: UpstreamCounts) -> TriggerRuleDecision:
    """WAIT, RUN, SKIPPED or UPSTREAM_FAILED for a task whose upstream stand at `c`."""
    if c.total == 0 or rule == TriggerRule.ALWAYS:
        return RUN
    all_done = c.done >= c.total
    failed = c.failed + c.upstream_failed
    # first: can the outcome already be settled without running?
    if rule == TriggerRule.ALL_SUCCESS:
        if failed:
            return TriggerRuleDecision.UPSTREAM_FAILED
        if c.skipped:
            return TriggerRuleDecision.SKIPPED
        return RUN if c.success >= c.total else WAIT
    if rule == TriggerRule.ALL_FAILED:
        if c.success or c.skipped:
            return TriggerRuleDecision.SKIPPED
        return RUN if failed >= c.total else WAIT
    if rule == TriggerRule.ALL_DONE:
        return RUN if all_done else WAIT
    if rule == TriggerRule.ALL_SKIPPED:
        if c.success or failed:
            return TriggerRuleDecision.SKIPPED
        return RUN if c.skipped >= c.total else WAIT
    if rule == TriggerRule.ONE_SUCCESS:
        if c.success:
            return RUN
        if all_done:
            return TriggerRuleDecision.SKIPPED if c.done == c.skipped else TriggerRuleDecision.UPSTREAM_FAILED
        return WAIT
    if rule == TriggerRule.ONE_FAILED:
        if failed:
            return RUN
        return TriggerRuleDecision.SKIPPED if all_done else WAIT
    if rule == TriggerRule.ONE_DONE:
        if c.success or c.failed:
            return RUN
        return TriggerRuleDecision.SKIPPED if all_done else WAIT
    if rule == TriggerRule.NONE_FAILED:
        if failed:
            return TriggerRuleDecision.UPSTREAM_FAILED
        return RUN if all_done else WAIT
    if rule == TriggerRule.NONE_FAILED_MIN_ONE_SUCCESS:
        if failed:
            return TriggerRuleDecision.UPSTREAM_FAILED
        if all_done:
            return RUN if c.success else TriggerRuleDecision.SKIPPED
        return WAIT
    if rule == TriggerRule.NONE_SKIPPED:
        if c.skipped:
            return TriggerRuleDecision.SKIPPED
        return RUN if all_done else WAIT
    raise UnknownTriggerRule(f"unknown trigger_rule {rule!r}")
