"""Workload C: a cloud-native expense approval (the state machine's rightful home).

A $180 claim is submitted, the manager is asked by email, the flow waits up to three days for
approve or reject, then pays out and tells the employee, or closes the claim with nothing paid.
Written once per engine (`replay.py`, `dag.py`, `statemachine.json` + `statemachine.py`) over the
same services and the same approvals inbox (`claim.py`).
"""
