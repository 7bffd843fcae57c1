"""What Airflow works out from a task's flat relatives (every task upstream or downstream of it,
airflow/_shared/dagnode/node.py `get_flat_relative_ids`): the priority weight under each
`weight_rule`, a work task's indirect setups and a teardown's scope.

Airflow walks the graph once per task; that is quadratic on a 10,000-task chain. Here the
relatives of every task are worked out in one pass in topological order, each set held as the
bits of a Python int (bit i = the i-th task of the order), so a union is one C-level OR.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Iterator, Mapping

import networkx as nx


class WeightRule(StrEnum):
    """Airflow's weight rules (airflow/task/weight_rule.py): which relatives add their
    priority_weight to a task's effective priority."""

    DOWNSTREAM = "downstream"  # the default: a task with more work after it goes first
    UPSTREAM = "upstream"
    ABSOLUTE = "absolute"


WEIGHT_RULES: tuple[WeightRule, ...] = tuple(WeightRule)


class Relatives:
    """Flat relatives of every task of one DAG structure, as bit sets over a topological order."""

    def __init__(self, graph: nx.DiGraph, order: list[str]) -> None:
        self.order = order
        self.index = {tid: i for i, tid in enumerate(order)}
        self._graph = graph
        self._desc: list[int] | None = None
        self._anc: list[int] | None = None

    def descendants(self) -> list[int]:
        if self._desc is None:
            idx, succ = self.index, self._graph.succ
            desc = [0] * len(self.order)
            for i in range(len(self.order) - 1, -1, -1):
                bits = 0
                for child in succ[self.order[i]]:
                    j = idx[child]
                    bits |= desc[j] | (1 << j)
                desc[i] = bits
            self._desc = desc
        return self._desc

    def ancestors(self) -> list[int]:
        if self._anc is None:
            idx, pred = self.index, self._graph.pred
            anc = [0] * len(self.order)
            for i, tid in enumerate(self.order):
                bits = 0
                for parent in pred[tid]:
                    j = idx[parent]
                    bits |= anc[j] | (1 << j)
                anc[i] = bits
            self._anc = anc
        return self._anc

    def ids(self, bits: int) -> Iterator[str]:
        """The task ids of a bit set."""
        order = self.order
        while bits:
            low = bits & -bits
            yield order[low.bit_length() - 1]
            bits ^= low

    def bits(self, task_ids: object) -> int:
        out = 0
        for tid in task_ids:  # type: ignore[attr-defined]
            out |= 1 << self.index[tid]
        return out

    def priority_weights(self, weights: Mapping[str, int], rules: Mapping[str, str]) -> dict[str, int]:
        """Airflow's priority_weight_total of every task: its own weight plus that of all its
        downstream (or upstream) relatives, or its own alone (absolute)."""
        by_weight: dict[int, int] = {}
        for tid, w in weights.items():
            by_weight[w] = by_weight.get(w, 0) | (1 << self.index[tid])
        out: dict[str, int] = {}
        for i, tid in enumerate(self.order):
            rule = rules[tid]
            own = weights[tid]
            if rule == WeightRule.ABSOLUTE:
                out[tid] = own
                continue
            rel = self.descendants()[i] if rule == WeightRule.DOWNSTREAM else self.ancestors()[i]
            out[tid] = own + sum(w * (rel & mask).bit_count() for w, mask in by_weight.items())
        return out

    def setup_scopes(self, setups: set[str], teardowns: set[str]) -> tuple[dict[str, list[str]], dict[str, list[str]]]:
        """(indirect setups of each work task, in-scope tasks of each teardown), as Airflow's
        get_upstreams_only_setups and _evaluate_teardown_scope define them."""
        graph, idx = self._graph, self.index
        desc, anc = self.descendants(), self.ancestors()
        teardown_bits = self.bits(teardowns)
        setup_bits = self.bits(setups)
        indirect: dict[str, list[str]] = {}
        for tid in self.order:
            if tid in teardowns:
                continue
            i = idx[tid]
            down_teardowns = desc[i] & teardown_bits
            direct = set(graph.pred[tid])
            relevant = []
            for s in self.ids(anc[i] & setup_bits):
                s_teardowns = self.bits(t for t in graph.succ[s] if t in teardowns)
                if not s_teardowns or s_teardowns & down_teardowns:
                    if s not in direct:
                        relevant.append(s)
            if relevant:
                indirect[tid] = sorted(relevant)
        scopes: dict[str, list[str]] = {}
        for td in teardowns:
            i = idx[td]
            direct = set(graph.pred[td])
            indirect_up = anc[i] & ~self.bits(direct)
            in_scope = 0
            for s in direct:
                if s in setups:
                    in_scope |= indirect_up & desc[idx[s]]
            if in_scope:
                scopes[td] = sorted(self.ids(in_scope))
        return indirect, scopes
