"""The offline brain's resolution flows, declared as a table (`FLOWS`) plus one handler each.

A flow is what the customer wants done (the intent that started it). Its declaration says
whether the customer must be verified first, which of their orders it applies to (in order of
preference: the first status group with an order wins), and what to say when none fits. The
engine (`agent.offline.brain`) verifies, picks the order, then calls the flow's handler, which
looks things up, asks for what is missing, or proposes the change for the customer to confirm.
Confirmed changes are made by the `FINISHERS`, one per kind of change.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import timedelta

from agent.brain import EscalationRequest, TurnRequest, Understanding
from agent.customer_tools import CustomerTools
from agent.offline.extract import address_in, chosen_items, is_critical
from agent.offline.say import Say
from agent.state import JSON, ChangeAction, PendingChange
from cerebro.clock import Clock
from cerebro.text import fold
from memory.vocabulary import OrderStatus, TicketCategory, TicketSeverity
from tools import types as t
from tools.errors import InvalidInputError, NotFoundError, RuleViolationError
from tools.logistics import rules

RECENT = timedelta(days=30)
"""Delivered orders younger than this are the likely subject of a damage report or a return."""
KNOWLEDGE_MIN_SCORE = 0.3
"""Below this similarity a knowledge-base passage is not offered as an answer."""
DESCRIPTION_MIN_WORDS = 5
"""A first message this long already describes the problem; shorter ones get asked."""


@dataclass
class Step:
    """What a handler says, and what it waits for next (None ends the flow)."""

    reply: str
    awaiting: str | None = None
    proposal: PendingChange | None = None
    escalate: EscalationRequest | None = None


@dataclass
class FlowContext:
    """One turn of one flow: the message, its understanding, the tools and the flow's slots."""

    request: TurnRequest
    understanding: Understanding
    tools: CustomerTools
    say: Say
    clock: Clock
    slots: dict[str, JSON] = field(default_factory=dict)

    @property
    def text(self) -> str:
        return self.request.text


Handler = Callable[[FlowContext, t.OrderDetails | None], Step]


@dataclass(frozen=True, slots=True)
class FlowSpec:
    """The declaration of one flow.

    Attributes:
        needs_identity: Verify the customer before anything else.
        orders: Status groups of the orders the flow applies to, most likely first; None when
            the flow is not about one order.
        no_candidate: Template said when the customer has no order in any group.
        handler: Looks up, asks, explains, proposes.
        kept: Template said when the customer declines the proposed change.
    """

    needs_identity: bool
    handler: Handler
    orders: tuple[tuple[OrderStatus, ...], ...] | None = None
    no_candidate: str | None = None
    kept: str | None = None


# --- handlers ------------------------------------------------------------------------------------


def _refused(ctx: FlowContext, key: str, order: t.OrderDetails) -> Step:
    """Why this order cannot have the change; the flow stays open for another order (a
    correction such as "sorry, I meant ORD-100045")."""
    if key not in ctx.say.keys:
        key = "refused_generic"
    ctx.slots.pop("order_id", None)
    reply = ctx.say(key, order_id=order.id, status=ctx.say(f"status.{order.status}"))
    return Step(reply, awaiting="order_id")


def order_status(ctx: FlowContext, order: t.OrderDetails | None) -> Step:
    assert order is not None
    say = ctx.say
    items = say.items(order.items)
    if order.status == "cancelled":
        return Step(say("track.cancelled", order_id=order.id, items=items))
    tracking = ctx.tools.tracking(order.id)
    if not tracking.shipments:
        status = say(f"status.{order.status}")
        return Step(say("track.not_shipped", order_id=order.id, items=items, status=status))
    shipment = tracking.shipments[-1]
    if shipment.delivered_at is not None:
        delivered = say.day(shipment.delivered_at)
        return Step(say("track.delivered", order_id=order.id, items=items, delivered=delivered))
    return Step(
        say(
            "track.shipped",
            order_id=order.id,
            items=items,
            shipment_status=say(f"shipment.{shipment.status}"),
            carrier=shipment.carrier,
            tracking_number=shipment.tracking_number,
            eta=say.day(shipment.estimated_delivery),
            event=say.event(shipment),
        )
    )


