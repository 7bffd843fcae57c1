"""What the nightly ETL saw: the warehouse table after the run, the evidence on every engine."""

from __future__ import annotations

from dataclasses import dataclass, field

from workloads.nightly_etl.tables import WarehouseRow
from workloads.runs import Observations


@dataclass(frozen=True)
class EtlObservations(Observations):
    warehouse: list[WarehouseRow] = field(default_factory=list)  # empty: nothing was loaded
