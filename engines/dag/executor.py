"""Worker slots and pools: the scarce resource a waiting sensor sits on.

`parallelism` is the executor's number of worker slots (Airflow's [core] parallelism, 32);
pools cap concurrency per resource (default_pool has 128 slots). A queued or running task
instance occupies one executor slot and `pool_slots` pool slots; Airflow counts both as taken.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from engines.dag.dag import DEFAULT_POOL
from engines.dag.errors import DagError

DEFAULT_PARALLELISM = 32
DEFAULT_POOL_SLOTS = 128


@dataclass
class Pool:
    name: str
    slots: int
    occupied: int = 0

    @property
    def open_slots(self) -> int:
        return self.slots - self.occupied


@dataclass
class Executor:
    """Tracks who holds which slot. Slots are taken at queueing and given back when the task's
    process ends (success, failure, kill) or a reschedule-mode sensor lets go between pokes."""

    parallelism: int = DEFAULT_PARALLELISM
    pools: dict[str, Pool] = field(default_factory=dict)
    occupied: int = 0
    peak: int = 0

    def __post_init__(self) -> None:
        if self.parallelism < 1:
            raise DagError(f"parallelism must be at least 1, got {self.parallelism}")
        self.pools.setdefault(DEFAULT_POOL, Pool(DEFAULT_POOL, DEFAULT_POOL_SLOTS))

    def set_pool(self, name: str, slots: int) -> Pool:
        """Create or resize a pool; slots already taken stay taken."""
        if slots < 0:
            raise DagError(f"pool {name!r}: slots cannot be negative ({slots})")
        pool = self.pools.get(name)
        if pool is None:
            pool = self.pools[name] = Pool(name, slots)
        pool.slots = slots
        return pool

    def pool(self, name: str, where: str = "") -> Pool:
        """The pool by name, or an error naming `where` it was asked for and the pools there are."""
        try:
            return self.pools[name]
        except KeyError:
            raise DagError(f"{where}: pool {name!r} does not exist; pools: {', '.join(self.pools)}") from None

    def take(self, pool: str, pool_slots: int) -> None:
        """A task instance is queued: one worker slot and `pool_slots` of its pool are taken."""
        self.occupied += 1
        self.pools[pool].occupied += pool_slots
        self.peak = max(self.peak, self.occupied)

    def give_back(self, pool: str, pool_slots: int) -> None:
        """Its process ended (or a reschedule-mode sensor let go): the slots are free again."""
        self.occupied -= 1
        self.pools[pool].occupied -= pool_slots
