"""Workloads: cards, services, each workload once per engine, choose_model and the verifier."""
