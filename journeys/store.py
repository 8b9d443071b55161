"""Profiles and identities on the database: load, create (hydrated from the CRM), save, merge.

Everything here runs inside the caller's transaction. What every event does (resolve, store the
event, load and save the profile) goes straight to the driver (`journeys.hotpath`); the rarer
steps (create, merge, link, consent) use SQLAlchemy Core.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from datetime import datetime
from typing import Any, cast

from sqlalchemy import Connection, delete, select, update
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from journeys.events import Event
from journeys.hotpath import Raw, sql
from journeys.profile_rows import from_row, to_row
from journeys.profiles import (
    ANONYMOUS_PREFIX,
    CHANNELS,
    PURPOSES,
    Profile,
    TicketFact,
    anonymous_profile_id,
    merge,
    new_profile,
)
from journeys.schema import EventRecord, Identity, ProfileRecord, table
from memory.schema import Consent, Customer, Ticket
from memory.vocabulary import Channel

_profiles = table(ProfileRecord)
_identities = table(Identity)
_events = table(EventRecord)
_customers = table(Customer)
_tickets = table(Ticket)
_consents = table(Consent)


_FIND_IDENTITIES = sql(
    "SELECT external_id, profile_id FROM profile_identities "
    "WHERE external_id = ? OR external_id = ?"
)
_PROFILE_COLUMNS = (
    "id",
    "customer_id",
    "timezone",
    "preferred_channel",
    "lifetime_value_cents",
    "last_agent_id",
    "cart_abandoned_at",
    "last_seen_at",
    "created_at",
    "state",
)
_LOAD = sql(f"SELECT {', '.join(_PROFILE_COLUMNS)} FROM profiles WHERE id = ?")
_LOAD_FOR_UPDATE = sql(_LOAD.sqlite, postgresql_suffix=" FOR UPDATE")
_SAVED_COLUMNS = (
    "timezone",
    "preferred_channel",
    "lifetime_value_cents",
    "open_critical_tickets",
    "last_agent_id",
    "recent_sentiment",
    "cart_value_cents",
    "cart_abandoned_at",
    "last_seen_at",
    "updated_at",
    "state",
)
_SAVE = sql(f"UPDATE profiles SET {', '.join(f'{c} = ?' for c in _SAVED_COLUMNS)} WHERE id = ?")
_SAVE_LINKED = sql(
    f"UPDATE profiles SET customer_id = ?, {', '.join(f'{c} = ?' for c in _SAVED_COLUMNS)} "
    "WHERE id = ?"
)
_INSERT_EVENT = sql(
    "INSERT INTO events (source_key, message_id, source, type, name, profile_id, user_id, "
    "anonymous_id, timestamp, received_at, payload) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) "
    "ON CONFLICT (source_key, message_id) DO NOTHING RETURNING id"
)


def user_key(user_id: str) -> str:
    return f"user:{user_id}"


def anonymous_key(anonymous_id: str) -> str:
    return f"anon:{anonymous_id}"


def upsert(connection: Connection) -> Any:
    """The dialect's INSERT with ON CONFLICT support."""
    return postgresql_insert if connection.dialect.name == "postgresql" else sqlite_insert


def resolve(raw: Raw, event: Event) -> tuple[str, str | None]:
    """The profile `event` belongs to, and the anonymous profile to merge into it (if any).

    A user id wins over an anonymous id; an event carrying both links them (Segment's identity
    resolution), so the visitor's anonymous history joins the customer's profile.
    """
    user = user_key(event.user_id) if event.user_id is not None else None
    anonymous = anonymous_key(event.anonymous_id) if event.anonymous_id is not None else None
    known: dict[str, str] = dict(
        raw.run(_FIND_IDENTITIES, (user or anonymous, anonymous)).fetchall()
    )
    if event.user_id is None:
        assert event.anonymous_id is not None and anonymous is not None
        return known.get(anonymous, anonymous_profile_id(event.anonymous_id)), None
    profile_id = known.get(user_key(event.user_id), event.user_id)
    if event.anonymous_id is None:
        return profile_id, None
    linked = known.get(anonymous_key(event.anonymous_id))
    if linked == profile_id:
        return profile_id, None
    if linked is not None and not linked.startswith(ANONYMOUS_PREFIX):
        # Already another customer's device: link it to this one from now on, merge nothing.
        link(raw, anonymous_key(event.anonymous_id), profile_id, event.received_at)
        return profile_id, None
    return profile_id, linked or anonymous_profile_id(event.anonymous_id)


def alias_source(raw: Raw, previous_id: str) -> str | None:
    """The profile an alias's `previousId` names now (a user id or an anonymous id), if any."""
    connection = raw.connection
    mapped = connection.execute(
        select(_identities.c.profile_id).where(
            _identities.c.external_id.in_([user_key(previous_id), anonymous_key(previous_id)])
        )
    ).scalar()
    if mapped is not None:
        return str(mapped)
    existing = connection.execute(
        select(_profiles.c.id).where(
            _profiles.c.id.in_([previous_id, anonymous_profile_id(previous_id)])
        )
    ).scalars()
    found = sorted(existing, key=lambda found_id: found_id.startswith(ANONYMOUS_PREFIX))
    return found[0] if found else None


def link(raw: Raw, external_id: str, profile_id: str, at: datetime) -> None:
    """Make `external_id` resolve to `profile_id` from now on."""
    connection = raw.connection
    statement = upsert(connection)(_identities).values(
        external_id=external_id, profile_id=profile_id, created_at=at
    )
    connection.execute(
        statement.on_conflict_do_update(
            index_elements=[_identities.c.external_id], set_={"profile_id": profile_id}
        )
    )


