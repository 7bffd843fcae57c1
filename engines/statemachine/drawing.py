"""A definition's states as plain data for drawing (the history inspector draws the graph)."""

from __future__ import annotations

from typing import Any

from engines.statemachine.asl import StateType


def state_list(defn: dict) -> list[dict[str, Any]]:
    """The states for drawing: name, type, where each goes (Next, Choice targets, Catch), End."""
    out = []
    for name, st in defn["States"].items():
        nxt = [st["Next"]] if "Next" in st else []
        nxt += [r["Next"] for r in st.get("Choices", [])] + ([st["Default"]] if "Default" in st else [])
        out.append({"name": name, "type": st["Type"], "next": nxt,
                    "catch": [{"errors": c["ErrorEquals"], "next": c["Next"]} for c in st.get("Catch", [])],
                    "end": bool(st.get("End")) or st["Type"] in (StateType.SUCCEED, StateType.FAIL),
                    "resource": st.get("Resource"), "start": name == defn["StartAt"]})
    return out
