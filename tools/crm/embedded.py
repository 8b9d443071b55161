"""The CRM on the project's own store."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from cerebro.clock import Clock
from memory.db import Database, next_id
from memory.schema import (
    Address,
    Consent,
    Customer,
    HumanAgent,
    Note,
    Order,
    PaymentMethod,
    Ticket,
)
from memory.vocabulary import TicketCategory, TicketSeverity, TicketStatus
from tools import types as t
from tools.crm.matching import name_matches, normalize_phone, normalize_zip
from tools.errors import ConflictError, InvalidInputError, NotFoundError, RuleViolationError
from tools.store import masked_payment_method, require_customer

MIN_PHONE_SUFFIX = 6
"""Fewest digits a phone number without country prefix may have to be looked up."""


class EmbeddedCrm:
    """`CrmTools` on `memory.db.Database`; every write takes "now" from `clock`."""

    def __init__(self, db: Database, clock: Clock) -> None:
        self._db = db
        self._clock = clock

    def find_customer_by_email(self, email: str) -> t.CustomerMatch:
        search = t.CustomerSearch.parse(email=email)
        wanted = str(search.email).strip().lower()
        with self._db.read_session() as session:
            found = session.scalars(
                select(Customer).where(func.lower(Customer.email) == wanted)
            ).all()
        return _only_match(found, f"with email {wanted}", "email")

    def find_customer_by_phone(self, phone: str) -> t.CustomerMatch:
        search = t.CustomerSearch.parse(phone=phone)
        wanted = normalize_phone(str(search.phone))
        if wanted.startswith("+"):
            condition = Customer.phone == wanted
        elif len(wanted) >= MIN_PHONE_SUFFIX:
            condition = Customer.phone.endswith(wanted, autoescape=True)
        else:
            raise InvalidInputError(
                f"phone: {phone!r} is too short; give the full number, ideally with its + prefix"
            )
        with self._db.read_session() as session:
            found = session.scalars(select(Customer).where(condition)).all()
        return _only_match(found, f"with phone {wanted}", "phone number")

    def find_customer_by_name_and_zip(self, name: str, zip_code: str) -> t.CustomerMatch:
        search = t.CustomerSearch.parse(name=name, zip_code=zip_code)
        wanted_zip = normalize_zip(str(search.zip_code))
        postal_code = func.upper(func.replace(Address.postal_code, " ", ""))
        with self._db.read_session() as session:
            candidates = session.scalars(
                select(Customer)
                .where(
                    Customer.id.in_(select(Address.customer_id).where(postal_code == wanted_zip))
                )
                .order_by(Customer.id)
            ).all()
        spoken = str(search.name)
        found = [c for c in candidates if name_matches(spoken, c.first_name, c.last_name)]
        return _only_match(
            found, f"named {spoken.strip()!r} with an address in {wanted_zip}", "name and zip code"
        )

    def get_profile(self, customer_id: str) -> t.CustomerProfile:
        with self._db.read_session() as session:
            customer = require_customer(session, customer_id)
            consents = session.scalars(
                select(Consent)
                .where(Consent.customer_id == customer_id)
                .order_by(Consent.channel, Consent.purpose)
            ).all()
            addresses = session.scalars(
                select(Address)
                .where(Address.customer_id == customer_id)
                .order_by(Address.is_default.desc(), Address.id)
            ).all()
            methods = session.scalars(
                select(PaymentMethod)
                .where(PaymentMethod.customer_id == customer_id)
                .order_by(PaymentMethod.is_default.desc(), PaymentMethod.id)
            ).all()
            return t.CustomerProfile(
                id=customer.id,
                first_name=customer.first_name,
                last_name=customer.last_name,
                email=customer.email,
                phone=customer.phone,
                language=customer.language,
                timezone=customer.timezone,
                preferred_channel=customer.preferred_channel,
                tier=customer.tier,
                lifetime_value_cents=customer.lifetime_value_cents,
                customer_since=customer.created_at,
                consents=tuple(
                    t.ConsentRecord.model_validate(row, from_attributes=True) for row in consents
                ),
                addresses=tuple(
                    t.PostalAddress.model_validate(row, from_attributes=True) for row in addresses
                ),
                payment_methods=tuple(masked_payment_method(row) for row in methods),
            )

    def list_tickets(self, customer_id: str, status: TicketStatus | None = None) -> list[t.Ticket]:
        query = select(Ticket).where(Ticket.customer_id == customer_id)
        if status is not None:
            query = query.where(Ticket.status == status)
        with self._db.read_session() as session:
            require_customer(session, customer_id)
            rows = session.scalars(query.order_by(Ticket.created_at.desc(), Ticket.id.desc()))
            return [_ticket(row) for row in rows]

    def open_ticket(
        self,
        customer_id: str,
        *,
        subject: str,
        description: str,
        category: TicketCategory,
        severity: TicketSeverity,
        order_id: str | None = None,
    ) -> t.Ticket:
        draft = t.NewTicket.parse(
            subject=subject,
            description=description,
            category=category,
            severity=severity,
            order_id=order_id,
        )
        now = self._clock.now()
        with self._db.session() as session:
            require_customer(session, customer_id)
            if draft.order_id is not None:
                order = session.get(Order, draft.order_id)
                if order is None or order.customer_id != customer_id:
                    raise NotFoundError(f"order {draft.order_id} not found")
            ticket = Ticket(
                id=next_id(session, "TCK"),
                customer_id=customer_id,
                order_id=draft.order_id,
                subject=draft.subject,
                description=draft.description,
                category=draft.category,
                severity=draft.severity,
                status="open",
                owner_agent_id=None,
                created_at=now,
                updated_at=now,
                resolved_at=None,
                resolution=None,
            )
            session.add(ticket)
            return _ticket(ticket)

    def update_ticket(
        self,
        customer_id: str,
        ticket_id: str,
        *,
        status: t.TicketUpdateStatus | None = None,
        severity: TicketSeverity | None = None,
        owner_agent_id: str | None = None,
    ) -> t.Ticket:
        change = t.TicketUpdate.parse(
            status=status, severity=severity, owner_agent_id=owner_agent_id
        )
        now = self._clock.now()  # read before the write lock: a clock may use the database
        with self._db.session() as session:
            ticket = _owned_ticket(session, customer_id, ticket_id)
            if change.owner_agent_id is not None:
                agent = session.get(HumanAgent, change.owner_agent_id)
                if agent is None:
                    raise NotFoundError(f"agent {change.owner_agent_id} not found")
                if not agent.active:
                    raise RuleViolationError(
                        f"agent {agent.id} is inactive and cannot own ticket {ticket_id}"
                    )
                ticket.owner_agent_id = agent.id
            if change.severity is not None:
                ticket.severity = change.severity
            if change.status is not None:
                ticket.status = change.status
                ticket.resolved_at = None
                ticket.resolution = None
            ticket.updated_at = now
            return _ticket(ticket)

    def resolve_ticket(self, customer_id: str, ticket_id: str, resolution: str) -> t.Ticket:
        text = t.TicketResolution.parse(resolution=resolution).resolution
        now = self._clock.now()
        with self._db.session() as session:
            ticket = _owned_ticket(session, customer_id, ticket_id)
            if ticket.status == "resolved":
                when = f" on {ticket.resolved_at:%Y-%m-%d}" if ticket.resolved_at else ""
                raise ConflictError(
                    f"ticket {ticket_id} was already resolved{when}: {ticket.resolution}; "
                    "reopen it first to resolve it again"
                )
            ticket.status = "resolved"
            ticket.resolution = text
            ticket.resolved_at = now
            ticket.updated_at = now
            return _ticket(ticket)

    def add_note(self, customer_id: str, text: str, author: str) -> t.Note:
        draft = t.NewNote.parse(text=text, author=author)
        now = self._clock.now()
        with self._db.session() as session:
            require_customer(session, customer_id)
            note = Note(
                id=next_id(session, "NTE"),
                customer_id=customer_id,
                author=draft.author,
                text=draft.text,
                created_at=now,
            )
            session.add(note)
            return t.Note.model_validate(note, from_attributes=True)

    def list_notes(self, customer_id: str) -> list[t.Note]:
        with self._db.read_session() as session:
            require_customer(session, customer_id)
            rows = session.scalars(
                select(Note)
                .where(Note.customer_id == customer_id)
                .order_by(Note.created_at.desc(), Note.id.desc())
            )
            return [t.Note.model_validate(row, from_attributes=True) for row in rows]


def _only_match(found: Sequence[Customer], described: str, key: str) -> t.CustomerMatch:
    if not found:
        raise NotFoundError(f"no customer {described}")
    if len(found) > 1:
        raise InvalidInputError(
            f"{len(found)} customers share this {key}; ask for something that tells them apart, "
            "such as the email address"
        )
    customer = found[0]
    return t.CustomerMatch(
        customer_id=customer.id,
        first_name=customer.first_name,
        last_name=customer.last_name,
        language=customer.language,
        preferred_channel=customer.preferred_channel,
    )


def _owned_ticket(session: Session, customer_id: str, ticket_id: str) -> Ticket:
    """The customer's ticket, locked for update; `not_found` whoever else it may belong to."""
    require_customer(session, customer_id)
    ticket = session.scalars(
        select(Ticket)
        .where(Ticket.id == ticket_id, Ticket.customer_id == customer_id)
        .with_for_update()
    ).one_or_none()
    if ticket is None:
        raise NotFoundError(f"ticket {ticket_id} not found")
    return ticket


def _ticket(row: Ticket) -> t.Ticket:
    return t.Ticket.model_validate(row, from_attributes=True)