def load(raw: Raw, profile_id: str, *, lock: bool = True) -> Profile | None:
    """The profile, locked for update (PostgreSQL) until the transaction ends."""
    row = raw.run(_LOAD_FOR_UPDATE if lock else _LOAD, (profile_id,)).fetchone()
    if row is None:
        return None
    values = dict(zip(_PROFILE_COLUMNS, row, strict=True))
    for column in ("cart_abandoned_at", "last_seen_at", "created_at"):
        values[column] = raw.read_time(values[column])
    values["state"] = raw.read_json(values["state"])
    return from_row(values)


def load_or_create(raw: Raw, profile_id: str, at: datetime) -> Profile:
    """The profile, created when new (hydrated from the customer record when there is one)."""
    profile = load(raw, profile_id)
    if profile is not None:
        return profile
    profile = hydrate(raw, new_profile(profile_id, at))
    connection = raw.connection
    inserted = connection.execute(
        upsert(connection)(_profiles)
        .values(id=profile_id, **to_row(profile, at))
        .on_conflict_do_nothing(index_elements=[_profiles.c.id])
    )
    if inserted.rowcount == 1:
        return profile
    found = load(raw, profile_id)  # another process created it meanwhile
    assert found is not None
    return found


def hydrate(raw: Raw, profile: Profile) -> Profile:
    """Link a user's profile to their customer record, once there is one, and take from the CRM
    what events have not said: time zone, preferred channel, lifetime value, open tickets."""
    if profile.is_anonymous or profile.customer_id is not None:
        return profile
    connection = raw.connection
    customer = connection.execute(
        select(
            _customers.c.timezone,
            _customers.c.preferred_channel,
            _customers.c.lifetime_value_cents,
        ).where(_customers.c.id == profile.id)
    ).first()
    if customer is None:
        return profile
    tickets = connection.execute(
        select(
            _tickets.c.id,
            _tickets.c.severity,
            _tickets.c.status,
            _tickets.c.updated_at,
            _tickets.c.category,
        ).where(_tickets.c.customer_id == profile.id, _tickets.c.status != "resolved")
    ).all()
    from_crm = Profile(
        id=profile.id,
        created_at=profile.created_at,
        last_seen_at=profile.last_seen_at,
        timezone=customer.timezone,
        preferred_channel=cast(Channel, customer.preferred_channel),
        lifetime_value_cents=customer.lifetime_value_cents,
        tickets=tuple(
            TicketFact(
                ticket_id=row.id,
                severity=row.severity,
                status=row.status,
                updated_at=row.updated_at,
                category=row.category,
            )
            for row in tickets
        ),
    )
    return replace(merge(profile, from_crm), customer_id=profile.id)


def save(raw: Raw, profile: Profile, at: datetime, *, linked: bool = False) -> None:
    """Write the profile's facts; `linked`: it was tied to its customer record since it was
    loaded (`hydrate`). Only then is `customer_id` written: setting that column costs a
    foreign-key look-up and an index update, about half of the statement."""
    row = to_row(profile, at)
    for column in ("cart_abandoned_at", "last_seen_at", "updated_at"):
        row[column] = raw.time(row[column])
    row["state"] = raw.json(row["state"])
    values = [*(row[column] for column in _SAVED_COLUMNS), profile.id]
    if linked:
        raw.run(_SAVE_LINKED, [profile.customer_id, *values])
    else:
        raw.run(_SAVE, values)


def absorb(raw: Raw, into: Profile, other_id: str) -> Profile:
    """Merge profile `other_id` into `into`: facts, identities and events move; `other_id` goes.

    Returns `into` unchanged when there is no such profile (an id never seen before)."""
    other = load(raw, other_id)
    if other is None:
        return into
    merged = merge(into, other)
    connection = raw.connection
    connection.execute(
        update(_identities).where(_identities.c.profile_id == other_id).values(profile_id=into.id)
    )
    connection.execute(
        update(_events).where(_events.c.profile_id == other_id).values(profile_id=into.id)
    )
    connection.execute(delete(_profiles).where(_profiles.c.id == other_id))
    return merged


def record_consent(raw: Raw, customer_id: str, properties: Mapping[str, Any], at: datetime) -> None:
    """Apply a "Consent Updated" event (`channel`, `purpose`, `granted`) unless a newer answer
    is already on file."""
    channel, purpose, granted = (
        properties.get("channel"),
        properties.get("purpose"),
        properties.get("granted"),
    )
    if channel not in CHANNELS or purpose not in PURPOSES:
        return
    if not isinstance(granted, bool):
        return
    connection = raw.connection
    statement = upsert(connection)(_consents).values(
        customer_id=customer_id, channel=channel, purpose=purpose, granted=granted, updated_at=at
    )
    connection.execute(
        statement.on_conflict_do_update(
            index_elements=[_consents.c.customer_id, _consents.c.channel, _consents.c.purpose],
            set_={"granted": granted, "updated_at": at},
            where=_consents.c.updated_at <= at,
        )
    )


def insert_event(raw: Raw, event: Event, source_key: str, profile_id: str) -> int | None:
    """Store the event; None when this source key already sent its message id (a replay)."""
    payload: dict[str, Any] = {}
    if event.properties:
        payload["properties"] = dict(event.properties)
    if event.traits:
        payload["traits"] = dict(event.traits)
    if event.context:
        payload["context"] = dict(event.context)
    if event.previous_id is not None:
        payload["previous_id"] = event.previous_id
    row = raw.run(
        _INSERT_EVENT,
        (
            source_key,
            event.message_id,
            event.source,
            event.type,
            event.name,
            profile_id,
            event.user_id,
            event.anonymous_id,
            raw.time(event.timestamp),
            raw.time(event.received_at),
            raw.json(payload),
        ),
    ).fetchone()
    return None if row is None else int(row[0])
