"""The tools the model sees, and how each call runs through the turn's `CustomerTools`.

The model gets JSON schemas derived from the pydantic argument models below. None has a
customer id: every call goes through the facade, which is bound to the verified customer (or to
nobody yet, when only `identify_customer`, `search_knowledge` and `transfer_to_human` are
offered). Unknown arguments are refused (`extra="forbid"`), so a model told to pass a
`customer_id` gets an `invalid_input` error back and nothing else.

A change tool (`cancel_order`, `change_shipping_address`, `return_items`, `open_ticket`) never
makes the change: it asks the facade to *propose* it (which checks that it is the customer's to
make and allowed by the rules), and the brain asks the customer to confirm. The change is made on
the next turn, by `make_confirmed_change`, only if the customer's answer is a plain "yes".
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Generic, Literal, Self, TypeVar

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from agent.customer_tools import (
    ConfirmationRequiredError,
    CustomerTools,
    IdentityLockedError,
    IdentityRequiredError,
)
from agent.state import JSON, PendingChange
from memory.vocabulary import TicketCategory, TicketSeverity, TicketStatus
from tools.errors import ToolError
from tools.types import describe_validation_error

log = logging.getLogger(__name__)


class Args(BaseModel):
    """Arguments of a model-facing tool: immutable, documented, unknown fields refused."""

    model_config = ConfigDict(frozen=True, extra="forbid", use_attribute_docstrings=True)


class NoArgs(Args):
    pass


class IdentifyArgs(Args):
    email: str | None = None
    """The customer's email address."""
    phone: str | None = None
    """The customer's phone number."""
    name: str | None = None
    """The customer's full name; only together with `zip_code`."""
    zip_code: str | None = None
    """The postal code of one of the customer's addresses; only together with `name`."""

    @model_validator(mode="after")
    def _one_way(self) -> Self:
        given = {key for key in ("email", "phone", "name", "zip_code") if getattr(self, key)}
        if given not in ({"email"}, {"phone"}, {"name", "zip_code"}):
            raise ValueError("give exactly one of: email, phone, or name together with zip_code")
        return self


class SearchArgs(Args):
    query: str = Field(min_length=1, max_length=500)
    """The customer's question, in their words."""


class ListOrdersArgs(Args):
    limit: int = Field(default=5, ge=1, le=20)
    """How many of the newest orders to list."""


class OrderArgs(Args):
    order_id: str = Field(min_length=1, max_length=64)
    """The order number, e.g. `ORD-100042`."""


class TicketsArgs(Args):
    status: TicketStatus | None = None
    """Only tickets in this status; all when omitted."""


class CancelArgs(OrderArgs):
    reason: str = Field(min_length=1, max_length=500)
    """Why the customer cancels, in a few words."""


class AddressArgs(OrderArgs):
    line1: str
    """Street and number."""
    line2: str | None = None
    """Floor, door, building; omit when none."""
    city: str
    region: str | None = None
    """Province, state or county; omit when none."""
    postal_code: str
    country: str
    """ISO 3166-1 alpha-2 country code, e.g. `ES`."""


class ReturnLineArgs(Args):
    order_item_id: str
    """The id of the order's item (from get_order), e.g. `OIT-100042-1`."""
    quantity: int = Field(ge=1)
    """How many units of it."""


class ReturnArgs(OrderArgs):
    items: list[ReturnLineArgs] = Field(min_length=1)
    reason: str = Field(min_length=1, max_length=500)
    """Why the customer returns them, in a few words."""


class TicketArgs(Args):
    subject: str = Field(min_length=1, max_length=200)
    description: str = Field(min_length=1, max_length=2000)
    """What happened, in the customer's words and with the facts you looked up."""
    category: TicketCategory
    severity: TicketSeverity
    order_id: str | None = None
    """The order it is about, if any."""


class HumanArgs(Args):
    reason: Literal["customer_request", "out_of_scope"]
    """`customer_request` when the customer asks for a person, `out_of_scope` when you cannot
    help with what they need."""
    detail: str = Field(min_length=1, max_length=300)
    """What the human agent should know first, in one sentence."""


# --- What running a tool gives the brain -------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Answered:
    """A result (or error) to send back to the model as the call's `tool` message."""

    content: JSON


@dataclass(frozen=True, slots=True)
class Proposed:
    """A change the facade accepted as possible: the customer must now confirm it."""

    change: PendingChange


@dataclass(frozen=True, slots=True)
class Escalated:
    """The model asked to hand the conversation to a human."""

    reason: Literal["customer_request", "out_of_scope"]
    detail: str


Result = Answered | Proposed | Escalated
A = TypeVar("A", bound=Args)
Audience = Literal["unverified", "verified", "anyone"]