def cancel_order(ctx: FlowContext, order: t.OrderDetails | None) -> Step:
    assert order is not None
    reason = str(ctx.slots.get("reason") or "requested by the customer in the chat")
    try:
        proposal = ctx.tools.propose_cancel_order(order.id, reason)
    except RuleViolationError:
        return _refused(ctx, f"cancel.refused_{order.status}", order)
    ctx.slots["kept"] = {"order_id": order.id}
    return Step(
        ctx.say(
            "cancel.confirm",
            order_id=order.id,
            items=ctx.say.items(order.items),
            total=ctx.say.money(order.total_cents, order.currency),
        ),
        awaiting="confirm",
        proposal=proposal,
    )


def change_address(ctx: FlowContext, order: t.OrderDetails | None) -> Step:
    assert order is not None
    say = ctx.say
    if order.status not in rules.ADDRESS_CHANGEABLE:
        return _refused(ctx, "address.refused", order)
    old = say.address(order.shipping_address)
    guess = ctx.slots.get("address")
    if not isinstance(guess, dict):
        return Step(say("address.ask", order_id=order.id, old=old), awaiting="address")
    if not (guess.get("line1") and guess.get("city") and guess.get("postal_code")):
        return Step(say("address.incomplete"), awaiting="address")
    try:
        proposal = ctx.tools.propose_address_change(
            order.id,
            line1=str(guess["line1"]),
            city=str(guess["city"]),
            postal_code=str(guess["postal_code"]),
            country=str(guess.get("country") or order.shipping_address.country),
            region=guess.get("region") or None,
        )
    except InvalidInputError:
        ctx.slots.pop("address", None)
        return Step(say("address.invalid"), awaiting="address")
    except RuleViolationError:
        return _refused(ctx, "address.refused", order)
    args = proposal["args"]
    new = ", ".join(
        part
        for part in (args["line1"], f"{args['postal_code']} {args['city']}", args["country"])
        if part
    )
    ctx.slots["kept"] = {"order_id": order.id, "old": old}
    ctx.slots["new"] = new
    return Step(
        say("address.confirm", order_id=order.id, old=old, new=new),
        awaiting="confirm",
        proposal=proposal,
    )


_BECAUSE = re.compile(r"\b(?:because|since|as|porque|ya que|pues|es que)\b\s+(.+)", re.IGNORECASE)


def return_items(ctx: FlowContext, order: t.OrderDetails | None) -> Step:
    assert order is not None
    say = ctx.say
    refusal = rules.return_refusal(order.id, order.status, order.return_deadline, ctx.clock.now())
    if refusal:
        key = {
            "delivered": "return.refused_window",
            "cancelled": "refused_generic",
        }.get(order.status, "return.refused_not_delivered")
        return _refused(ctx, key, order)
    open_lines = [line for line in order.items if line.quantity > line.returned_quantity]
    if not open_lines:
        return _refused(ctx, "return.refused_nothing_left", order)
    items = ctx.slots.get("items")
    if not isinstance(items, dict) or not items:
        items = chosen_items(ctx.text, order.items, ctx.understanding.first("quantity"))
        if not items and (ctx.slots.get("asked_items") or len(open_lines) > 1):
            ctx.slots["asked_items"] = True
            listed = "; ".join(
                f"{number}) {line.product_name} ({line.quantity - line.returned_quantity})"
                for number, line in enumerate(open_lines, start=1)
            )
            return Step(say("return.ask_items", order_id=order.id, items=listed), awaiting="items")
        ctx.slots["items"] = items
    if not ctx.slots.get("reason"):
        return Step(say("return.ask_reason"), awaiting="reason")
    counts = {str(key): int(value) for key, value in items.items()}
    try:
        proposal = ctx.tools.propose_return(order.id, counts, str(ctx.slots["reason"]))
    except RuleViolationError:
        return _refused(ctx, "refused_generic", order)
    prices = {line.id: line.unit_price_cents for line in order.items}
    amount = sum(prices[key] * count for key, count in counts.items())
    lines = say.items(order.items, counts)
    ctx.slots["kept"] = {"order_id": order.id}
    ctx.slots["summary"] = {"lines": lines, "amount": say.money(amount, order.currency)}
    return Step(
        say(
            "return.confirm",
            lines=lines,
            order_id=order.id,
            amount=say.money(amount, order.currency),
        ),
        awaiting="confirm",
        proposal=proposal,
    )


