import pytest


@pytest.fixture(autouse=True)
def _isolated_home(tmp_path, monkeypatch):
    """Every test gets its own data directory, so default databases never leak between tests."""
    monkeypatch.setenv("WORKFLOW_CANVAS_HOME", str(tmp_path / "home"))