def error_content(error: ToolError) -> JSON:
    """A tool error as the model reads it: its code and its message (which says what is still
    possible)."""
    code = (
        "identity_required"
        if isinstance(error, IdentityRequiredError)
        else "identity_locked"
        if isinstance(error, IdentityLockedError)
        else "confirmation_required"
        if isinstance(error, ConfirmationRequiredError)
        else error.code
    )
    return {"error": code, "message": error.message}


def _dump(value: BaseModel | list[Any]) -> JSON:
    if isinstance(value, list):
        return [item.model_dump(mode="json") for item in value]
    return value.model_dump(mode="json")


@dataclass(frozen=True)
class ModelTool(Generic[A]):
    """One tool the model may call: its name, description, arguments and what it runs."""

    name: str
    description: str
    args: type[A]
    audience: Audience
    run: Callable[[TurnTools, A], Result]

    def schema(self) -> dict[str, Any]:
        """The OpenAI `tools` entry of this tool."""
        parameters = self.args.model_json_schema()
        parameters.pop("title", None)
        parameters.pop("description", None)
        return {
            "type": "function",
            "function": {
                "name": self.name,
                "description": self.description,
                "parameters": parameters,
            },
        }


class TurnTools:
    """The model's tools for one turn, on that turn's `CustomerTools`.

    It remembers the product names of the order items it saw, so a confirmation question names
    the products instead of item ids.
    """

    def __init__(self, tools: CustomerTools) -> None:
        self.facade = tools
        self.item_names: dict[str, str] = {}

    def offered(self) -> list[dict[str, Any]]:
        """The schemas of the tools offered now (identification only before verification)."""
        excluded: Audience = "unverified" if self.facade.customer is not None else "verified"
        return [tool.schema() for tool in TOOLS.values() if tool.audience != excluded]

    def run(self, name: str, arguments: Mapping[str, Any]) -> Result:
        """Run the call `name(**arguments)`; errors come back as `Answered` error contents."""
        tool = TOOLS[name]
        try:
            args = tool.args.model_validate(dict(arguments))
        except ValidationError as error:
            return Answered({"error": "invalid_input", "message": describe_validation_error(error)})
        try:
            return tool.run(self, args)
        except ToolError as error:
            return Answered(error_content(error))

    # --- the tools -----------------------------------------------------------------------------

    def identify(self, args: IdentifyArgs) -> Result:
        if self.facade.customer is not None:
            # no lookup at all: its answer would tell whether someone else is a customer
            return Answered(
                {"error": "rule_violation", "message": "the customer is already verified"}
            )
        if args.email:
            customer = self.facade.identify_by_email(args.email)
        elif args.phone:
            customer = self.facade.identify_by_phone(args.phone)
        else:
            assert args.name and args.zip_code
            customer = self.facade.identify_by_name_and_zip(args.name, args.zip_code)
        return Answered({"verified": True, "first_name": customer["first_name"]})

    def search_knowledge(self, args: SearchArgs) -> Result:
        passages = self.facade.search_knowledge(args.query)
        return Answered(
            [{"article": p.article_id, "title": p.title, "text": p.text} for p in passages]
        )

    def profile(self, _args: NoArgs) -> Result:
        return Answered(_dump(self.facade.profile()))

    def orders(self, args: ListOrdersArgs) -> Result:
        return Answered(_dump(self.facade.orders(args.limit)))

    def order(self, args: OrderArgs) -> Result:
        order = self.facade.order(args.order_id)
        self.item_names.update({line.id: line.product_name for line in order.items})
        return Answered(_dump(order))

    def tracking(self, args: OrderArgs) -> Result:
        return Answered(_dump(self.facade.tracking(args.order_id)))

    def refunds(self, args: OrderArgs) -> Result:
        return Answered(_dump(self.facade.refunds(args.order_id)))

    def tickets(self, args: TicketsArgs) -> Result:
        return Answered(_dump(self.facade.tickets(args.status)))

    def cancel(self, args: CancelArgs) -> Result:
        return Proposed(self.facade.propose_cancel_order(args.order_id, args.reason))

    def change_address(self, args: AddressArgs) -> Result:
        return Proposed(
            self.facade.propose_address_change(
                args.order_id,
                line1=args.line1,
                line2=args.line2,
                city=args.city,
                region=args.region,
                postal_code=args.postal_code,
                country=args.country,
            )
        )

    def return_items(self, args: ReturnArgs) -> Result:
        items: dict[str, int] = {}
        for line in args.items:
            items[line.order_item_id] = items.get(line.order_item_id, 0) + line.quantity
        return Proposed(self.facade.propose_return(args.order_id, items, args.reason))

    def ticket(self, args: TicketArgs) -> Result:
        return Proposed(
            self.facade.propose_ticket(
                subject=args.subject,
                description=args.description,
                category=args.category,
                severity=args.severity,
                order_id=args.order_id,
            )
        )

    def human(self, args: HumanArgs) -> Result:
        return Escalated(args.reason, args.detail)


