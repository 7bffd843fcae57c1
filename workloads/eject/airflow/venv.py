"""Airflow 3.3's own virtual environment: its pins clash with ours, so it never joins our venv.

`apache-airflow==3.3.2` pins SQLAlchemy, FastAPI, pydantic and a hundred more; installed into the
app's environment it would fight Textual's and ours. So `run --on real` runs the exported DAG in a
virtual environment of its own, made on first use with `uv venv` + `uv pip install` (uv comes with
the `real` extra; without it, `python -m venv` + pip), in the user cache folder
(platformdirs `user_cache_dir("workflow-canvas")/airflow-3.3`), or an existing one named by
WORKFLOW_CANVAS_AIRFLOW_VENV. Nothing of Workflow Canvas is installed there: the subprocess reaches
our `engines` and `workloads` packages through a PYTHONPATH folder holding only symlinks to those
two package folders (they need only the standard library and pydantic, which Airflow brings).

Besides Airflow the venv gets time-machine, which the harness travels the clock with (Airflow has
no time skipping). The SQLite metadata database is migrated once per Airflow version
(`airflow db migrate`, a few seconds) and kept next to the venv cache; each run copies it.
Measured cold, on a loaded 2-core machine with a fresh uv cache: 6 s to create the venv and
install Airflow 3.3.2 with uv, 12 s for the first migration.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

import engines
import workloads
from workloads.eject.real import RealEngineUnavailable

AIRFLOW_VERSION = "3.3.2"
AIRFLOW_REQUIREMENT = f"apache-airflow=={AIRFLOW_VERSION}"
#: What the harness needs in the venv beside Airflow: the travelled clock.
HARNESS_REQUIREMENTS = ("time-machine>=2.16",)
VENV_ENV = "WORKFLOW_CANVAS_AIRFLOW_VENV"
#: Bounds on the one-off steps (a cold install downloads ~130 packages).
INSTALL_TIMEOUT_S = 900.0
MIGRATE_TIMEOUT_S = 300.0
PROBE_TIMEOUT_S = 120.0


def cache_root() -> Path:
    """Workflow Canvas's cache folder (platformdirs), where the venv and the migrated DB live."""
    from platformdirs import user_cache_dir

    return Path(user_cache_dir("workflow-canvas"))


def venv_dir() -> Path:
    """The Airflow venv: WORKFLOW_CANVAS_AIRFLOW_VENV if set, else the cache's airflow-3.3."""
    named = os.environ.get(VENV_ENV, "")
    return Path(named).expanduser() if named else cache_root() / "airflow-3.3"


@dataclass(frozen=True)
class AirflowVenv:
    """A virtual environment with Airflow 3.3 and the harness's time-machine in it."""

    path: Path
    airflow_version: str

    @property
    def python(self) -> Path:
        return _python_of(self.path)

    @property
    def airflow(self) -> Path:
        return self.python.parent / "airflow"


def _python_of(path: Path) -> Path:
    return path / ("Scripts/python.exe" if os.name == "nt" else "bin/python")


def _run(cmd: list[str], what: str, timeout: float, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    try:
        return subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, env=env, check=False)
    except subprocess.TimeoutExpired as exc:
        raise RealEngineUnavailable(f"{what} took over {timeout:g} s and was stopped: {' '.join(cmd[:4])} …") from exc
    except OSError as exc:
        raise RealEngineUnavailable(f"{what} could not start {cmd[0]}: {exc}") from exc


def _probe(python: Path) -> tuple[str | None, bool]:
    """(Airflow's version or None, whether time-machine imports) in that interpreter."""
    code = ("import importlib.metadata as m\n"
            "def v(n):\n"
            "    try: return m.version(n)\n"
            "    except m.PackageNotFoundError: return ''\n"
            "print(v('apache-airflow'), v('time-machine'))")
    done = _run([str(python), "-c", code], "checking the Airflow venv", PROBE_TIMEOUT_S)
    if done.returncode != 0:
        return None, False
    words = (done.stdout.split() + ["", ""])[:2]
    return (words[0] or None), bool(words[1])


def _uv() -> str | None:
    beside = Path(sys.executable).parent / "uv"
    return str(beside) if beside.exists() else shutil.which("uv")


def _install(python: Path, requirements: list[str], where: Path) -> None:
    uv = _uv()
    if uv:
        cmd = [uv, "pip", "install", "--quiet", "--compile-bytecode", "--python", str(python), *requirements]
    else:
        cmd = [str(python), "-m", "pip", "install", "--quiet", *requirements]
    done = _run(cmd, f"installing {' '.join(requirements)} into {where}", INSTALL_TIMEOUT_S)
    if done.returncode != 0:
        tail = (done.stderr or done.stdout).strip().splitlines()[-1:] or ["no output"]
        raise RealEngineUnavailable(f"could not install {' '.join(requirements)} into {where} "
                                    f"({'uv' if uv else 'pip'} said: {tail[0][:300]}); a network connection to PyPI "
                                    f"is needed once, or point {VENV_ENV} at a venv with {AIRFLOW_REQUIREMENT}")


