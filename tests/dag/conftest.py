from datetime import timedelta

import pytest

from engines.clock import EPOCH, VirtualClock
from engines.dag import Scheduler


@pytest.fixture
def clock():
    return VirtualClock(EPOCH)


@pytest.fixture
def make_scheduler(clock):
    made = []

    def make(*dags, **kw):
        kw.setdefault("clock", clock)
        s = Scheduler(list(dags), **kw)
        made.append(s)
        return s

    yield make
    for s in made:
        try:
            s.close()
        except Exception:
            pass


def at(seconds: float):
    return EPOCH + timedelta(seconds=seconds)