def _tools(*tools: ModelTool[Any]) -> dict[str, ModelTool[Any]]:
    return {tool.name: tool for tool in tools}


TOOLS = _tools(
    ModelTool(
        "identify_customer",
        "Verify who the customer is, by email, by phone, or by full name with the postal code "
        "of one of their addresses. Needed before anything about an account.",
        IdentifyArgs,
        "unverified",
        TurnTools.identify,
    ),
    ModelTool(
        "search_knowledge",
        "Search the store's help articles (shipping, returns, refunds, payments, accounts).",
        SearchArgs,
        "anyone",
        TurnTools.search_knowledge,
    ),
    ModelTool(
        "get_profile",
        "The customer's contact details, language, preferred channel, addresses and masked "
        "payment methods.",
        NoArgs,
        "verified",
        TurnTools.profile,
    ),
    ModelTool(
        "list_orders",
        "The customer's newest orders with their status.",
        ListOrdersArgs,
        "verified",
        TurnTools.orders,
    ),
    ModelTool(
        "get_order",
        "One of the customer's orders in full: items (with their ids), payments, shipments, "
        "shipping address, return deadline.",
        OrderArgs,
        "verified",
        TurnTools.order,
    ),
    ModelTool(
        "track_order",
        "Where the parcels of one of the customer's orders are, with the carrier's scans.",
        OrderArgs,
        "verified",
        TurnTools.tracking,
    ),
    ModelTool(
        "get_refund_status",
        "The refunds and returns of one of the customer's orders, with their status.",
        OrderArgs,
        "verified",
        TurnTools.refunds,
    ),
    ModelTool(
        "list_tickets",
        "The customer's support tickets, newest first.",
        TicketsArgs,
        "verified",
        TurnTools.tickets,
    ),
    ModelTool(
        "cancel_order",
        "Propose cancelling a pending order; the customer is then asked to confirm.",
        CancelArgs,
        "verified",
        TurnTools.cancel,
    ),
    ModelTool(
        "change_shipping_address",
        "Propose a new shipping address for an order not yet shipped; the customer is then "
        "asked to confirm.",
        AddressArgs,
        "verified",
        TurnTools.change_address,
    ),
    ModelTool(
        "return_items",
        "Propose returning items of a delivered order (item ids from get_order); the customer "
        "is then asked to confirm. The refund follows once the items arrive.",
        ReturnArgs,
        "verified",
        TurnTools.return_items,
    ),
    ModelTool(
        "open_ticket",
        "Propose opening a support ticket (damaged item, late delivery, other problems); the "
        "customer is then asked to confirm.",
        TicketArgs,
        "verified",
        TurnTools.ticket,
    ),
    ModelTool(
        "transfer_to_human",
        "Hand the conversation to a human agent.",
        HumanArgs,
        "anyone",
        TurnTools.human,
    ),
)
"""Every tool the model may be offered, by name."""


def make_confirmed_change(tools: CustomerTools, change: PendingChange) -> tuple[bool, JSON]:
    """Make the change the customer just confirmed, exactly as proposed; whether it was made,
    and its result (or error) for the model."""
    args = change["args"]
    try:
        result: BaseModel
        if change["action"] == "cancel_order":
            result = tools.cancel_order(args["order_id"], args["reason"])
        elif change["action"] == "change_shipping_address":
            result = tools.change_shipping_address(
                args["order_id"],
                line1=args["line1"],
                line2=args["line2"],
                city=args["city"],
                region=args["region"],
                postal_code=args["postal_code"],
                country=args["country"],
            )
        elif change["action"] == "return_items":
            result = tools.return_items(args["order_id"], args["items"], args["reason"])
        else:
            result = tools.open_ticket(
                subject=args["subject"],
                description=args["description"],
                category=args["category"],
                severity=args["severity"],
                order_id=args["order_id"],
            )
    except ToolError as error:
        return False, error_content(error)
    return True, _dump(result)


def change_call_args(change: PendingChange) -> dict[str, JSON]:
    """A confirmed change's arguments in the form the model's tool takes (items as a list)."""
    args = dict(change["args"])
    if change["action"] == "return_items":
        items = args["items"]
        assert isinstance(items, dict)
        args["items"] = [{"order_item_id": key, "quantity": count} for key, count in items.items()]
    return args
