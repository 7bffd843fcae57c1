"""The nightly data-warehouse refresh: the DAG scheduler's rightful home (card B)."""
