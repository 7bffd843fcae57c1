"""The requirement-weight control: one row per requirement key; +/- (or ←/→) changes a weight."""

from __future__ import annotations

from textual.binding import Binding
from textual.message import Message
from textual.widgets import DataTable

STEP = 0.5
LIMITS = (0.0, 5.0)


def weight_bar(value: float) -> str:
    """One block per whole unit, a half block for .5: 0 → "·", 2.5 → "██▌"."""
    whole, half = int(value), (value - int(value)) >= STEP
    return ("█" * whole + ("▌" if half else "")) or "·"


class WeightsTable(DataTable):
    """Rows are requirement keys (from workloads.requirements); the cell shows the weight as a bar."""

    BINDINGS = [
        Binding("plus,right,equals_sign", "change(1)", "Weight +", id="weights.raise", tooltip="Raise this requirement's weight"),
        Binding("minus,left", "change(-1)", "Weight −", id="weights.lower", tooltip="Lower this requirement's weight"),
    ]

    class Changed(Message):
        """The weights changed; `weights` is a copy of all of them."""

        def __init__(self, weights: dict[str, float]) -> None:
            super().__init__()
            self.weights = weights

    def __init__(self, **kwargs) -> None:
        super().__init__(cursor_type="row", zebra_stripes=False, **kwargs)
        self.weights: dict[str, float] = {}

    def on_mount(self) -> None:
        self.add_column("requirement", key="key", width=14)
        self.add_column("weight", key="weight", width=4 + int(LIMITS[1]))

    def load(self, weights: dict[str, float], labels: dict[str, str]) -> None:
        """Show `weights`; `labels` maps a key to the term shown beside it."""
        self.clear()
        self.weights = dict(weights)
        for key, value in self.weights.items():
            self.add_row(labels.get(key, key), self._cell(value), key=key)

    def _cell(self, value: float) -> str:
        return f"{value:3.1f} {weight_bar(value)}"

    def action_change(self, direction: int) -> None:
        if not self.weights or self.row_count == 0:
            return
        row_key, _ = self.coordinate_to_cell_key(self.cursor_coordinate)
        key = row_key.value
        if key is None:
            return
        low, high = LIMITS
        value = min(high, max(low, self.weights[key] + direction * STEP))
        if value == self.weights[key]:
            return
        self.weights[key] = value
        self.update_cell(key, "weight", self._cell(value))
        self.post_message(self.Changed(dict(self.weights)))
