"""The only door from a brain to the tool adapters, bound to one conversation and one customer.

A brain (offline or LLM) never sees the `Toolbox`. It gets a `CustomerTools` made by the graph
for one turn, which exposes what the assistant may do and enforces, in code:

- **identity**: before the customer is verified only the lookups (`identify_by_*`) and the
  knowledge base work, and `request_handoff` (an unverified visitor's handoff: a customer can
  always reach a human); every other call raises `IdentityRequiredError`. A successful lookup binds
  the facade to that customer for good; it cannot be re-bound to someone else. After
  `MAX_IDENTITY_FAILURES` lookups that match no customer, the conversation is locked: every
  further lookup raises `IdentityLockedError` without searching, so nobody can keep guessing
  emails, phone numbers or names in one conversation. The same holds across conversations for a
  client (the caller's address) with too many misses (`agent.identity_throttle`).
- **scope**: every read and write is made for the verified customer's id, which no caller
  passes; another customer's order or ticket is `not_found`, exactly like one that does not exist.
- **confirmation**: a change (cancel, new shipping address, return, ticket) is first *proposed*
  with a `propose_*` method, which checks it is possible and returns a `PendingChange`; the graph
  keeps it for one turn. Only if the customer's next message is a plain "yes" (decided by code in
  `perceive`) does the facade of that turn accept the change, with exactly the proposed
  arguments, once. Anything else raises `ConfirmationRequiredError`.

Every call is recorded (`calls`) for the turn's API answer and the escalation summary, and the
orders seen are kept as facts (`order_facts`).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Protocol, TypeVar

from agent.identity_throttle import IdentityThrottle
from agent.state import (
    JSON,
    ChangeAction,
    Customer,
    HandoffReason,
    OrderFactRecord,
    PendingChange,
    ToolCallRecord,
    VerifiedBy,
    verified_customer,
)
from cerebro.clock import Clock
from memory.knowledge.store import Passage
from memory.vocabulary import Channel, Language, TicketCategory, TicketSeverity, TicketStatus
from tools import types as t
from tools.errors import NotFoundError, RuleViolationError, ToolError, UnavailableError
from tools.factory import Toolbox
from tools.logistics import rules

T = TypeVar("T")


class IdentityRequiredError(RuleViolationError):
    """The call needs a verified customer and there is none yet."""


class ConfirmationRequiredError(RuleViolationError):
    """A change was attempted that the customer did not confirm in this turn."""


class IdentityLockedError(RuleViolationError):
    """Too many identity lookups in this conversation matched nobody: no more are made."""


MAX_IDENTITY_FAILURES = 3
"""Identity lookups matching no customer that a conversation may make (see the module docstring)."""


class KnowledgeSearch(Protocol):
    """The knowledge base as the facade uses it (`memory.knowledge.store.KnowledgeBase`)."""

    def search(self, query: str, language: Language, k: int = 3) -> list[Passage]: ...


def _money(cents: int, currency: str) -> str:
    return f"{cents / 100:.2f} {currency}"


def _order_fact(order: t.OrderDetails) -> OrderFactRecord:
    parts = [f"placed {order.placed_at:%Y-%m-%d}", _money(order.total_cents, order.currency)]
    parts.append(", ".join(f"{line.quantity}x {line.product_name}" for line in order.items))
    for shipment in order.shipments:
        due = (
            f"delivered {shipment.delivered_at:%Y-%m-%d}"
            if shipment.delivered_at
            else f"due {shipment.estimated_delivery:%Y-%m-%d}"
        )
        parts.append(f"{shipment.carrier} {shipment.tracking_number} {shipment.status}, {due}")
    return OrderFactRecord(order_id=order.id, status=order.status, detail="; ".join(parts)[:1000])


class CustomerTools:
    """What a brain may do in one turn of one conversation (see the module docstring).

    Raises `tools.errors.ToolError`s: those of the adapters, plus `IdentityRequiredError` and
    `ConfirmationRequiredError` (both `rule_violation`s) for calls the facade refuses itself.
    """

    def __init__(
        self,
        toolbox: Toolbox,
        *,
        conversation_id: str,
        language: Language,
        clock: Clock,
        customer: Customer | None = None,
        confirmed: PendingChange | None = None,
        knowledge: KnowledgeSearch | None = None,
        identity_failures: int = 0,
        throttle: IdentityThrottle | None = None,
        client: str | None = None,
        turn: int = 0,
    ) -> None:
        self._toolbox = toolbox
        self._conversation_id = conversation_id
        self._language = language
        self._clock = clock
        self._customer = customer
        self._confirmed = confirmed
        self._knowledge = knowledge
        self._identity_failures = identity_failures
        self._throttle = throttle if client is not None else None
        self._client = client or ""
        self._turn = turn
        """The conversation's turn count at this turn: with its id, it names the turn (the same
        when a turn that crashed is played again from the last checkpoint)."""
        self._calls: list[ToolCallRecord] = []
        self._facts: dict[str, OrderFactRecord] = {}
        self._changed = False

    # --- what the turn did ---------------------------------------------------------------------

    @property
    def customer(self) -> Customer | None:
        """The verified customer, once there is one."""
        return self._customer

    @property
    def identity_failures(self) -> int:
        """Identity lookups of this conversation (earlier turns included) that matched nobody."""
        return self._identity_failures

    @property
    def identity_locked(self) -> bool:
        """Whether this conversation may make no more identity lookups (its own misses, or its
        client's across conversations)."""
        if self._customer is not None:
            return False
        return self._identity_failures >= MAX_IDENTITY_FAILURES or self._client_exhausted()

    def _client_exhausted(self) -> bool:
        return self._throttle is not None and self._throttle.exhausted(self._client)

    @property
    def calls(self) -> tuple[ToolCallRecord, ...]:
        """Every call made through this facade, in order."""
        return tuple(self._calls)

    @property
    def order_facts(self) -> dict[str, OrderFactRecord]:
        """What was learnt about each order looked at in this turn."""
        return dict(self._facts)

    @property
    def changed(self) -> bool:
        """Whether a confirmed change was made in this turn."""
        return self._changed

    def _record(
        self,
        tool: str,
        args: Mapping[str, JSON],
        run: Callable[[], T],
        describe: Callable[[T], str],
    ) -> T:
        try:
            result = run()
        except ToolError as error:
            code = (
                "identity_required"
                if isinstance(error, IdentityRequiredError)
                else "identity_locked"
                if isinstance(error, IdentityLockedError)
                else "confirmation_required"
                if isinstance(error, ConfirmationRequiredError)
                else error.code
            )
            self._calls.append(
                ToolCallRecord(
                    tool=tool, args=dict(args), ok=False, error=code, outcome=error.message[:1000]
                )
            )
            raise
        self._calls.append(
            ToolCallRecord(
                tool=tool, args=dict(args), ok=True, error=None, outcome=describe(result)
            )
        )
        return result

    def _refuse(self, tool: str, args: Mapping[str, JSON], error: ToolError) -> None:
        def fail() -> None:
            raise error

        self._record(tool, args, fail, lambda _: "")

    def _require_customer(self, tool: str, args: Mapping[str, JSON]) -> str:
        if self._customer is None:
            self._refuse(
                tool,
                args,
                IdentityRequiredError(
                    "the customer is not verified yet; ask for their email, phone number, or "
                    "full name and postal code first"
                ),
            )
        assert self._customer is not None
        return self._customer["id"]

    # --- identity ------------------------------------------------------------------------------

    def _bind(
        self,
        tool: str,
        args: Mapping[str, JSON],
        how: VerifiedBy,
        find: Callable[[], t.CustomerMatch],
    ) -> Customer:
        def verify() -> Customer:
            if self._customer is not None:
                # Refuse before any lookup: whether the answer differed for an address that is,
                # or is not, a customer's would tell a verified visitor who else is a customer.
                raise RuleViolationError(
                    "this conversation is already verified; to speak for someone else, start a "
                    "new conversation"
                )
            if self._identity_failures >= MAX_IDENTITY_FAILURES:
                raise IdentityLockedError(
                    f"{MAX_IDENTITY_FAILURES} identity checks in this conversation matched no "
                    "customer; no more are made here. Do not ask for identity details again: "
                    "offer general help, or signing in to the account on the website"
                )
            if self._client_exhausted():
                raise IdentityLockedError(
                    "too many identity checks from this device matched no customer recently; "
                    "none are made for now. Do not ask for identity details again: offer general "
                    "help, or signing in to the account on the website"
                )
            try:
                match = find()
            except NotFoundError:
                self._identity_failures += 1
                if self._throttle is not None:
                    self._throttle.missed(self._client)
                raise
            return verified_customer(self._toolbox.crm.get_profile(match.customer_id), how)

        customer = self._record(tool, args, verify, lambda found: f"verified {found['id']}")
        self._customer = customer
        return customer

    def identify_by_email(self, email: str) -> Customer:
        """Verify the customer by their email address; `not_found` when no customer has it."""
        return self._bind(
            "crm.find_customer_by_email",
            {"email": email},
            "email",
            lambda: self._toolbox.crm.find_customer_by_email(email),
        )

    def identify_by_phone(self, phone: str) -> Customer:
        """Verify the customer by phone; `invalid_input` when several customers share it."""
        return self._bind(
            "crm.find_customer_by_phone",
            {"phone": phone},
            "phone",
            lambda: self._toolbox.crm.find_customer_by_phone(phone),
        )

    def identify_by_name_and_zip(self, name: str, zip_code: str) -> Customer:
        """Verify the customer by full name and the postal code of one of their addresses."""
        return self._bind(
            "crm.find_customer_by_name_and_zip",
            {"name": name, "zip_code": zip_code},
            "name_zip",
            lambda: self._toolbox.crm.find_customer_by_name_and_zip(name, zip_code),
        )

    # --- knowledge -----------------------------------------------------------------------------

    def search_knowledge(self, query: str, k: int = 3) -> list[Passage]:
        """Policy and help passages answering `query`, in the conversation's language, best
        first; no verification needed. `unavailable` when no knowledge base is configured."""
        knowledge = self._knowledge

        def search() -> list[Passage]:
            if knowledge is None:
                raise UnavailableError("no knowledge base is configured")
            return knowledge.search(query, self._language, k)

        return self._record(
            "knowledge.search",
            {"query": query, "k": k},
            search,
            lambda found: ", ".join(f"{p.article_id} ({p.score:.2f})" for p in found) or "nothing",
        )

    # --- scoped reads --------------------------------------------------------------------------

    def profile(self) -> t.CustomerProfile:
        """The customer's contact data, preferences, tier, addresses and masked payment methods."""
        customer_id = self._require_customer("crm.get_profile", {})
        return self._record(
            "crm.get_profile",
            {},
            lambda: self._toolbox.crm.get_profile(customer_id),
            lambda profile: f"{profile.tier} customer since {profile.customer_since:%Y-%m-%d}",
        )

    def orders(self, limit: int = 10) -> list[t.OrderSummary]:
        """The customer's newest orders first."""
        customer_id = self._require_customer("logistics.list_orders", {"limit": limit})
        return self._record(
            "logistics.list_orders",
            {"limit": limit},
            lambda: self._toolbox.logistics.list_orders(customer_id, limit),
            lambda found: ", ".join(f"{o.id} {o.status}" for o in found) or "no orders",
        )

    def order(self, order_id: str) -> t.OrderDetails:
        """One of the customer's orders in full; `not_found` for anybody else's."""
        customer_id = self._require_customer("logistics.get_order", {"order_id": order_id})
        order = self._record(
            "logistics.get_order",
            {"order_id": order_id},
            lambda: self._toolbox.logistics.get_order(customer_id, order_id),
            lambda found: f"{found.id} is {found.status}",
        )
        self._facts[order.id] = _order_fact(order)
        return order

    def tracking(self, order_id: str) -> t.Tracking:
        """Where the parcels of one of the customer's orders are."""
        customer_id = self._require_customer("logistics.track_shipment", {"order_id": order_id})

        def describe(found: t.Tracking) -> str:
            states = ", ".join(f"{s.carrier} {s.status}" for s in found.shipments)
            return f"{found.order_id} {found.order_status}: {states or 'no shipment yet'}"

        return self._record(
            "logistics.track_shipment",
            {"order_id": order_id},
            lambda: self._toolbox.logistics.track_shipment(customer_id, order_id),
            describe,
        )

    def refunds(self, order_id: str) -> t.OrderRefunds:
        """The refunds and returns of one of the customer's orders."""
        customer_id = self._require_customer("logistics.refund_status", {"order_id": order_id})

        def describe(found: t.OrderRefunds) -> str:
            listed = ", ".join(
                f"{r.id} {r.status} {_money(r.amount_cents, r.currency)}" for r in found.refunds
            )
            return f"{found.order_id}: {listed or 'no refunds'}"

        return self._record(
            "logistics.refund_status",
            {"order_id": order_id},
            lambda: self._toolbox.logistics.refund_status(customer_id, order_id),
            describe,
        )

    def tickets(self, status: TicketStatus | None = None) -> list[t.Ticket]:
        """The customer's tickets, newest first."""
        customer_id = self._require_customer("crm.list_tickets", {"status": status})
        return self._record(
            "crm.list_tickets",
            {"status": status},
            lambda: self._toolbox.crm.list_tickets(customer_id, status),
            lambda found: ", ".join(f"{x.id} {x.status}" for x in found) or "no tickets",
        )

    # --- proposals: check a change is possible, for the customer to confirm ---------------------

    def propose_cancel_order(self, order_id: str, reason: str) -> PendingChange:
        """A cancellation to confirm; `rule_violation` (saying what is possible instead) when the
        order is no longer cancellable, `not_found` when it is not the customer's."""
        order = self.order(order_id)
        if order.status not in rules.CANCELLABLE:
            deadline, now = order.return_deadline, self._clock.now()
            raise RuleViolationError(rules.cancel_refusal(order.id, order.status, deadline, now))
        t.CancelRequest.parse(reason=reason)
        return PendingChange(action="cancel_order", args={"order_id": order.id, "reason": reason})

    def propose_address_change(
        self,
        order_id: str,
        *,
        line1: str,
        city: str,
        postal_code: str,
        country: str,
        line2: str | None = None,
        region: str | None = None,
    ) -> PendingChange:
        """A new shipping address to confirm, validated (postal code, country) and normalized."""
        address = t.NewShippingAddress.parse(
            line1=line1,
            line2=line2,
            city=city,
            region=region,
            postal_code=postal_code,
            country=country,
        )
        order = self.order(order_id)
        if order.status not in rules.ADDRESS_CHANGEABLE:
            raise RuleViolationError(rules.address_refusal(order.id, order.status))
        return PendingChange(
            action="change_shipping_address",
            args={"order_id": order.id, **address.model_dump()},
        )

    def propose_return(self, order_id: str, items: Mapping[str, int], reason: str) -> PendingChange:
        """A return of `items` (order item id -> units) to confirm: the order must be delivered,
        within its return window, and the units not returned already."""
        order = self.order(order_id)
        refusal = rules.return_refusal(
            order.id, order.status, order.return_deadline, self._clock.now()
        )
        if refusal:
            raise RuleViolationError(refusal)
        request = t.ReturnRequest.parse(
            items=[{"order_item_id": key, "quantity": count} for key, count in items.items()],
            reason=reason,
        )
        lines = {line.id: line for line in order.items}
        for wanted in request.items:
            line = lines.get(wanted.order_item_id)
            if line is None:
                raise NotFoundError(f"order {order.id} has no item {wanted.order_item_id}")
            left = line.quantity - line.returned_quantity
            if wanted.quantity > left:
                raise RuleViolationError(
                    f"only {left} of {line.product_name} from order {order.id} can still be "
                    "returned"
                )
        return PendingChange(
            action="return_items",
            args={"order_id": order.id, "items": dict(items), "reason": reason},
        )

    def propose_ticket(
        self,
        *,
        subject: str,
        description: str,
        category: TicketCategory,
        severity: TicketSeverity,
        order_id: str | None = None,
    ) -> PendingChange:
        """A support ticket to confirm; `order_id`, if given, must be one of the customer's."""
        draft = t.NewTicket.parse(
            subject=subject,
            description=description,
            category=category,
            severity=severity,
            order_id=order_id,
        )
        if draft.order_id is not None:
            self.order(draft.order_id)
        else:
            self._require_customer("crm.open_ticket", {})
        return PendingChange(action="open_ticket", args=draft.model_dump())

    # --- changes: only what the customer confirmed in this turn ---------------------------------

    def _confirm(self, action: ChangeAction, args: Mapping[str, JSON], tool: str) -> str:
        customer_id = self._require_customer(tool, args)
        wanted = PendingChange(action=action, args=dict(args))
        if self._confirmed is None or self._confirmed != wanted:
            self._refuse(
                tool,
                args,
                ConfirmationRequiredError(
                    "the customer has not confirmed this change: propose it first, and make it "
                    "only after their next message confirms exactly it"
                ),
            )
        self._confirmed = None  # one confirmation, one change
        return customer_id

    def cancel_order(self, order_id: str, reason: str) -> t.Cancellation:
        """Cancel the order, as confirmed; payments are refunded."""
        args = {"order_id": order_id, "reason": reason}
        customer_id = self._confirm("cancel_order", args, "logistics.cancel_order")

        def describe(done: t.Cancellation) -> str:
            refund = done.refund
            if refund is None:
                return f"cancelled {done.order.id}, nothing to refund"
            money = _money(refund.amount_cents, refund.currency)
            return f"cancelled {done.order.id}, refund {refund.id} {money}"

        result = self._record(
            "logistics.cancel_order",
            args,
            lambda: self._toolbox.logistics.cancel_order(customer_id, order_id, reason),
            describe,
        )
        self._facts[result.order.id] = _order_fact(result.order)
        self._changed = True
        return result

    def change_shipping_address(
        self,
        order_id: str,
        *,
        line1: str,
        city: str,
        postal_code: str,
        country: str,
        line2: str | None = None,
        region: str | None = None,
    ) -> t.OrderDetails:
        """Ship the order to the new address, as confirmed."""
        args: dict[str, JSON] = {
            "order_id": order_id,
            "line1": line1,
            "line2": line2,
            "city": city,
            "region": region,
            "postal_code": postal_code,
            "country": country,
        }
        customer_id = self._confirm(
            "change_shipping_address", args, "logistics.change_shipping_address"
        )
        result = self._record(
            "logistics.change_shipping_address",
            args,
            lambda: self._toolbox.logistics.change_shipping_address(
                customer_id,
                order_id,
                line1=line1,
                line2=line2,
                city=city,
                region=region,
                postal_code=postal_code,
                country=country,
            ),
            lambda done: f"{done.id} now ships to {done.shipping_address.city}",
        )
        self._facts[result.id] = _order_fact(result)
        self._changed = True
        return result

    def return_items(self, order_id: str, items: Mapping[str, int], reason: str) -> t.OrderReturn:
        """Create the return (and its pending refund), as confirmed."""
        args: dict[str, JSON] = {"order_id": order_id, "items": dict(items), "reason": reason}
        customer_id = self._confirm("return_items", args, "logistics.return_items")

        def describe(done: t.OrderReturn) -> str:
            refund = done.refund
            if refund is None:
                return f"return {done.id} for {done.order_id}"
            money = _money(refund.amount_cents, refund.currency)
            return f"return {done.id} for {done.order_id}, refund {refund.id} {money}"

        result = self._record(
            "logistics.return_items",
            args,
            lambda: self._toolbox.logistics.return_items(customer_id, order_id, items, reason),
            describe,
        )
        self._changed = True
        return result

    def open_ticket(
        self,
        *,
        subject: str,
        description: str,
        category: TicketCategory,
        severity: TicketSeverity,
        order_id: str | None = None,
    ) -> t.Ticket:
        """Open the ticket, as confirmed."""
        args: dict[str, JSON] = {
            "subject": subject,
            "description": description,
            "category": category,
            "severity": severity,
            "order_id": order_id,
        }
        customer_id = self._confirm("open_ticket", args, "crm.open_ticket")
        result = self._record(
            "crm.open_ticket",
            args,
            lambda: self._toolbox.crm.open_ticket(
                customer_id,
                subject=subject,
                description=description,
                category=category,
                severity=severity,
                order_id=order_id,
            ),
            lambda done: f"opened {done.id} ({done.severity}, {done.category})",
        )
        self._changed = True
        return result

    def notify(self, body: str, subject: str | None = None) -> t.Message:
        """Send the customer a written record of the change just made (a `service` message on
        their preferred channel, or email when that channel cannot reach them). Only after a
        confirmed change in this turn; otherwise `ConfirmationRequiredError`."""
        args: dict[str, JSON] = {"subject": subject}
        customer_id = self._require_customer("messaging.send", args)
        if not self._changed:
            self._refuse(
                "messaging.send",
                args,
                ConfirmationRequiredError("messages only go out after a confirmed change"),
            )
        assert self._customer is not None
        channel = self.profile().preferred_channel

        def send(on: Channel) -> t.Message:
            return self._record(
                "messaging.send",
                {"channel": on, "purpose": "service", "subject": subject},
                lambda: self._toolbox.messaging.send(
                    customer_id,
                    channel=on,
                    purpose="service",
                    body=body,
                    subject=subject,
                    # A turn played again after a crash sends its record once, not twice.
                    idempotency_key=f"notify:{self._conversation_id}:{self._turn}:{on}",
                ),
                lambda sent: f"{sent.id} queued on {sent.channel}",
            )

        try:
            return send(channel)
        except RuleViolationError:
            if channel == "email":
                raise
            return send("email")

    # --- handoff -------------------------------------------------------------------------------

    def request_handoff(
        self,
        *,
        reason: HandoffReason,
        skills: Sequence[str],
        priority: int,
        summary: t.EscalationSummary,
    ) -> t.Handoff:
        """Queue this conversation for a human agent, with the summary they will read. With no
        verified customer it is an unverified visitor's handoff (`customer_id=None`): a customer
        can always reach a human, also one who cannot or may no longer prove who they are."""
        args: dict[str, JSON] = {"reason": reason, "skills": list(skills), "priority": priority}
        customer_id = None if self._customer is None else self._customer["id"]
        if customer_id is None:
            args["visitor"] = True
        return self._record(
            "routing.request_handoff",
            args,
            lambda: self._toolbox.routing.request_handoff(
                customer_id,
                conversation_id=self._conversation_id,
                reason=reason,
                language=self._language,
                skills=skills,
                priority=priority,
                summary=summary,
            ),
            lambda queued: f"{queued.id} {queued.status}, priority {queued.priority}",
        )
