"""Starting the Textual app (kept apart so the CLI only imports Textual when it needs it)."""

from __future__ import annotations


def run_tui(screenshot: tuple[str, str] | None = None, keymap_file: str | None = None) -> int:
    keymap = None
    if keymap_file:
        from app.keymap import load_keymap

        keymap = load_keymap(keymap_file)  # before the screen is taken: a bad file is one line on stderr
    if screenshot:
        from app.screenshot import write_screenshot

        return write_screenshot(screenshot[0], screenshot[1])
    from app.canvas_app import WorkflowCanvasApp

    app = WorkflowCanvasApp(keymap=keymap)
    app.run()
    return app.return_code or 0