def _refund_summary(ctx: FlowContext, found: t.OrderRefunds) -> str:
    say = ctx.say
    lines = [
        say(
            "refund.line",
            amount=say.money(refund.amount_cents, refund.currency),
            status=say(f"refund_status.{refund.status}"),
            date=say.day(refund.created_at),
        )
        for refund in found.refunds
    ]
    lines += [
        say("refund.return_line", return_id=r.id, status=say(f"return_status.{r.status}"))
        for r in found.returns
    ]
    return say("refund.summary", order_id=found.order_id, lines="; ".join(lines))


def refund_status(ctx: FlowContext, _order: t.OrderDetails | None) -> Step:
    say = ctx.say
    order_id = ctx.slots.get("order_id")
    if isinstance(order_id, str):
        try:
            found = ctx.tools.refunds(order_id)
        except NotFoundError:
            ctx.slots.pop("order_id", None)
            recent = ctx.tools.orders(5)
            reply = say("orders.not_found", order_id=order_id, orders=say.order_list(recent))
            return Step(reply, awaiting="order_id")
        if not found.refunds and not found.returns:
            return Step(say("refund.none", order_id=order_id))
        return Step(_refund_summary(ctx, found))
    candidates = [o for o in ctx.tools.orders(10) if o.status in ("cancelled", "delivered")]
    for summary in candidates[:3]:
        found = ctx.tools.refunds(summary.id)
        if found.refunds or found.returns:
            return Step(_refund_summary(ctx, found))
    return Step(say("refund.no_candidate"))


def _ticket_step(
    ctx: FlowContext,
    order: t.OrderDetails,
    *,
    template: str,
    subject: str,
    description: str,
    category: TicketCategory,
    severity: TicketSeverity,
    **values: object,
) -> Step:
    proposal = ctx.tools.propose_ticket(
        subject=subject,
        description=description,
        category=category,
        severity=severity,
        order_id=order.id,
    )
    return Step(
        ctx.say(
            template,
            order_id=order.id,
            severity=ctx.say(f"severity.{severity}"),
            sla=ctx.say(f"sla.{severity}"),
            **values,
        ),
        awaiting="confirm",
        proposal=proposal,
    )


def report_damaged(ctx: FlowContext, order: t.OrderDetails | None) -> Step:
    assert order is not None
    description = ctx.slots.get("description")
    if not isinstance(description, str):
        return Step(ctx.say("damaged.ask_description"), awaiting="description")
    severity: TicketSeverity = "critical" if is_critical(description) else "high"
    return _ticket_step(
        ctx,
        order,
        template="damaged.confirm",
        subject=f"Damaged delivery: {order.id}",
        description=description,
        category="damaged_item",
        severity=severity,
        problem=description,
    )


def report_late(ctx: FlowContext, order: t.OrderDetails | None) -> Step:
    assert order is not None
    say = ctx.say
    if order.status in ("pending", "processed"):
        status = say(f"status.{order.status}")
        return Step(say("late.not_shipped", order_id=order.id, status=status))
    if order.status != "shipped":
        return order_status(ctx, order)
    tracking = ctx.tools.tracking(order.id)
    if not tracking.shipments:
        return Step(say("late.not_shipped", order_id=order.id, status=say("status.shipped")))
    shipment = tracking.shipments[-1]
    values = {
        "shipment_status": say(f"shipment.{shipment.status}"),
        "carrier": shipment.carrier,
        "eta": say.day(shipment.estimated_delivery),
        "event": say.event(shipment),
    }
    if shipment.status != "exception" and shipment.estimated_delivery > ctx.clock.now():
        return Step(say("late.on_time", order_id=order.id, **values))
    said = str(ctx.slots.get("description") or ctx.text)
    severity: TicketSeverity = "critical" if is_critical(said) else "medium"
    ctx.slots["kept"] = {"tracking_number": shipment.tracking_number}
    return _ticket_step(
        ctx,
        order,
        template="late.confirm",
        subject=f"Late delivery: {order.id}",
        description=(
            f"{said} | {shipment.carrier} {shipment.tracking_number}: {shipment.status}, "
            f"expected {shipment.estimated_delivery:%Y-%m-%d}"
        ),
        category="delivery",
        severity=severity,
        **values,
    )


def _masked_email(email: str) -> str:
    name, _, domain = email.partition("@")
    return f"{name[:1]}•••@{domain}"


def _masked_phone(phone: str) -> str:
    return f"•••{phone[-3:]}"


