"""Workloads: cards, services, each workload once per engine (listed in `registry`), the
side-by-side `runner`, choose_model and the verifier."""
