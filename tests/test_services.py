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


# --- issue 17: the ledger guards its sums ----------------------------------------------------------
import sqlite3  # noqa: E402

from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from app.cli.main import main  # noqa: E402
from workloads.services.ledger import LEDGER_MIGRATIONS, LedgerTampered, read_ledger, seal_entry  # noqa: E402


def _guarded(path):
    """A services file with three entries, migrated to the guarded ledger (its entries sealed)."""
    svc = Services(path, clock=VirtualClock())
    svc.charge_card("1001", 4200, "order-1001-charge")
    svc.ship_package("1001")
    svc.refund_card("1001", 1200, "order-1001-refund")
    svc.store.ensure_schema("services", 2, "", LEDGER_MIGRATIONS)
    return svc


def _tamper(path, sql, params=()):
    c = sqlite3.connect(path)
    c.execute(sql, params)
    c.commit()
    c.close()


def test_a_guarded_ledger_reads_back_its_sums(tmp_path):
    svc = _guarded(tmp_path / "s.db")
    ledger = read_ledger(svc.store)
    assert ledger.statement_cents() == 3000 and ledger.counts("1001")["shipped"] == 1
    assert read_ledger(svc.store, "1002").entries == []


def test_a_flipped_digit_in_a_stored_amount_is_reported_in_one_line(tmp_path):
    db = tmp_path / "s.db"
    svc = _guarded(db)
    _tamper(db, "UPDATE svc_ledger SET amount_cents = 4290 WHERE seq = 1")  # 4200 -> 4290
    with pytest.raises(LedgerTampered) as info:
        read_ledger(svc.store)
    message = str(info.value)
    assert "\n" not in message and str(db) in message
    assert "ledger entry 1 (charge for order 1001, amount_cents 4290) does not match its checksum" in message


def test_a_deleted_entry_breaks_the_chain(tmp_path):
    db = tmp_path / "s.db"
    svc = _guarded(db)
    _tamper(db, "DELETE FROM svc_ledger WHERE seq = 1")  # the charge vanishes: the sum would go negative
    with pytest.raises(LedgerTampered, match="ledger entry 2 .* or an entry before it"):
        read_ledger(svc.store)


def test_a_checksum_removed_is_reported(tmp_path):
    db = tmp_path / "s.db"
    svc = _guarded(db)
    _tamper(db, "UPDATE svc_ledger SET digest = NULL WHERE seq = 3")
    with pytest.raises(LedgerTampered, match="entry 3 .* has no checksum"):
        read_ledger(svc.store)


def test_sealing_in_the_writing_transaction_keeps_the_chain(tmp_path):
    """The path the services take once they seal: insert, seal, commit together."""
    svc = _guarded(tmp_path / "s.db")
    with svc.store.transaction() as c:
        cur = c.execute("INSERT INTO svc_ledger (kind, order_id, at, idempotency_key, amount_cents, detail) "
                        "VALUES ('charge', '1002', '2026-01-01T00:00:00+00:00', 'k2', 999, 'ChargeCard')")
        seal_entry(c, int(cur.lastrowid or 0))
    assert read_ledger(svc.store).charged_cents("1002") == 999


_FIELDS = {"kind": st.sampled_from(["refund", "charge", "payout", "email"]),
           "order_id": st.text("0123456789", min_size=1, max_size=5),
           "amount_cents": st.integers(-10**12, 10**12) | st.text("0123456789", min_size=1, max_size=6),
           "detail": st.text(max_size=8)}


@settings(max_examples=25, deadline=None)
@given(st.data())
def test_any_change_to_a_stored_field_is_detected(tmp_path_factory, data):
    db = tmp_path_factory.mktemp("ledger") / "s.db"
    svc = _guarded(db)
    seq = data.draw(st.sampled_from([1, 2, 3]), label="entry")
    field = data.draw(st.sampled_from(sorted(_FIELDS)), label="field")
    value = data.draw(_FIELDS[field], label="value")
    def stored():
        c = sqlite3.connect(db)
        row = c.execute(f"SELECT {field}, typeof({field}) FROM svc_ledger WHERE seq = ?", (seq,)).fetchone()
        c.close()
        return row

    before = stored()
    _tamper(db, f"UPDATE svc_ledger SET {field} = ? WHERE seq = ?", (value, seq))
    if stored() == before:  # e.g. '0' into an INTEGER column that held 0: SQLite stores the same value
        assert read_ledger(svc.store).statement_cents() == 3000
    else:
        with pytest.raises(LedgerTampered, match=f"ledger entry {seq} "):
            read_ledger(svc.store)
    svc.store.close()


def test_the_ledger_command_reports_a_tampered_amount_and_writes_nothing(tmp_path, capsys):
    import hashlib

    db = tmp_path / "s.db"
    _guarded(db).store.close()
    assert main(["ledger", "--db", str(db)]) == 0
    assert "statement: $30.00" in capsys.readouterr().out
    _tamper(db, "UPDATE svc_ledger SET amount_cents = 4201 WHERE seq = 1")
    before = hashlib.sha256(db.read_bytes()).hexdigest()
    assert main(["ledger", "--db", str(db), "--order", "1001"]) == 1
    err = capsys.readouterr().err.strip()
    assert err.startswith("workflow-canvas: error: ") and "does not match its checksum" in err and "\n" not in err
    assert hashlib.sha256(db.read_bytes()).hexdigest() == before


def test_the_ledger_command_refuses_a_database_without_a_ledger(tmp_path, capsys):
    from engines.store import open_store

    db = tmp_path / "dag.db"
    open_store(db, "dag", 1, "CREATE TABLE d (id INTEGER PRIMARY KEY);").close()
    assert main(["ledger", "--db", str(db)]) == 1
    assert "no services ledger" in capsys.readouterr().err


def test_the_services_seal_what_they_write(tmp_path):
    db = tmp_path / "s.db"
    svc = Services(db, clock=VirtualClock())
    svc.charge_card("1001", 4200, "order-1001-charge")
    _tamper(db, "UPDATE svc_ledger SET amount_cents = 4290 WHERE seq = 1")
    with pytest.raises(LedgerTampered):
        svc.ledger()
