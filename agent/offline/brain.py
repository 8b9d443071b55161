"""The offline brain: the NLU for understanding, declarative flows for acting, templates for
answering. No network, no model beyond the bundled sentence encoder.

Each turn it (1) settles a change proposed on the previous turn (made on a plain "yes", dropped
on "no", re-proposed on a correction such as "no, I meant order 100045"); (2) verifies the
customer when the message identifies them; (3) picks the flow: the one in progress, or a new
one when the customer switches topic; (4) fills the flow's slots from the message and runs it
(`agent.offline.flows`). Its memory between turns is the flow, the slot values, and what it
asked for last (`awaiting`), as plain JSON in the conversation state.
"""

from __future__ import annotations

from collections.abc import Mapping

from agent.brain import EscalationRequest, Outcome, TurnRequest, Understanding
from agent.customer_tools import CustomerTools, IdentityLockedError
from agent.nlu import Parser, extract_entities
from agent.offline.extract import (
    address_in,
    contact_field,
    name_in,
    names_a_product,
    names_line,
    wants_contact_change,
)
from agent.offline.flows import (
    DESCRIPTION_MIN_WORDS,
    FINISHERS,
    FLOWS,
    FREE_TEXT_SLOTS,
    RECENT,
    FlowContext,
    Step,
    address_slot,
    reason_in,
    words,
)
from agent.offline.say import Say
from agent.state import JSON, PendingChange
from cerebro.clock import Clock
from tools import types as t
from tools.errors import (
    ConflictError,
    InvalidInputError,
    NotFoundError,
    RuleViolationError,
    UnavailableError,
)

FLOW_CONFIDENCE = 0.5
"""An intent below this confidence never starts or switches a flow."""
INTERJECTIONS = frozenset({"knowledge_question", "greeting", "out_of_scope"})
"""Intents answered in the middle of a flow without leaving it."""
MEMORY_TAG = "offline"
NOT_UNDERSTOOD = 0.3
PRODUCT_SEARCH_ORDERS = 5
"""How many orders are opened, at most, to find the one holding a product the customer names."""
"""The confidence given to a mid-flow message the NLU reads as out of scope."""


class OfflineBrain:
    """`agent.brain.Brain` without any model service: see the module docstring."""

    name = "offline"

    def __init__(self, parser: Parser, clock: Clock) -> None:
        self._parser = parser
        self._clock = clock

    # --- understand ----------------------------------------------------------------------------

    def understand(self, request: TurnRequest) -> Understanding:
        """The NLU's reading, put in context: an answer to the question just asked is
        `provide_info` (or `affirm` / `deny` to a confirmation question), with full confidence,
        and needs no classifier at all."""
        text = request.text
        entities = tuple((entity.kind, entity.value) for entity in extract_entities(text))
        found = {kind for kind, _ in entities}
        awaiting = _memory(request.flow).get("awaiting")
        if awaiting == "confirm" and request.affirmation:
            intent = "affirm" if request.affirmation == "yes" else "deny"
            return Understanding(intent, 1.0, entities)
        answers = (
            (awaiting in FREE_TEXT_SLOTS and request.affirmation != "no")
            or (awaiting == "identity" and bool(found & {"email", "phone", "postal_code"}))
            or (awaiting == "identity" and name_in(text, None) is not None)
            or (awaiting == "address" and "postal_code" in found)
            or (awaiting == "order_id" and "order_id" in found)
        )
        if answers:
            return Understanding("provide_info", 1.0, entities)
        try:
            parsed = self._parser.parse(text, request.language)
        except ValueError:
            return Understanding("out_of_scope", 0.0, entities)
        if awaiting is not None and parsed.intent == "out_of_scope":
            # Mid-flow, "out of scope" is more likely an answer the NLU cannot read: it counts as
            # not understood (the flow gets to try it), not as a request to hand off.
            return Understanding("out_of_scope", min(parsed.confidence, NOT_UNDERSTOOD), entities)
        return Understanding(parsed.intent, parsed.confidence, entities)

    # --- act -----------------------------------------------------------------------------------

    def act(
        self, request: TurnRequest, understanding: Understanding, tools: CustomerTools
    ) -> Outcome:
        memory = _memory(request.flow)
        ctx = FlowContext(
            request=request,
            understanding=understanding,
            tools=tools,
            say=Say(request.language),
            clock=self._clock,
            slots=dict(memory.get("slots") or {}),
        )
        flow = memory.get("flow")
        try:
            return _Turn(ctx, flow if flow in FLOWS else None, memory).run()
        except UnavailableError as error:
            failed = next((c["tool"] for c in reversed(tools.calls) if not c["ok"]), "a tool")
            return Outcome(
                ctx.say("unavailable"),
                escalate=EscalationRequest("tool_failure", f"{failed}: {error.message}"[:200]),
            )


