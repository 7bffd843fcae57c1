import pytest

from engines.clock import VirtualClock
from workloads.services import CardDeclined, ServiceUnavailable, Services


def test_idempotency_key_dedups_the_charge(tmp_path):
    svc = Services(tmp_path / "s.db", clock=VirtualClock())
    first = svc.charge_card("1001", 4200, "order-1001-charge")
    again = svc.charge_card("1001", 4200, "order-1001-charge")
    assert again["id"] == first["id"] and again["deduplicated"]
    assert svc.ledger().statement_cents() == 4200
    svc.charge_card("1001", 4200)  # no key: a naive retry charges again
    assert svc.ledger().statement_cents() == 8400


def test_faults_503_then_success_and_declines_are_not_retryable(tmp_path):
    svc = Services(tmp_path / "s.db", clock=VirtualClock())
    svc.inject("payment", "unavailable", times=3)
    for _ in range(3):
        with pytest.raises(ServiceUnavailable) as e:
            svc.charge_card("1001", 4200, "k")
        assert e.value.retryable
    assert svc.charge_card("1001", 4200, "k")["amount_cents"] == 4200
    svc.inject("payment", "reject")
    with pytest.raises(CardDeclined) as e:
        svc.charge_card("1002", 4200, "k2")
    assert not e.value.retryable
    assert [c["answer"] for c in svc.calls("payment")] == ["ServiceUnavailable"] * 3 + ["ok", "CardDeclined"]


def test_ledger_persists_across_reopen(tmp_path):
    svc = Services(tmp_path / "s.db", clock=VirtualClock())
    svc.reserve_inventory("1001", idempotency_key="order-1001-reserve")
    svc.ship_package("1001")
    svc.store.close()
    again = Services(tmp_path / "s.db", clock=VirtualClock())
    assert again.ledger().counts("1001") == {"charged_cents": 0, "refunded_cents": 0, "reserved": 1, "released": 0,
                                             "shipped": 1, "emailed": 0}
