"""The demo data: deterministic, coherent across tables, with the documented story customers, and
seeded the same way on SQLite and PostgreSQL."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
import threading
from collections import Counter, defaultdict
from datetime import timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select

from memory.db import Database, next_id
from memory.demo.agents import SKILLS, agent_count
from memory.demo.builder import tier_for
from memory.demo.generator import DEFAULT_NOW, generate
from memory.demo.ids import PREFIXES
from memory.demo.places import COUNTRY_BY_CODE
from memory.demo.seeding import SeedProgress, seed
from memory.migrate import upgrade
from memory.schema import DOMAIN_TABLES, Customer, IdCounter
from memory.transfer.bulk import DatabaseNotEmptyError

Tables = dict[str, list[dict[str, Any]]]
CUSTOMERS = 200
NOW = DEFAULT_NOW


def collect(customers: int, **kwargs: Any) -> Tables:
    tables: Tables = defaultdict(list)
    for chunk in generate(customers, **kwargs):
        for name, rows in chunk.tables.items():
            tables[name].extend(rows)
    return dict(tables)


def digest(tables: Tables) -> str:
    text = json.dumps(tables, default=str, ensure_ascii=False)
    return hashlib.sha256(text.encode()).hexdigest()


def by(rows: list[dict[str, Any]], key: str) -> dict[Any, list[dict[str, Any]]]:
    grouped: dict[Any, list[dict[str, Any]]] = defaultdict(list)
    for row in rows:
        grouped[row[key]].append(row)
    return grouped


@pytest.fixture(scope="module")
def data() -> Tables:
    return collect(CUSTOMERS, chunk_size=64)


# --- determinism ------------------------------------------------------------------------------


def test_same_seed_gives_the_same_rows_whatever_the_chunk_size(data: Tables) -> None:
    assert collect(CUSTOMERS) == data
    assert digest(collect(CUSTOMERS, chunk_size=7)) == digest(data)


def test_different_seeds_give_different_data(data: Tables) -> None:
    other = collect(CUSTOMERS, seed=7, chunk_size=64)
    assert digest(other) != digest(data)
    assert [c["email"] for c in other["customers"]] != [c["email"] for c in data["customers"]]


def test_the_output_does_not_depend_on_the_hash_seed() -> None:
    program = "from tests.test_demo_data import collect, digest; print(digest(collect(50)))"
    environment = {**os.environ, "PYTHONHASHSEED": "12345"}  # this process has another one
    output = subprocess.run(
        [sys.executable, "-c", program],
        env=environment,
        cwd=Path(__file__).parents[1],
        capture_output=True,
        text=True,
    )
    assert output.returncode == 0, output.stderr
    assert output.stdout.strip() == digest(collect(50))


def test_bad_arguments_are_refused() -> None:
    with pytest.raises(ValueError, match="at least 1"):
        next(generate(0))
    with pytest.raises(ValueError, match="chunk_size"):
        next(generate(10, chunk_size=0))


# --- shape ------------------------------------------------------------------------------------


def test_every_row_has_every_column_of_its_table(data: Tables) -> None:
    for table in DOMAIN_TABLES:
        columns = [column.name for column in table.columns]
        assert data[table.name], f"no rows for {table.name}"
        for row in data[table.name]:
            assert list(row) == columns, table.name


def test_ids_are_unique_numbered_like_next_id_and_counted(data: Tables) -> None:
    prefixes = {
        "customers": "CUS", "addresses": "ADR", "payment_methods": "PAY", "products": "PRD",
        "orders": "ORD", "order_items": "ITM", "payments": "PMT", "shipments": "SHP",
        "tracking_events": "TEV", "returns": "RET", "return_items": "RIT", "refunds": "RFD",
        "human_agents": "AGT", "tickets": "TCK", "notes": "NTE", "messages": "MSG",
        "handoffs": "HOF",
    }  # fmt: skip
    assert sorted(prefixes.values()) == sorted(PREFIXES)
    last_ids: dict[str, int] = {}
    for chunk in generate(CUSTOMERS, chunk_size=64):
        last_ids = chunk.last_ids
    for table, prefix in prefixes.items():
        ids = [row["id"] for row in data[table]]
        assert len(set(ids)) == len(ids), table
        numbers = [int(i.removeprefix(f"{prefix}-")) for i in ids]
        assert all(len(i) >= len(prefix) + 7 for i in ids), table
        assert max(numbers) == last_ids[prefix], table
    assert data["customers"][0]["id"] == "CUS-000001"
    assert data["orders"][0]["id"] == "ORD-100001"


def test_emails_phones_and_tracking_numbers_are_unique(data: Tables) -> None:
    for table, column in (
        ("customers", "email"),
        ("customers", "phone"),
        ("human_agents", "email"),
        ("shipments", "tracking_number"),
    ):
        values = [row[column] for row in data[table] if row[column] is not None]
        assert len(set(values)) == len(values), f"{table}.{column}"


def test_languages_are_about_half_each_and_time_zones_fit_the_country(data: Tables) -> None:
    customers = data["customers"]
    spanish = sum(1 for c in customers if c["language"] == "es") / len(customers)
    assert 0.35 < spanish < 0.65
    addresses = by(data["addresses"], "customer_id")
    for customer in customers:
        ZoneInfo(customer["timezone"])
        default = next(a for a in addresses[customer["id"]] if a["is_default"])
        zones = {city.timezone for city in COUNTRY_BY_CODE[default["country"]].cities}
        assert customer["timezone"] in zones, customer["id"]
        assert all(a["country"] == default["country"] for a in addresses[customer["id"]])
        if customer["phone"]:
            assert customer["phone"].startswith(COUNTRY_BY_CODE[default["country"]].phone_prefix)


def test_every_vocabulary_value_the_demo_needs_occurs(data: Tables) -> None:
    assert {o["status"] for o in data["orders"]} == {
        "pending", "processed", "shipped", "delivered", "cancelled",
    }  # fmt: skip
    assert {c["tier"] for c in data["customers"]} == {"new", "standard", "vip"}
    assert {s["status"] for s in data["shipments"]} >= {"in_transit", "delivered", "exception"}
    assert {t["severity"] for t in data["tickets"]} >= {"low", "medium", "high"}
    assert {t["status"] for t in data["tickets"]} == {"open", "pending", "resolved"}
    assert {p["kind"] for p in data["payment_methods"]} >= {"card", "paypal"}
    assert {c["granted"] for c in data["consents"]} == {True, False}
    assert {r["status"] for r in data["returns"]} >= {"requested", "refunded"}


# --- coherence --------------------------------------------------------------------------------


def test_orders_add_up_and_ship_to_the_customers_country(data: Tables) -> None:
    items = by(data["order_items"], "order_id")
    payments = by(data["payments"], "order_id")
    addresses = by(data["addresses"], "customer_id")
    for order in data["orders"]:
        lines = items[order["id"]]
        assert lines
        assert order["total_cents"] == sum(i["quantity"] * i["unit_price_cents"] for i in lines)
        assert order["currency"] == "EUR"
        assert [p["amount_cents"] for p in payments[order["id"]]] == [order["total_cents"]]
        countries = {a["country"] for a in addresses[order["customer_id"]]}
        assert order["ship_country"] in countries
        assert order["placed_at"] <= order["updated_at"] <= NOW
        assert (order["cancel_reason"] is not None) == (order["status"] == "cancelled")


def test_shipments_and_tracking_events_follow_the_order_status(data: Tables) -> None:
    shipments = by(data["shipments"], "order_id")
    events = by(data["tracking_events"], "shipment_id")
    for order in data["orders"]:
        found = shipments.get(order["id"], [])
        if order["status"] not in ("shipped", "delivered"):
            assert not found, order["id"]
            continue
        [shipment] = found
        history = events[shipment["id"]]
        times = [e["occurred_at"] for e in history]
        assert times == sorted(times) and len(set(times)) == len(times), shipment["id"]
        assert order["placed_at"] <= shipment["shipped_at"] == times[0]
        assert times[-1] <= NOW
        assert history[0]["status"] == "label_created"
        if order["status"] == "delivered":
            assert shipment["status"] == "delivered"
            assert history[-1]["status"] == "delivered"
            assert shipment["delivered_at"] == times[-1] == order["updated_at"]
        else:
            assert shipment["status"] in ("in_transit", "out_for_delivery", "exception")
            assert shipment["delivered_at"] is None
            assert history[-1]["status"] != "delivered"


def test_lifetime_value_is_the_sum_of_delivered_orders_and_sets_the_tier(data: Tables) -> None:
    orders = by(data["orders"], "customer_id")
    for customer in data["customers"]:
        delivered = [o for o in orders.get(customer["id"], []) if o["status"] == "delivered"]
        value = sum(o["total_cents"] for o in delivered)
        assert customer["lifetime_value_cents"] == value, customer["id"]
        assert customer["tier"] == tier_for(len(delivered), value), customer["id"]


def test_returns_and_refunds_match_their_orders(data: Tables) -> None:
    orders = {o["id"]: o for o in data["orders"]}
    items = {i["id"]: i for i in data["order_items"]}
    return_items = by(data["return_items"], "return_id")
    refunds = by(data["refunds"], "return_id")
    payments = by(data["payments"], "order_id")
    shipments = by(data["shipments"], "order_id")
    for record in data["returns"]:
        order = orders[record["order_id"]]
        assert order["status"] == "delivered" and order["customer_id"] == record["customer_id"]
        delivered_at = shipments[order["id"]][0]["delivered_at"]
        assert delivered_at < record["created_at"] <= delivered_at + timedelta(days=30)
        lines = return_items[record["id"]]
        amount = 0
        for line in lines:
            item = items[line["order_item_id"]]
            assert item["order_id"] == order["id"] and 0 < line["quantity"] <= item["quantity"]
            amount += line["quantity"] * item["unit_price_cents"]
        [refund] = refunds[record["id"]]
        assert refund["amount_cents"] == amount
        expected = {"refunded": "processed", "rejected": "failed"}.get(record["status"], "pending")
        assert refund["status"] == expected
        assert (refund["processed_at"] is not None) == (expected == "processed")
        [payment] = payments[order["id"]]
        if record["status"] == "refunded":
            full = amount == order["total_cents"]
            assert payment["status"] == ("refunded" if full else "partially_refunded")
    for refund in refunds[None]:
        order = orders[refund["order_id"]]
        assert order["status"] == "cancelled"
        assert refund["amount_cents"] == order["total_cents"]


def test_payments_follow_the_order_status(data: Tables) -> None:
    payments = {p["order_id"]: p for p in data["payments"]}
    refunded = {r["order_id"] for r in data["refunds"] if r["status"] == "processed"}
    for order in data["orders"]:
        status = payments[order["id"]]["status"]
        if order["status"] == "pending":
            assert status == "authorized"
        elif order["status"] == "cancelled":
            assert status in ("failed", "refunded")
        elif order["id"] in refunded:
            assert status in ("refunded", "partially_refunded")
        else:
            assert status == "captured"


def test_messages_respect_consent_and_reachability(data: Tables) -> None:
    customers = {c["id"]: c for c in data["customers"]}
    consents = {(c["customer_id"], c["channel"], c["purpose"]): c for c in data["consents"]}
    assert {m["status"] for m in data["messages"]} <= {"sent", "delivered", "failed"}
    for message in data["messages"]:
        customer = customers[message["customer_id"]]
        address = {"email": customer["email"], "in_app": customer["id"]}.get(
            message["channel"], customer["phone"]
        )
        assert message["to_address"] == address
        assert (message["error"] is not None) == (message["status"] == "failed")
        if message["purpose"] != "service":
            consent = consents[(customer["id"], message["channel"], message["purpose"])]
            assert consent["granted"] and consent["updated_at"] <= message["created_at"]
    for consent in data["consents"]:
        if consent["channel"] in ("sms", "whatsapp"):
            assert customers[consent["customer_id"]]["phone"] is not None


def test_agents_cover_every_skill_and_own_tickets_in_the_customers_language(
    data: Tables,
) -> None:
    agents = {a["id"]: a for a in data["human_agents"]}
    assert len(agents) == agent_count(CUSTOMERS) == max(6, CUSTOMERS // 50)
    for skill in SKILLS:
        for language in ("en", "es"):
            assert any(
                skill in a["skills"] and language in a["languages"] and a["active"]
                for a in agents.values()
            ), (skill, language)
    customers = {c["id"]: c for c in data["customers"]}
    for ticket in data["tickets"]:
        if ticket["owner_agent_id"]:
            agent = agents[ticket["owner_agent_id"]]
            assert customers[ticket["customer_id"]]["language"] in agent["languages"]
        assert (ticket["resolved_at"] is not None) == (ticket["status"] == "resolved")
        assert ticket["created_at"] <= ticket["updated_at"] <= NOW
    tickets_by_owner = Counter(t["owner_agent_id"] for t in data["tickets"])
    assert None in tickets_by_owner


# --- story customers (docs/demo-data.md) ------------------------------------------------------


def test_the_story_customers_are_as_documented(data: Tables) -> None:
    customers = {c["id"]: c for c in data["customers"]}
    orders = by(data["orders"], "customer_id")
    consents = {
        (c["customer_id"], c["channel"], c["purpose"]): c["granted"] for c in data["consents"]
    }
    shipments = {s["order_id"]: s for s in data["shipments"]}
    events = by(data["tracking_events"], "shipment_id")

    maria = customers["CUS-000001"]
    assert (maria["first_name"], maria["last_name"]) == ("María", "García")
    assert (maria["language"], maria["timezone"], maria["preferred_channel"]) == (
        "es", "Europe/Madrid", "whatsapp",
    )  # fmt: skip
    for channel in ("email", "sms", "whatsapp", "in_app"):
        assert consents[("CUS-000001", channel, "service")] is True
    assert consents[("CUS-000001", "whatsapp", "marketing")] is True
    assert consents[("CUS-000001", "email", "marketing")] is True
    assert consents[("CUS-000001", "sms", "marketing")] is False
    statuses = Counter(o["status"] for o in orders["CUS-000001"])
    assert statuses == {"delivered": 3, "shipped": 1, "pending": 1}
    lamp = next(o for o in orders["CUS-000001"] if o["placed_at"] == NOW - timedelta(days=6))
    last_event = events[shipments[lamp["id"]]["id"]][-1]
    assert last_event["status"] == "delivered" and "crushed" in last_event["description"]
    shipped = next(o for o in orders["CUS-000001"] if o["status"] == "shipped")
    assert shipments[shipped["id"]]["status"] == "in_transit"
    assert shipments[shipped["id"]]["estimated_delivery"] > NOW
    [past_ticket] = [t for t in data["tickets"] if t["customer_id"] == "CUS-000001"]
    assert past_ticket["status"] == "resolved" and past_ticket["owner_agent_id"] == "AGT-000001"

    olivia = customers["CUS-000002"]
    assert (olivia["language"], olivia["tier"], olivia["timezone"]) == (
        "en", "vip", "Europe/London",
    )  # fmt: skip
    assert sorted(o["status"] for o in orders["CUS-000002"]) == ["delivered", "pending"]
    assert consents[("CUS-000002", "email", "sales")] is True

    diego = customers["CUS-000003"]
    assert (diego["tier"], diego["lifetime_value_cents"], diego["timezone"]) == (
        "new", 0, "America/Mexico_City",
    )  # fmt: skip
    assert [o["status"] for o in orders["CUS-000003"]] == ["pending"]
    assert consents[("CUS-000003", "whatsapp", "marketing")] is True

    emily_orders = orders["CUS-000004"]
    exception = next(o for o in emily_orders if o["status"] == "shipped")
    assert shipments[exception["id"]]["status"] == "exception"
    [emily_return] = [r for r in data["returns"] if r["customer_id"] == "CUS-000004"]
    assert emily_return["status"] == "requested"

    javier = customers["CUS-000005"]
    assert javier["phone"] is None and javier["preferred_channel"] == "email"
    assert "cancelled" in {o["status"] for o in orders["CUS-000005"]}
    [open_ticket] = [t for t in data["tickets"] if t["customer_id"] == "CUS-000005"]
    assert (open_ticket["status"], open_ticket["severity"]) == ("open", "high")
    [queued] = [h for h in data["handoffs"] if h["customer_id"] == "CUS-000005"]
    assert queued["status"] == "queued" and queued["assigned_agent_id"] is None


def test_fewer_customers_than_stories_gives_the_first_stories() -> None:
    tables = collect(2)
    assert [c["id"] for c in tables["customers"]] == ["CUS-000001", "CUS-000002"]
    assert [c["first_name"] for c in tables["customers"]] == ["María", "Olivia"]


# --- seeding ----------------------------------------------------------------------------------


def _count(db: Database, table: Any) -> int:
    with db.engine.connect() as connection:
        return int(connection.execute(select(func.count()).select_from(table)).scalar_one())


def test_seeding_stores_exactly_the_generated_rows(db: Database) -> None:
    generated = collect(30)
    reports: list[SeedProgress] = []
    result = seed(db, 30, chunk_size=8, progress=reports.append)
    assert result.rows == sum(len(rows) for rows in generated.values())
    assert [r.customers_done for r in reports] == [0, 8, 16, 24, 30]
    for table in DOMAIN_TABLES:
        key = list(table.primary_key.columns)
        with db.engine.connect() as connection:
            stored = [dict(r) for r in connection.execute(select(table).order_by(*key)).mappings()]
        expected = sorted(generated[table.name], key=lambda row: [row[c.name] for c in key])
        assert stored == expected, table.name


def test_new_ids_after_seeding_do_not_collide(db: Database) -> None:
    seed(db, 40)
    tables = {"TCK": "tickets", "NTE": "notes", "ORD": "orders", "RET": "returns",
              "RFD": "refunds", "MSG": "messages", "HOF": "handoffs", "ADR": "addresses",
              "PAY": "payment_methods"}  # fmt: skip
    with db.session() as session:
        for prefix, table_name in tables.items():
            fresh = next_id(session, prefix)
            table = next(t for t in DOMAIN_TABLES if t.name == table_name)
            existing = session.execute(select(table.c.id).where(table.c.id >= fresh)).all()
            assert existing == [], (prefix, fresh)
            highest = session.execute(select(func.max(table.c.id))).scalar_one()
            assert fresh > highest


def test_seeding_a_database_that_holds_data_is_refused_and_changes_nothing(db: Database) -> None:
    seed(db, 10)
    before = {table.name: _count(db, table) for table in DOMAIN_TABLES}
    counters_before = _count(db, IdCounter.__table__)
    with pytest.raises(DatabaseNotEmptyError, match="already holds data"):
        seed(db, 10, seed=1)
    assert {table.name: _count(db, table) for table in DOMAIN_TABLES} == before
    assert _count(db, IdCounter.__table__) == counters_before


def test_seeding_two_thousand_customers(tmp_path: Path) -> None:
    database = Database(f"sqlite:///{tmp_path / 'big.db'}")
    upgrade(database)
    result = seed(database, 2_000, chunk_size=500)
    assert _count(database, Customer.__table__) == 2_000
    assert result.rows == sum(result.rows_by_table.values()) > 50_000
    with database.session() as session:
        assert next_id(session, "CUS") == "CUS-002001"
    database.dispose()


def test_of_two_seeds_started_at_once_one_wins_and_the_other_finds_its_data(
    db: Database,
) -> None:
    outcomes: list[str] = []

    def attempt(random_seed: int) -> None:
        try:
            seed(db, 40, seed=random_seed)
            outcomes.append("seeded")
        except DatabaseNotEmptyError:
            outcomes.append("refused")

    threads = [threading.Thread(target=attempt, args=(n,)) for n in (1, 2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == ["refused", "seeded"]
    assert _count(db, Customer.__table__) == 40


def test_the_first_customers_do_not_depend_on_how_many_follow() -> None:
    small, large = collect(60), collect(400)
    assert len(small["human_agents"]) < len(large["human_agents"])
    for table in ("customers", "orders", "order_items", "tracking_events", "consents"):
        assert large[table][: len(small[table])] == small[table], table
