"""Starting the Textual app (kept apart so the CLI only imports Textual when it needs it)."""

from __future__ import annotations


def run_tui(screenshot: tuple[str, str] | None = None) -> int:
    if screenshot:
        from app.screenshot import write_screenshot

        return write_screenshot(screenshot[0], screenshot[1])
    from app.canvas_app import WorkflowCanvasApp

    app = WorkflowCanvasApp()
    app.run()
    return app.return_code or 0
