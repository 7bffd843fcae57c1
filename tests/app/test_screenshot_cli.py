"""`workflow-canvas --screenshot SCREEN FILE.svg` writes a picture; bad input is one clear line."""

from __future__ import annotations

from app.cli.main import main
from app.screenshot import SCREENS


def test_screenshot_of_the_lesson_screen(tmp_path, capsys):
    target = tmp_path / "lesson.svg"
    assert main(["--screenshot", "lesson", str(target)]) == 0
    svg = target.read_text()
    assert svg.startswith("<svg") and "Scene" in svg and "01" in svg
    assert set(SCREENS) == {"canvas", "run", "history", "lesson"}


def test_screenshot_refuses_an_unknown_screen_and_a_non_svg_name(tmp_path, capsys):
    assert main(["--screenshot", "kitchen", str(tmp_path / "x.svg")]) == 1
    assert "unknown screen 'kitchen'" in capsys.readouterr().err
    assert main(["--screenshot", "canvas", str(tmp_path / "x.png")]) == 1
    assert "must end in .svg" in capsys.readouterr().err
    assert not list(tmp_path.iterdir())
