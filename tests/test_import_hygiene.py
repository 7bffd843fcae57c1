"""Arrows point down: engines know nothing of the app, workloads or lessons; only the app knows Textual."""

import ast
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def imported_roots(package: str) -> dict[str, set[str]]:
    found: dict[str, set[str]] = {}
    for path in (ROOT / package).rglob("*.py"):
        tree = ast.parse(path.read_text(), filename=str(path))
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names = [node.module]
            else:
                continue
            for name in names:
                found.setdefault(name.split(".")[0], set()).add(str(path.relative_to(ROOT)))
    return found


def test_engines_import_none_of_the_layers_above():
    roots = imported_roots("engines")
    for upper in ("app", "workloads", "lessons", "textual"):
        assert upper not in roots, f"engines import {upper}: {roots.get(upper)}"


def test_only_the_app_imports_textual():
    for package in ("engines", "workloads", "lessons"):
        assert "textual" not in imported_roots(package), package

def test_workloads_and_lessons_never_import_the_app():
    for package in ("workloads", "lessons"):
        assert "app" not in imported_roots(package), package


def test_domain_packages_load_without_textual_at_run_time():
    code = (
        "import sys, importlib, pkgutil\n"
        "for pkg in ('engines', 'workloads', 'lessons'):\n"
        "    m = importlib.import_module(pkg)\n"
        "    for info in pkgutil.walk_packages(m.__path__, pkg + '.'):\n"
        "        importlib.import_module(info.name)\n"
        "bad = [m for m in sys.modules if m.split('.')[0] in ('textual', 'app')]\n"
        "assert not bad, bad\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
