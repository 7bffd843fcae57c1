"""A definition's `States` blocks by scope key, each with the QueryLanguage its states inherit.

A thread names the block it walks by this key ('' is the top level, '/Par[0]' a Parallel
branch, '/Par[0]/Map[map]' a Map's ItemProcessor inside it). The key is stored in every
checkpointed thread, so its format is fixed here, once.
"""

from __future__ import annotations

from typing import NamedTuple

from engines.statemachine.asl import DEFAULT_QUERY_LANGUAGE, QueryLanguage, StateType


class Scope(NamedTuple):
    """One `States` block (top level, branch or item processor) and its inherited QueryLanguage."""

    block: dict
    language: QueryLanguage


Scopes = dict[str, Scope]


def branch_key(scope: str, state: str, index: int) -> str:
    """The key of Parallel `state`'s branch `index` inside `scope`."""
    return f"{scope}/{state}[{index}]"


def map_key(scope: str, state: str) -> str:
    """The key of Map `state`'s ItemProcessor (or legacy Iterator) inside `scope`."""
    return f"{scope}/{state}[map]"


def item_processor(state: dict) -> dict:
    """A Map state's processor block: `ItemProcessor`, or the older `Iterator`."""
    return state.get("ItemProcessor") or state["Iterator"]


def scopes(definition: dict) -> Scopes:
    """Every States block of a (validated) definition by key, with its query language."""
    out: Scopes = {}

    def walk(block: dict, key: str, inherited: QueryLanguage) -> None:
        language = QueryLanguage(block.get("QueryLanguage", inherited))
        out[key] = Scope(block, language)
        for name, st in block["States"].items():
            own = QueryLanguage(st.get("QueryLanguage", language))
            if st["Type"] == StateType.PARALLEL:
                for i, br in enumerate(st["Branches"]):
                    walk(br, branch_key(key, name, i), own)
            elif st["Type"] == StateType.MAP:
                walk(item_processor(st), map_key(key, name), own)

    walk(definition, "", QueryLanguage(definition.get("QueryLanguage", DEFAULT_QUERY_LANGUAGE)))
    return out
