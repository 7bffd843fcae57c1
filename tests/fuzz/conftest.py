import shutil
from pathlib import Path

import pytest

from tests.fuzz.harness import Driver

CORPUS = Path(__file__).with_name("corpus")


@pytest.fixture(scope="session")
def driver():
    """One driver process for the whole fuzz suite (restarted by itself after a hang or crash)."""
    d = Driver()
    yield d
    d.close()


@pytest.fixture
def corpus(tmp_path) -> Path:
    """A private copy of the hostile-file corpus (the checked-in files are never handed out)."""
    dest = tmp_path / "corpus"
    shutil.copytree(CORPUS, dest)
    return dest
