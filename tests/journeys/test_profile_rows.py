"""A profile as a row: what is read back is what was saved, however many events changed it
between a load and a save, while a save re-encodes only what the events changed."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import orjson
from hypothesis import given, settings
from hypothesis import strategies as st

from journeys.events import Event
from journeys.profile_rows import encode_state, from_row, to_row
from journeys.profiles import Hold, Profile, apply, release_hold, set_hold
from tests.journeys.conftest import NOON


def event(kind: str, minute: int, value: int) -> Event:
    """One of the events that change each section of the state."""
    at = NOON + timedelta(minutes=minute)
    track: dict[str, tuple[str, dict[str, Any]]] = {
        "add": ("Product Added", {"sku": f"SKU-{value % 3}", "price": 9.5}),
        "remove": ("Product Removed", {"sku": f"SKU-{value % 3}"}),
        "order": ("Order Completed", {"revenue": value}),
        "open": ("Ticket Opened", {"ticket_id": f"T-{value % 2}", "severity": "critical"}),
        "resolve": ("Ticket Resolved", {"ticket_id": f"T-{value % 2}"}),
        "message": ("Message Received", {"sentiment": (value % 5 - 2) / 2}),
        "agent": ("Agent Assigned", {"agent_id": f"agent-{value}"}),
        "survey": ("Survey Answered", {"positive": value % 2 == 0, "score": value % 6}),
    }
    common: dict[str, Any] = {
        "message_id": f"m-{kind}-{minute}-{value}",
        "source": "api",
        "timestamp": at,
        "received_at": at,
        "user_id": "CUS-000001",
    }
    if kind == "page":
        return Event(type="page", properties={"path": f"/p/{value}"}, **common)
    if kind == "identify":
        return Event(type="identify", traits={f"trait{value % 3}": value}, **common)
    name, properties = track[kind]
    return Event(type="track", name=name, properties=properties, **common)


KINDS = ["page", "identify", "add", "remove", "order", "open", "resolve", "message", "agent"]
changes = st.lists(
    st.tuples(st.sampled_from([*KINDS, "survey", "hold", "release"]), st.integers(0, 90)),
    max_size=12,
)


def saved(profile: Profile) -> dict[str, Any]:
    """The row as the database would hand it back (state through its JSON text)."""
    row = {"id": profile.id, **to_row(profile, NOON)}
    row["state"] = orjson.loads(orjson.dumps(row["state"]))
    return row


def change(profile: Profile, kind: str, value: int) -> Profile:
    if kind == "hold":
        return set_hold(profile, f"h{value % 2}", Hold(("marketing",), "incident", NOON))
    if kind == "release":
        return release_hold(profile, f"h{value % 2}")
    return apply(profile, event(kind, value, value))


@settings(max_examples=150, deadline=None)
@given(history=changes, session=st.lists(changes, min_size=1, max_size=4))
def test_what_is_saved_after_any_changes_is_read_back(
    history: list[tuple[str, int]], session: list[list[tuple[str, int]]]
) -> None:
    profile = Profile(id="CUS-000001", created_at=NOON, last_seen_at=NOON)
    for kind, value in history:
        profile = change(profile, kind, value)
    row = saved(profile)
    for transaction in session:
        loaded = from_row(row)
        assert loaded == profile
        for kind, value in transaction:
            profile = change(profile, kind, value)
            loaded = change(loaded, kind, value)
        assert encode_state(loaded) == encode_state(Profile(**_fields(loaded)))
        row = saved(loaded)
    assert from_row(row) == profile


def test_a_page_view_reencodes_only_the_new_page() -> None:
    profile = Profile(id="CUS-000001", created_at=NOON, last_seen_at=NOON)
    for minute in range(50):
        profile = apply(profile, event("page", minute, minute))
    profile = apply(profile, event("add", 1, 1))
    loaded = from_row(saved(profile))
    assert loaded.stored is not None
    stored_pages = loaded.stored.sections["pages"][1]
    after = apply(loaded, event("page", 60, 60))
    state = encode_state(after)
    assert state["pages"][:-1] == stored_pages[1:]
    assert all(new is old for new, old in zip(state["pages"], stored_pages[1:], strict=False))
    assert state["pages"][-1] == ["/p/60", (NOON + timedelta(minutes=60)).isoformat(), None]
    assert state["cart"] == loaded.stored.sections["cart"][1]


def _fields(profile: Profile) -> dict[str, Any]:
    """The profile's fields but `stored`: the same profile, as if never read."""
    names = [name for name in Profile.__dataclass_fields__ if name != "stored"]
    return {name: getattr(profile, name) for name in names}