def account_details(ctx: FlowContext, _order: t.OrderDetails | None) -> Step:
    say = ctx.say
    if not ctx.slots.get("change"):
        profile = ctx.tools.profile()
        default = next((a for a in profile.addresses if a.is_default), None)
        return Step(
            say(
                "account.details",
                name=f"{profile.first_name} {profile.last_name}",
                email=_masked_email(profile.email),
                phone=_masked_phone(profile.phone) if profile.phone else say("account.no_phone"),
                address=say.address(default) if default else say("account.no_address"),
                channel=say(f"channel.{profile.preferred_channel}"),
            )
        )
    contact, value = ctx.slots.get("field"), ctx.slots.get("value")
    if not isinstance(contact, str) or not isinstance(value, str):
        return Step(say("account.ask_change"), awaiting="change_value")
    proposal = ctx.tools.propose_ticket(
        subject=f"Contact details change: {contact}",
        description=f"The customer asks, in the chat, to change their {contact} to: {value}",
        category="account",
        severity="low",
    )
    return Step(
        say("account.confirm_change", field=say(f"account.field_{contact}"), value=value),
        awaiting="confirm",
        proposal=proposal,
    )


def knowledge_question(ctx: FlowContext, _order: t.OrderDetails | None) -> Step:
    found = ctx.tools.search_knowledge(ctx.text, k=1)
    if not found or found[0].score < KNOWLEDGE_MIN_SCORE:
        return Step(ctx.say("knowledge.none"))
    return Step(ctx.say("knowledge.answer", text=found[0].text, title=found[0].title))


def greeting(ctx: FlowContext, _order: t.OrderDetails | None) -> Step:
    return Step(ctx.say("greeting"))


def goodbye(ctx: FlowContext, _order: t.OrderDetails | None) -> Step:
    customer = ctx.tools.customer
    return Step(ctx.say("goodbye", name_part=f", {customer['first_name']}" if customer else ""))


def talk_to_human(ctx: FlowContext, _order: t.OrderDetails | None) -> Step:
    return Step("", escalate=EscalationRequest("customer_request", "asked for a person"))


def out_of_scope(ctx: FlowContext, _order: t.OrderDetails | None) -> Step:
    return Step(ctx.say("not_understood"))


_IN_FLIGHT: tuple[OrderStatus, ...] = ("shipped", "processed", "pending")

FLOWS: Mapping[str, FlowSpec] = {
    "order_status": FlowSpec(
        needs_identity=True,
        handler=order_status,
        orders=(_IN_FLIGHT, ("delivered", "cancelled")),
        no_candidate="orders.ask_none",
    ),
    "cancel_order": FlowSpec(
        needs_identity=True,
        handler=cancel_order,
        orders=(("pending",),),
        no_candidate="cancel.no_candidate",
        kept="cancel.kept",
    ),
    "change_address": FlowSpec(
        needs_identity=True,
        handler=change_address,
        orders=(("pending", "processed"),),
        no_candidate="address.no_candidate",
        kept="address.kept",
    ),
    "return_items": FlowSpec(
        needs_identity=True,
        handler=return_items,
        orders=(("delivered",),),
        no_candidate="return.no_candidate",
        kept="return.kept",
    ),
    "refund_status": FlowSpec(needs_identity=True, handler=refund_status),
    "report_damaged": FlowSpec(
        needs_identity=True,
        handler=report_damaged,
        orders=(("delivered",), ("shipped",)),
        no_candidate="damaged.no_candidate",
        kept="damaged.kept",
    ),
    "report_late": FlowSpec(
        needs_identity=True,
        handler=report_late,
        orders=(("shipped",), ("processed", "pending")),
        no_candidate="late.no_candidate",
        kept="late.kept",
    ),
    "account_details": FlowSpec(needs_identity=True, handler=account_details, kept="account.kept"),
    "knowledge_question": FlowSpec(needs_identity=False, handler=knowledge_question),
    "greeting": FlowSpec(needs_identity=False, handler=greeting),
    "goodbye": FlowSpec(needs_identity=False, handler=goodbye),
    "talk_to_human": FlowSpec(needs_identity=False, handler=talk_to_human),
    "out_of_scope": FlowSpec(needs_identity=False, handler=out_of_scope),
}
"""Every intent the offline brain acts on, and how."""

