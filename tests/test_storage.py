"""The store: migrations, types and constraints behave the same on SQLite and PostgreSQL."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import select, text
from sqlalchemy.exc import IntegrityError

from memory.db import Database, next_id
from memory.migrate import (
    current_revisions,
    declared_metadata,
    head_revisions,
    is_current,
    upgrade,
)
from memory.schema import Consent, Customer, HumanAgent, Order

NOW = datetime(2026, 3, 1, 12, 30, tzinfo=UTC)


def make_customer(customer_id: str = "CUS-000001", email: str = "ana@example.com") -> Customer:
    return Customer(
        id=customer_id,
        first_name="Ana",
        last_name="García",
        email=email,
        phone="+34600111222",
        language="es",
        timezone="Europe/Madrid",
        preferred_channel="whatsapp",
        tier="vip",
        lifetime_value_cents=123_456,
        created_at=NOW,
    )


def test_migrations_build_exactly_the_declared_schema(db: Database) -> None:
    assert is_current(db)
    assert current_revisions(db) == head_revisions(db) != frozenset()
    with db.engine.connect() as connection:
        diff = compare_metadata(MigrationContext.configure(connection), declared_metadata())
    assert diff == []


def test_upgrading_twice_keeps_the_data(db: Database) -> None:
    with db.session() as session:
        session.add(make_customer())
    upgrade(db)
    with db.session() as session:
        assert session.get(Customer, "CUS-000001") is not None


def test_timestamps_come_back_aware_in_utc(db: Database) -> None:
    madrid_time = NOW.astimezone(timezone(timedelta(hours=1)))
    customer = make_customer()
    customer.created_at = madrid_time
    with db.session() as session:
        session.add(customer)
    with db.session() as session:
        stored = session.get(Customer, "CUS-000001")
        assert stored is not None
        assert stored.created_at == NOW
        assert stored.created_at.tzinfo is not None
        assert stored.first_name == "Ana" and stored.last_name == "García"


def test_naive_timestamps_are_refused(db: Database) -> None:
    customer = make_customer()
    customer.created_at = datetime(2026, 3, 1, 12, 30)
    with pytest.raises(Exception, match="naive datetime"), db.session() as session:
        session.add(customer)


def test_closed_vocabularies_are_enforced_by_the_database(db: Database) -> None:
    customer = make_customer()
    customer.tier = "platinum"
    with pytest.raises(IntegrityError), db.session() as session:
        session.add(customer)


def test_foreign_keys_are_enforced(db: Database) -> None:
    consent = Consent(
        customer_id="CUS-404", channel="email", purpose="marketing", granted=True, updated_at=NOW
    )
    with pytest.raises(IntegrityError), db.session() as session:
        session.add(consent)


def test_duplicate_email_is_refused_and_the_first_customer_kept(db: Database) -> None:
    with db.session() as session:
        session.add(make_customer())
    with pytest.raises(IntegrityError), db.session() as session:
        session.add(make_customer("CUS-000002"))
    with db.session() as session:
        emails = session.scalars(select(Customer.email)).all()
    assert emails == ["ana@example.com"]


def test_a_failed_transaction_stores_nothing(db: Database) -> None:
    with pytest.raises(RuntimeError), db.session() as session:
        session.add(make_customer())
        session.flush()
        raise RuntimeError("crash mid-transaction")
    with db.session() as session:
        assert session.scalars(select(Customer)).all() == []


def test_json_lists_round_trip(db: Database) -> None:
    with db.session() as session:
        session.add(
            HumanAgent(
                id="AGT-001",
                name="Lucía",
                email="lucia@cx.example",
                skills=["billing", "tier2"],
                languages=["es", "en"],
                channels=["chat"],
                capacity=3,
            )
        )
    with db.session() as session:
        agent = session.get(HumanAgent, "AGT-001")
        assert agent is not None
        assert agent.skills == ["billing", "tier2"] and agent.languages == ["es", "en"]


def test_next_id_is_sequential_per_prefix(db: Database) -> None:
    with db.session() as session:
        first = next_id(session, "TCK")
        second = next_id(session, "TCK")
        other = next_id(session, "NTE", width=4)
    assert (first, second, other) == ("TCK-000001", "TCK-000002", "NTE-0001")


def test_next_id_never_repeats_across_concurrent_writers(db: Database) -> None:
    issued: list[str] = []
    lock = threading.Lock()

    def worker() -> None:
        for _ in range(20):
            with db.session() as session:
                value = next_id(session, "ORD")
            with lock:
                issued.append(value)

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(issued) == 80
    assert len(set(issued)) == 80


def test_orders_keep_their_own_address_snapshot(db: Database) -> None:
    with db.session() as session:
        session.add(make_customer())
        session.flush()
        session.add(
            Order(
                id="ORD-100001",
                customer_id="CUS-000001",
                status="pending",
                currency="EUR",
                total_cents=4_999,
                placed_at=NOW,
                updated_at=NOW,
                ship_line1="Calle Mayor 1",
                ship_line2=None,
                ship_city="Madrid",
                ship_region="Madrid",
                ship_postal_code="28013",
                ship_country="ES",
            )
        )
    with db.session() as session:
        order = session.get(Order, "ORD-100001")
        assert order is not None and order.ship_postal_code == "28013"


def test_sqlite_runs_in_wal_mode(tmp_path: Path) -> None:
    db = Database(f"sqlite:///{tmp_path / 'wal.db'}")
    upgrade(db)
    with db.engine.connect() as connection:
        assert connection.execute(text("PRAGMA journal_mode")).scalar() == "wal"
    db.dispose()


def test_a_read_does_not_wait_for_a_writer_on_sqlite(tmp_path: Path) -> None:
    """With every transaction taking SQLite's write lock, a lookup queued behind any write."""
    db = Database(
        f"sqlite:///{tmp_path / 'reads.db'}",
        connect_args={"check_same_thread": False, "timeout": 0.2},
    )
    upgrade(db)
    with db.session() as writer:
        writer.add(make_customer())
        writer.flush()  # the writer now holds the write lock, uncommitted
        with db.read_session() as reader:
            assert reader.scalars(select(Customer)).all() == []
    with db.read_session() as reader:
        assert [c.id for c in reader.scalars(select(Customer))] == ["CUS-000001"]
    db.dispose()


def test_nothing_written_in_a_read_session_is_kept(db: Database) -> None:
    with db.read_session() as session:
        session.add(make_customer())
        session.flush()
    with db.session() as session:
        assert session.scalars(select(Customer)).all() == []


def test_what_a_read_session_loaded_stays_readable_after_it(db: Database) -> None:
    with db.session() as session:
        session.add(make_customer())
    with db.read_session() as session:
        customer = session.scalars(select(Customer)).one()
    assert (customer.first_name, customer.email) == ("Ana", "ana@example.com")
