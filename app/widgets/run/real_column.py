"""The run view's fourth column: the same scenario on the real engines, beside the mini ones.

Shown when asked for (`R`): each real system (Temporal's dev server, Airflow 3's `dag.test()`,
Step Functions on moto) runs the exported workload, and the column lists, per system, the real
status beside the mini-engine's, what the services recorded, and every difference
(`workloads.eject.compare`). A system that cannot be had here says why and how to get it.
The results arrive one system at a time, so the column is drawn from a plain dict of them.
"""

from __future__ import annotations

from typing import Any

from rich.text import Text
from textual.widgets import Static

#: The real systems in the order of the mini-engines' columns they stand beside.
SYSTEMS = (("temporal", "Temporal", "replay"), ("airflow", "Airflow 3", "dag"), ("stepfunctions", "Step Functions", "statemachine"))


def real_text(workload: str, scenario: str, results: dict[str, dict[str, Any]], pending: set[str]) -> Text:
    """The column's words: per system a heading, then its status, ledger and differences."""
    out = Text()
    out.append(f"{workload} · {scenario}\n", style="bold")
    for key, title, mini in SYSTEMS:
        out.append(f"\n{title}", style="bold")
        out.append(f"  vs {mini}\n", style="dim")
        if key in pending:
            out.append("  running on the real engine…\n", style="italic")
            continue
        r = results.get(key)
        if r is None:
            out.append("  not run\n", style="dim")
        elif "unavailable" in r or "skipped" in r or "error" in r:
            style = "red" if "error" in r else "yellow"
            out.append(f"  ⚠ {r.get('unavailable') or r.get('skipped') or r.get('error')}\n", style=style)
        else:
            real, same = r["real"], r["same"]
            out.append(f"  {r['mini']['status']} · {real['status']}", style="green" if same else "red")
            out.append("  (mini · real)\n", style="dim")
            if real.get("engine_version"):
                out.append(f"  {real['engine_version']}\n", style="dim")
            if same:
                out.append("  ✓ same status, ledger and steps\n", style="green")
            for line in r["differences"]:
                out.append(f"  ✗ {line}\n", style="red")
    return out


class RealColumn(Static):
    """The real engines' column (hidden until asked for). Attributes down: `show(...)`."""

    DEFAULT_CLASSES = "engine-column real-column"

    def __init__(self, **kwargs: Any) -> None:
        super().__init__("", id="col-real", **kwargs)
        self.workload = ""
        self.scenario = ""
        self.results: dict[str, dict[str, Any]] = {}
        self.pending: set[str] = set()

    def on_mount(self) -> None:
        self.border_title = "real engines"

    def start(self, workload: str, scenario: str, systems: tuple[str, ...]) -> None:
        self.workload, self.scenario = workload, scenario
        self.results = {}
        self.pending = set(systems)
        self._draw()

    def add(self, system: str, result: dict[str, Any]) -> None:
        self.results[system] = result
        self.pending.discard(system)
        self._draw()

    def clear(self) -> None:
        self.workload = self.scenario = ""
        self.results, self.pending = {}, set()
        self.update(Text("press R to run this scenario on the real engines", style="italic"))

    @property
    def done(self) -> bool:
        return bool(self.workload) and not self.pending

    def _draw(self) -> None:
        self.update(real_text(self.workload, self.scenario, self.results, self.pending))
