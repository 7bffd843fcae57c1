"""Arrows point down: the import-linter contracts in pyproject.toml hold, and no module cycle exists.

The contracts (layers app → lessons → workloads → engines, the three engines independent, Textual
only in the app) are checked by import-linter itself, as harlequin does, so the rule is written
once, in pyproject.toml, and this test cannot drift from it.
"""

import subprocess
import sys
from pathlib import Path

import grimp
import networkx as nx

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("app", "lessons", "workloads", "engines")


def test_import_linter_contracts_are_kept():
    lint = Path(sys.executable).with_name("lint-imports")
    proc = subprocess.run([str(lint), "--no-cache"], cwd=ROOT, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-2000:]
    assert "0 broken" in proc.stdout


def test_no_module_import_cycle_not_even_a_type_only_one():
    """A cycle, even under `if TYPE_CHECKING:`, marks two modules that are really one (or need a Protocol)."""
    graph = grimp.build_graph(*PACKAGES, exclude_type_checking_imports=False, cache_dir=None)
    edges = nx.DiGraph()
    for module in graph.modules:
        for imported in graph.find_modules_directly_imported_by(module):
            edges.add_edge(module, imported)
    cycles = [sorted(c) for c in nx.strongly_connected_components(edges) if len(c) > 1]
    assert cycles == [], cycles


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
