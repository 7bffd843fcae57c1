"""Workload E: a KYC review that waits up to 14 days for a human (the durable engine's home).

A new customer's documents are checked, a compliance reviewer has 14 days to approve or reject,
the customer may send new documents while the review waits (they reset the check and must reach
the running review), and nobody answering in 14 days escalates the case to the KYC lead.
Written once per engine (`replay.py`, `dag.py`, `statemachine.json` + `statemachine.py`) over the
same services and the same case file (`case.py`: the documents received and the reviewer's queue).
"""
