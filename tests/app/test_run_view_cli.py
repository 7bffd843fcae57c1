"""`workflow-canvas --screenshot run|canvas ...`: slides of the run view at a chosen moment, and
of the canvas with placed cards; every bad option is one line naming it."""

from __future__ import annotations

import html
import re

import pytest

from app.cli.main import main


def svg_rows(svg: str) -> list[str]:
    """The terminal's rows as plain text, read back from Textual's SVG (one <text> per span)."""
    rows: dict[int, list[tuple[float, str]]] = {}
    for m in re.finditer(r'<text [^>]*x="([\d.]+)"[^>]*clip-path="url\(#[\w-]*-line-(\d+)\)"[^>]*>([^<]*)</text>', svg):
        rows.setdefault(int(m.group(2)), []).append((float(m.group(1)), html.unescape(m.group(3)).replace("\xa0", " ")))
    return ["".join(text for _, text in sorted(spans)) for _, spans in sorted(rows.items())]


def test_the_80x24_slide_of_a_cancel_on_day_3_shown_on_day_10(tmp_path, capsys):
    out = tmp_path / "cancel.svg"
    assert main(["--screenshot", "run", str(out), "--workload", "order-1001", "--scenario", "cancel", "--day", "3",
                 "--at-day", "10", "--size", "80x24"]) == 0
    rows = svg_rows(out.read_text(encoding="utf-8"))
    assert len(rows) == 24
    screen = "\n".join(rows)
    assert "d10" in rows[1]                                         # the axis at day 10
    assert "if cancelled:" in screen and "await" in screen          # the replay code itself
    assert any(row.startswith("■ ") and "undone = await" in row for row in rows)  # where it ended: compensating
    for task, state in (("charge", "success"), ("wait_30_days", "failed"), ("ship", "skipped")):
        assert any(task in row and state in row for row in rows), task  # the DAG's task states
    for state in ("ChargeCard", "WaitForCancelOrder", "ReleaseInventory", "RefundCard"):
        assert state in screen                                      # the state machine's states
    assert any("no running actor" in row for row in rows)           # whole, on one row


@pytest.mark.parametrize("argv, words", [
    (["--screenshot", "run", "x.svg", "--workload", "order-9999"], "unknown workload 'order-9999'"),
    (["--screenshot", "run", "x.svg", "--scenario", "meteor"], "--scenario 'meteor'"),
    (["--screenshot", "run", "x.svg", "--size", "10x5"], "--size 10x5"),
    (["--screenshot", "run", "x.svg", "--size", "wide"], "expected WIDTHxHEIGHT"),
    (["--screenshot", "run", "x.svg", "--theme", "neon"], "--theme 'neon'"),
    (["--screenshot", "canvas", "x.svg", "--at-day", "3"], "--at-day: only for --screenshot run"),
    (["--screenshot", "canvas", "x.svg", "--place", "A=cloud"], "unknown engine 'cloud'"),
    (["--screenshot", "run", "x.svg", "--place", "A=dag"], "--place: only for --screenshot canvas"),
    (["--at-day", "3"], "--at-day: only with --screenshot"),
])
def test_a_bad_screenshot_option_is_one_line_naming_it(argv, words, capsys, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert main(argv) == 1
    err = capsys.readouterr().err.strip()
    assert words in err and "\n" not in err
    assert not (tmp_path / "x.svg").exists()  # nothing written


def test_a_canvas_slide_with_placed_cards(tmp_path):
    out = tmp_path / "canvas.svg"
    assert main(["--screenshot", "canvas", str(out), "--place", "A=replay,B=dag", "--size", "120x40"]) == 0
    rows = svg_rows(out.read_text(encoding="utf-8"))
    assert any("Order fulfillment" in row and "Nightly" in row for row in rows)  # both cards on their zones' row, stamped
    assert any("RIGHT FIT" in row and "B on DAG scheduler" in row for row in rows)  # the last verdict, its headline