#: Written into our own venv once its bytecode is compiled (see `_compile`).
COMPILED_MARK = ".workflow-canvas-compiled"


def _compile(python: Path, path: Path) -> None:
    """Compile the venv's modules to bytecode once. uv installs without .pyc files (pip compiles),
    and the Airflow subprocess runs with PYTHONDONTWRITEBYTECODE (it must leave no __pycache__ in
    our package folders), so without this every Airflow process would recompile Airflow's ~5,000
    modules at start: seconds each time, paid once here instead."""
    mark = path / COMPILED_MARK
    if mark.exists():
        return
    code = ("import compileall, site, sys\n"
            "ok = all(compileall.compile_dir(d, quiet=1, workers=0) for d in site.getsitepackages())\n"
            "sys.exit(0 if ok else 1)")
    _run([str(python), "-c", code], f"compiling the Airflow venv {path}", INSTALL_TIMEOUT_S)
    mark.write_text("bytecode compiled by Workflow Canvas (python -m compileall)\n")


def _create(path: Path) -> None:
    uv = _uv()
    path.parent.mkdir(parents=True, exist_ok=True)
    if uv:
        cmd = [uv, "venv", "--quiet", "--python", sys.executable, str(path)]
    else:
        cmd = [sys.executable, "-m", "venv", str(path)]
    done = _run(cmd, f"creating the Airflow venv {path}", INSTALL_TIMEOUT_S)
    if done.returncode != 0:
        raise RealEngineUnavailable(f"could not create the Airflow venv {path}: "
                                    f"{(done.stderr or done.stdout).strip()[-300:] or 'no output'}")


def ensure_venv() -> AirflowVenv:
    """The Airflow venv, created on first use; RealEngineUnavailable says what is missing.

    A venv named by WORKFLOW_CANVAS_AIRFLOW_VENV is used as it is (it must have Airflow 3.3);
    only time-machine is added to it when it lacks it.
    """
    path = venv_dir()
    named = bool(os.environ.get(VENV_ENV))
    python = _python_of(path)
    if not python.exists():
        if named:
            raise RealEngineUnavailable(f"{VENV_ENV}={path} is not a virtual environment (no {python})")
        _create(path)
    version, has_clock = _probe(python)
    if version is None and not named:
        _install(python, [AIRFLOW_REQUIREMENT, *HARNESS_REQUIREMENTS], path)
        version, has_clock = _probe(python)
    if version is None:
        raise RealEngineUnavailable(f"no Airflow in {path}: install it with `uv pip install --python {python} "
                                    f"{AIRFLOW_REQUIREMENT}`, or unset {VENV_ENV} to have one made on first use")
    if not version.startswith("3.3"):
        raise RealEngineUnavailable(f"{path} has Airflow {version}; the exports are written for Airflow 3.3 "
                                    f"({AIRFLOW_REQUIREMENT})")
    if not has_clock:
        _install(python, list(HARNESS_REQUIREMENTS), path)
    if not named:  # our own venv; one a person names is used as it is
        _compile(python, path)
    return AirflowVenv(path, version)


def metadata_db(venv: AirflowVenv) -> Path:
    """Airflow's SQLite metadata DB, migrated once per Airflow version and kept in the cache."""
    cached = cache_root() / f"airflow-{venv.airflow_version}-metadata" / "airflow.db"
    if cached.exists():
        return cached
    cached.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="airflow-migrate-", dir=cached.parent) as tmp:
        home = Path(tmp)
        (home / "dags").mkdir()
        env = {**os.environ, **airflow_env(home)}
        done = _run([str(venv.airflow), "db", "migrate"], "`airflow db migrate`", MIGRATE_TIMEOUT_S, env=env)
        if done.returncode != 0 or not (home / "airflow.db").exists():
            raise RealEngineUnavailable(f"`airflow db migrate` failed in {venv.path}: "
                                        f"{(done.stderr or done.stdout).strip()[-300:] or 'no output'}")
        os.replace(home / "airflow.db", cached)
    return cached


def airflow_env(home: Path) -> dict[str, str]:
    """The environment of an Airflow process whose AIRFLOW_HOME (config, SQLite DB, dags) is `home`."""
    return {
        "AIRFLOW_HOME": str(home),
        "AIRFLOW__CORE__DAGS_FOLDER": str(home / "dags"),
        "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
        "AIRFLOW__CORE__UNIT_TEST_MODE": "False",
        "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": f"sqlite:///{home / 'airflow.db'}",
        "AIRFLOW__LOGGING__LOGGING_LEVEL": "WARNING",
    }


def pythonpath_folder(work_dir: Path) -> Path:
    """A folder holding only symlinks to our `engines` and `workloads` packages, for PYTHONPATH."""
    folder = work_dir / "pythonpath"
    folder.mkdir(parents=True, exist_ok=True)
    for package in (engines, workloads):
        source = Path(package.__file__ or "").resolve().parent
        link = folder / source.name
        if link.is_symlink() or link.exists():
            if link.resolve() == source:
                continue
            link.unlink()
        link.symlink_to(source, target_is_directory=True)
    return folder
