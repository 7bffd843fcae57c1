import re
import subprocess
import sys
from pathlib import Path

from app.cli.main import main

ROOT = Path(__file__).resolve().parents[1]


def test_version_and_help(capsys):
    for flag in ("--version", "--help"):
        try:
            main([flag])
        except SystemExit as exc:
            assert exc.code == 0
    out = capsys.readouterr().out
    assert re.search(r"workflow-canvas \d+\.\d+", out)
    assert "opens the app" in " ".join(out.split())


def test_console_script_is_installed():
    exe = Path(sys.executable).parent / "workflow-canvas"
    proc = subprocess.run([str(exe), "--version"], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.startswith("workflow-canvas ")


def test_readme_opens_with_two_commands_and_ci_runs_the_second():
    readme = (ROOT / "README.md").read_text().splitlines()
    assert readme[0] == "```bash" and readme[3] == "```"
    run_app, run_tests = readme[1], readme[2]
    assert "workflow-canvas" in run_app and "pip install" in run_app
    assert "pytest" in run_tests and "[test,real]" in run_tests
    ci = (ROOT / ".ci" / "run").read_text()
    assert "set -euo pipefail" in ci
    script = "awk '/^```/{n++; next} n==1{print}' README.md | sed -n 2p"
    extracted = subprocess.run(["bash", "-c", script], cwd=ROOT, capture_output=True, text=True).stdout.strip()
    assert extracted == run_tests
    assert script in ci