FREE_TEXT_SLOTS = frozenset({"reason", "description", "change_value"})
"""Slots whose answer is the customer's whole message, whatever it is classified as."""


# --- confirmed changes ---------------------------------------------------------------------------


def _notify(ctx: FlowContext, subject: str, body: str) -> str:
    """Send the written record of a change; the channel it went out on, in words."""
    sent = ctx.tools.notify(body, subject)
    return ctx.say(f"channel.{sent.channel}")


def finish_cancel(ctx: FlowContext, args: Mapping[str, JSON]) -> str:
    say = ctx.say
    done = ctx.tools.cancel_order(str(args["order_id"]), str(args["reason"]))
    refund = (
        say("cancel.refund", amount=say.money(done.refund.amount_cents, done.refund.currency))
        if done.refund
        else say("cancel.no_refund")
    )
    channel = _notify(
        ctx,
        say("notice.cancelled_subject", order_id=done.order.id),
        say("notice.cancelled_body", order_id=done.order.id, refund=refund),
    )
    return say("cancel.done", order_id=done.order.id, refund=refund, channel=channel)


def finish_address(ctx: FlowContext, args: Mapping[str, JSON]) -> str:
    say = ctx.say
    done = ctx.tools.change_shipping_address(
        str(args["order_id"]),
        line1=str(args["line1"]),
        line2=args.get("line2"),
        city=str(args["city"]),
        region=args.get("region"),
        postal_code=str(args["postal_code"]),
        country=str(args["country"]),
    )
    new = say.address(done.shipping_address)
    channel = _notify(
        ctx,
        say("notice.address_subject", order_id=done.id),
        say("notice.address_body", order_id=done.id, new=new),
    )
    return say("address.done", order_id=done.id, new=new, channel=channel)


def finish_return(ctx: FlowContext, args: Mapping[str, JSON]) -> str:
    say = ctx.say
    items = args["items"]
    assert isinstance(items, dict)
    done = ctx.tools.return_items(
        str(args["order_id"]), {str(k): int(v) for k, v in items.items()}, str(args["reason"])
    )
    refund = done.refund
    amount = say.money(refund.amount_cents, refund.currency) if refund else "-"
    lines = say.items(done.items)
    channel = _notify(
        ctx,
        say("notice.return_subject", return_id=done.id, order_id=done.order_id),
        say("notice.return_body", return_id=done.id, lines=lines, amount=amount),
    )
    return say("return.done", return_id=done.id, amount=amount, channel=channel)


def finish_ticket(ctx: FlowContext, args: Mapping[str, JSON]) -> str:
    say = ctx.say
    done = ctx.tools.open_ticket(
        subject=str(args["subject"]),
        description=str(args["description"]),
        category=args["category"],
        severity=args["severity"],
        order_id=args.get("order_id"),
    )
    severity, sla = say(f"severity.{done.severity}"), say(f"sla.{done.severity}")
    channel = _notify(
        ctx,
        say("notice.ticket_subject", ticket_id=done.id),
        say(
            "notice.ticket_body",
            ticket_id=done.id,
            subject=done.subject,
            severity=severity,
            sla=sla,
        ),
    )
    return say("ticket.done", ticket_id=done.id, severity=severity, sla=sla, channel=channel)


FINISHERS: Mapping[ChangeAction, Callable[[FlowContext, Mapping[str, JSON]], str]] = {
    "cancel_order": finish_cancel,
    "change_shipping_address": finish_address,
    "return_items": finish_return,
    "open_ticket": finish_ticket,
}
"""How each kind of confirmed change is made and reported."""


# --- slot values from a message ------------------------------------------------------------------


def reason_in(text: str) -> str | None:
    """The reason given with a request ("... because it's too small")."""
    match = _BECAUSE.search(text)
    return match.group(1).strip() if match else None


def address_slot(ctx: FlowContext, previous: JSON) -> dict[str, JSON] | None:
    """The address typed in this message, completed with what an earlier message gave."""
    guess = address_in(ctx.text, ctx.understanding.first("postal_code"))
    if not guess.line1 and not (isinstance(previous, dict) and guess.postal_code):
        return None
    merged: dict[str, JSON] = dict(previous) if isinstance(previous, dict) else {}
    for key in ("line1", "city", "postal_code", "country", "region"):
        value = getattr(guess, key)
        if value:
            merged[key] = value
    return merged


def words(text: str) -> int:
    return len(fold(text).split())