def _memory(flow: Mapping[str, JSON] | None) -> Mapping[str, JSON]:
    """The offline brain's memory, or nothing if the memory is another brain's."""
    if flow is None or flow.get("brain") != MEMORY_TAG:
        return {}
    return flow


class _Turn:
    """One turn of the offline brain (see the module docstring for the order of the steps)."""

    def __init__(self, ctx: FlowContext, flow: str | None, memory: Mapping[str, JSON]) -> None:
        self.ctx = ctx
        self.say = ctx.say
        self.flow = flow
        awaiting = memory.get("awaiting")
        self.awaiting = awaiting if isinstance(awaiting, str) else None
        identity = memory.get("identity")
        self.identity: dict[str, JSON] = dict(identity) if isinstance(identity, dict) else {}
        self.parts: list[str] = []
        self.notes: list[str] = []
        understanding = ctx.understanding
        confident = understanding.confidence >= FLOW_CONFIDENCE
        self.intent = understanding.intent if confident else None

    def run(self) -> Outcome:
        ctx, request = self.ctx, self.ctx.request
        if request.pending_change is not None:
            settled = self._settle(request.pending_change)
            if settled is not None:
                return settled
        if ctx.tools.customer is None and self._gives_identity():
            asked = self._verify()
            if asked is not None:
                return self._outcome(asked)
            if self.awaiting == "identity":
                self.awaiting = None
        if self.flow is not None and self.awaiting in FREE_TEXT_SLOTS:
            if request.affirmation == "no":
                return self._outcome(Step(self.say("ok_nothing_pending")))
            self._fill_free_text(self.awaiting)
        elif self._switches_topic():
            assert self.intent is not None
            if self.flow is not None and self.intent in INTERJECTIONS:
                return self._interject()
            self.flow = self.intent
            ctx.slots = {}
            self._initial_slots()
        elif self.flow is not None:
            changed = self._take_values()
            if self.awaiting is not None and request.affirmation == "no" and not changed:
                return self._outcome(Step(self.say("ok_nothing_pending")))
        elif ctx.understanding.intent == "provide_info" and ctx.understanding.first("order_id"):
            self.flow = "order_status"
            self._initial_slots()
        else:
            return self._outcome(self._no_flow())
        return self._outcome(self._advance())

    # --- the steps -----------------------------------------------------------------------------

    def _settle(self, pending: PendingChange) -> Outcome | None:
        """Answer to a proposed change: make it, drop it, or correct it (None: go on)."""
        ctx, request = self.ctx, self.ctx.request
        if request.affirmation == "yes":
            try:
                return Outcome(FINISHERS[pending["action"]](ctx, pending["args"]))
            except (RuleViolationError, ConflictError, NotFoundError):
                if self.flow is None:
                    order_id = pending["args"].get("order_id") or "-"
                    return Outcome(self.say("refused_generic", order_id=order_id))
                return self._outcome(self._advance())
        if self.flow is None:
            return None
        if request.affirmation != "no" and self._switches_topic():
            return self._interject() if self.intent in INTERJECTIONS else None
        if self._take_values():  # a correction: propose again with the new value
            return self._outcome(self._advance())
        spec = FLOWS[self.flow]
        if request.affirmation == "no":
            kept = ctx.slots.get("kept")
            values = kept if isinstance(kept, dict) else {}
            args = ", ".join(f"{k}={v}" for k, v in pending["args"].items() if k != "description")
            note = f"the customer declined: {pending['action']} ({args})"[:300]
            return Outcome(
                self.say(spec.kept, **values) if spec.kept else self.say("ok_nothing_pending"),
                notes=(note,),
            )
        step = self._advance()
        step.reply = self.say("confirm_again", question=step.reply)
        return self._outcome(step)

    def _switches_topic(self) -> bool:
        return (
            self.intent is not None
            and self.intent in FLOWS
            and self.intent != self.flow
            and self.ctx.understanding.intent not in ("provide_info", "affirm", "deny")
        )

    def _interject(self) -> Outcome:
        """Answer a side question and stay in the flow (a proposed change stays proposed)."""
        assert self.intent is not None
        step = FLOWS[self.intent].handler(self.ctx, None)
        return Outcome(
            step.reply,
            flow=self._memory(self.awaiting),
            proposal=self.ctx.request.pending_change,
        )

    def _gives_identity(self) -> bool:
        ctx = self.ctx
        u = ctx.understanding
        if self.awaiting == "identity":
            return True
        account_change = (self.flow == "account_details" and bool(ctx.slots.get("change"))) or (
            u.intent == "account_details" and wants_contact_change(ctx.text)
        )
        if account_change:
            return False
        named = bool(u.first("person_name") and u.first("postal_code"))
        return bool(u.first("email") or u.first("phone") or named)

    def _verify(self) -> Step | None:
        """Verify with what the message (and earlier ones) gave; a question when more is needed."""
        ctx, say, u = self.ctx, self.say, self.ctx.understanding
        tools = ctx.tools
        postal = u.first("postal_code")
        name = u.first("person_name") or name_in(ctx.text, postal)
        try:
            if u.first("email"):
                customer = tools.identify_by_email(str(u.first("email")))
            elif u.first("phone"):
                customer = tools.identify_by_phone(str(u.first("phone")))
            else:
                name = name or _text(self.identity.get("name"))
                postal = postal or _text(self.identity.get("postal_code"))
                if name and postal:
                    customer = tools.identify_by_name_and_zip(name, postal)
                elif name:
                    self.identity = {"name": name}
                    first = name.split()[0]
                    return Step(say("identity.ask_zip", name=first), awaiting="identity")
                elif postal:
                    self.identity = {"postal_code": postal}
                    return Step(say("identity.ask_name"), awaiting="identity")
                else:
                    return Step(say("identity.ask"), awaiting="identity")
        except IdentityLockedError:
            self.identity = {}
            return Step(say("identity.locked"))
        except NotFoundError:
            self.identity = {}
            if tools.identity_locked:  # that was the last attempt: stop asking
                return Step(say("identity.locked"))
            return Step(say("identity.not_found"), awaiting="identity")
        except (InvalidInputError, RuleViolationError):
            self.identity = {}
            return Step(say("identity.ambiguous"), awaiting="identity")
        self.identity = {}
        self.parts.append(say("identity.verified", first_name=customer["first_name"]))
        return None

    def _no_flow(self) -> Step:
        """A message outside any flow that starts none."""
        if self.parts:
            return Step(self.say("how_can_i_help"))
        if self.ctx.understanding.intent in ("affirm", "deny", "provide_info") and self.intent:
            return Step(self.say("ok_nothing_pending"))
        return Step(self.say("not_understood"))

    def _advance(self) -> Step:
        assert self.flow is not None
        spec = FLOWS[self.flow]
        ctx = self.ctx
        if spec.needs_identity and ctx.tools.customer is None:
            if ctx.tools.identity_locked:
                return Step(self.say("identity.locked"))
            return Step(self.say("identity.ask"), awaiting="identity")
        order = None
        if spec.orders is not None:
            picked = self._pick_order(spec.orders, spec.no_candidate)
            if isinstance(picked, Step):
                return picked
            order = picked
        return spec.handler(ctx, order)

    def _pick_order(
        self, groups: tuple[tuple[str, ...], ...], no_candidate: str | None
    ) -> t.OrderDetails | Step:
        ctx, say = self.ctx, self.say
        wanted = ctx.slots.get("order_id")
        if isinstance(wanted, str):
            try:
                return ctx.tools.order(wanted)
            except NotFoundError:
                ctx.slots.pop("order_id", None)
                recent = say.order_list(ctx.tools.orders(5)) or "-"
                return Step(
                    say("orders.not_found", order_id=wanted, orders=recent), awaiting="order_id"
                )
        orders = ctx.tools.orders(10)
        named = self._order_holding_named_product(orders, groups)
        if named is not None:
            return named
        now = ctx.clock.now()
        for group in groups:
            candidates = [order for order in orders if order.status in group]
            if "delivered" in group:
                recent_ones = [o for o in candidates if now - o.updated_at <= RECENT]
                candidates = recent_ones or candidates
            if len(candidates) == 1:
                ctx.slots["order_id"] = candidates[0].id
                return ctx.tools.order(candidates[0].id)
            if candidates:
                listed = say.order_list(candidates[:5])
                return Step(say("orders.ask", orders=listed), awaiting="order_id")
        return Step(say(no_candidate or "orders.ask_none"))

    def _order_holding_named_product(
        self, orders: list[t.OrderSummary], groups: tuple[tuple[str, ...], ...]
    ) -> t.OrderDetails | None:
        """The order holding the product the message names ("where is my smartwatch?"): the
        flow's candidates are opened first, then the other recent orders (the flow tells the
        customer when that order's status rules the request out). None when the message names
        no product or none of those orders holds it."""
        ctx = self.ctx
        if not names_a_product(ctx.text):
            return None
        candidates = [o for group in groups for o in orders if o.status in group]
        others = [o for o in orders if o not in candidates]
        for summary in (candidates + others)[:PRODUCT_SEARCH_ORDERS]:
            order = ctx.tools.order(summary.id)
            if any(names_line(ctx.text, line) for line in order.items):
                ctx.slots["order_id"] = order.id
                return order
        return None

    # --- slots -----------------------------------------------------------------------------------

    def _initial_slots(self) -> None:
        """Values the message that starts a flow already gives."""
        ctx, u = self.ctx, self.ctx.understanding
        slots, text = ctx.slots, ctx.text
        if u.first("order_id"):
            slots["order_id"] = u.first("order_id")
        if self.flow in ("cancel_order", "return_items") and reason_in(text):
            slots["reason"] = reason_in(text)
        if self.flow == "change_address" and u.first("postal_code"):
            address = address_slot(ctx, None)
            if address:
                slots["address"] = address
        if self.flow in ("report_damaged", "report_late") and words(text) >= DESCRIPTION_MIN_WORDS:
            slots["description"] = text
        if self.flow == "account_details" and wants_contact_change(text):
            slots["change"] = True
            self._contact_change(text)

    def _take_values(self) -> bool:
        """Values the message gives for the flow in progress; True when one changed (a
        correction)."""
        ctx, u = self.ctx, self.ctx.understanding
        changed = False
        order_id = u.first("order_id")
        if order_id and order_id != ctx.slots.get("order_id"):
            ctx.slots["order_id"] = order_id
            for derived in ("items", "asked_items"):
                ctx.slots.pop(derived, None)
            changed = True
        if (
            self.flow in ("report_damaged", "report_late")
            and self.awaiting == "confirm"
            and u.intent in (self.flow, "provide_info", "out_of_scope")
        ):
            told = _text(ctx.slots.get("description"))
            ctx.slots["description"] = f"{told} {ctx.text}" if told else ctx.text
            changed = True
        if self.flow == "change_address" and self.awaiting in ("address", "confirm"):
            address = address_slot(ctx, ctx.slots.get("address"))
            if address and address != ctx.slots.get("address"):
                ctx.slots["address"] = address
                changed = True
        return changed

    def _fill_free_text(self, slot: str) -> None:
        if slot == "change_value":
            self._contact_change(self.ctx.text)
        else:
            self.ctx.slots[slot] = self.ctx.text.strip()

    def _contact_change(self, text: str) -> None:
        """Which contact detail the customer wants changed, and to what."""
        slots, u = self.ctx.slots, self.ctx.understanding
        email, phone = u.first("email"), u.first("phone")
        field = contact_field(text, email, phone) or _text(slots.get("field"))
        if field:
            slots["field"] = field
        if email or phone:
            slots["value"] = email or phone
        elif field == "address":
            guess = address_in(text, u.first("postal_code"))
            if guess.complete:
                slots["value"] = f"{guess.line1}, {guess.postal_code} {guess.city}"
        elif self.awaiting == "change_value" and field:
            slots["value"] = text.strip()

    # --- the answer ----------------------------------------------------------------------------

    def _memory(self, awaiting: str | None) -> dict[str, JSON] | None:
        if awaiting is None:
            return None
        return {
            "brain": MEMORY_TAG,
            "flow": self.flow,
            "awaiting": awaiting,
            "slots": self.ctx.slots,
            "identity": self.identity,
        }

    def _outcome(self, step: Step) -> Outcome:
        reply = " ".join(part for part in [*self.parts, step.reply] if part)
        return Outcome(
            reply,
            flow=self._memory(step.awaiting),
            proposal=step.proposal,
            escalate=step.escalate,
            notes=tuple(self.notes),
        )


def _text(value: JSON) -> str | None:
    return value if isinstance(value, str) and value else None
