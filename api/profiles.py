"""The CDP's profiles and the decision log, for operators (admin token; never for customers)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Query
from pydantic import BaseModel
from sqlalchemy import Connection, select

from api.engine import Admin, PipelineDep
from api.problems import Problem
from journeys import decisions, store
from journeys.hotpath import Raw
from journeys.pipeline import JourneyMembership
from journeys.policy import Decision
from journeys.profiles import (
    ANONYMOUS_PREFIX,
    CartItem,
    Hold,
    PageView,
    Profile,
    SentimentFact,
    SurveyFact,
    TicketFact,
)
from journeys.schema import Identity, table
from memory.schema import Consent

router = APIRouter(prefix="/v1/profiles", tags=["profiles"], dependencies=[Admin])

_identities = table(Identity)
_consents = table(Consent)

RECENT_DECISIONS = 10


class ConsentView(BaseModel):
    channel: str
    purpose: str
    granted: bool
    updated_at: datetime


class ProfileView(BaseModel):
    id: str
    customer_id: str | None
    anonymous: bool
    identities: list[str]
    created_at: datetime
    last_seen_at: datetime
    traits: dict[str, Any]
    timezone: str | None
    preferred_channel: str | None
    lifetime_value_cents: int
    open_critical_tickets: int
    tickets: list[TicketFact]
    last_agent_id: str | None
    last_agent_at: datetime | None
    recent_sentiment: float | None
    sentiments: list[SentimentFact]
    cart: list[CartItem]
    cart_value_cents: int
    cart_abandoned_at: datetime | None
    pages_seen: list[PageView]
    last_survey: SurveyFact | None
    holds: dict[str, Hold]
    consents: list[ConsentView]
    journeys: list[JourneyMembership]
    recent_decisions: list[Decision]


def _find(connection: Connection, profile_id: str) -> Profile:
    """The profile by its id, or by an id merged into it (a user id or `anon:<id>`)."""
    profile = store.load(Raw(connection), profile_id, lock=False)
    if profile is not None:
        return profile
    key = (
        store.anonymous_key(profile_id.removeprefix(ANONYMOUS_PREFIX))
        if profile_id.startswith(ANONYMOUS_PREFIX)
        else store.user_key(profile_id)
    )
    merged_into = connection.execute(
        select(_identities.c.profile_id).where(_identities.c.external_id == key)
    ).scalar()
    profile = store.load(Raw(connection), merged_into, lock=False) if merged_into else None
    if profile is None:
        raise Problem(404, f"No profile {profile_id}.")
    return profile


@router.get("/{profile_id}", response_model=ProfileView, summary="A profile and what it implies")
def get_profile(profile_id: str, pipeline: PipelineDep) -> ProfileView:
    with pipeline.db.engine.connect() as connection:
        profile = _find(connection, profile_id)
        identities = connection.execute(
            select(_identities.c.external_id)
            .where(_identities.c.profile_id == profile.id)
            .order_by(_identities.c.external_id)
        ).scalars()
        consent_rows = (
            connection.execute(
                select(_consents)
                .where(_consents.c.customer_id == profile.customer_id)
                .order_by(_consents.c.channel, _consents.c.purpose)
            ).all()
            if profile.customer_id
            else []
        )
        memberships = [
            membership
            for reader in pipeline.membership_readers
            for membership in reader.memberships(connection, profile.id)
        ]
        recent = decisions.recent(connection, profile.id, RECENT_DECISIONS)
        return ProfileView(
            id=profile.id,
            customer_id=profile.customer_id,
            anonymous=profile.is_anonymous,
            identities=list(identities),
            created_at=profile.created_at,
            last_seen_at=profile.last_seen_at,
            traits=dict(profile.traits),
            timezone=profile.timezone,
            preferred_channel=profile.preferred_channel,
            lifetime_value_cents=profile.lifetime_value_cents,
            open_critical_tickets=profile.open_critical_tickets,
            tickets=list(profile.tickets),
            last_agent_id=profile.last_agent_id,
            last_agent_at=profile.last_agent_at,
            recent_sentiment=profile.recent_sentiment,
            sentiments=list(profile.sentiments),
            cart=list(profile.cart),
            cart_value_cents=profile.cart_value_cents,
            cart_abandoned_at=profile.cart_abandoned_at,
            pages_seen=list(profile.pages),
            last_survey=profile.last_survey,
            holds=dict(profile.holds),
            consents=[
                ConsentView(
                    channel=row.channel,
                    purpose=row.purpose,
                    granted=row.granted,
                    updated_at=row.updated_at,
                )
                for row in consent_rows
            ],
            journeys=memberships,
            recent_decisions=recent,
        )


@router.get(
    "/{profile_id}/decisions",
    response_model=list[Decision],
    summary="The profile's decision log, newest first, with reasons (sent or not)",
)
def list_decisions(
    profile_id: str,
    pipeline: PipelineDep,
    limit: Annotated[int, Query(ge=1, le=decisions.MAX_PAGE)] = 50,
    before: Annotated[int | None, Query(description="Only decisions older than this id.")] = None,
) -> list[Decision]:
    with pipeline.db.engine.connect() as connection:
        profile = _find(connection, profile_id)
        return decisions.recent(connection, profile.id, limit, before)
