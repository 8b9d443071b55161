"""What journey definitions say about the customer and the moment: field paths, `{{ templates }}`,
conditions, and how they are evaluated against a `Resolver`.

A field path starts with a root:

| root | what |
|---|---|
| `event.<property>` | the event that moved the journey last (the trigger, then awaited ones) |
| `trigger.<property>` | the event that started the journey |
| `profile.<fact>` | the CDP profile now (`PROFILE_FIELDS`, or `profile.traits.<trait>`) |
| `customer.<field>` | the customer record (`CUSTOMER_FIELDS`) |
| `journey.<field>` | the journey run: `id`, `name`, `version`, `instance` |
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Annotated, Any, Protocol

from pydantic import BaseModel, ConfigDict, Field, PlainValidator, field_validator, model_validator

PROFILE_FIELDS = frozenset(
    {
        "id",
        "customer_id",
        "anonymous",
        "timezone",
        "preferred_channel",
        "lifetime_value_cents",
        "open_tickets",
        "open_critical_tickets",
        "recent_sentiment",
        "cart_value_cents",
        "cart_items",
        "last_agent_id",
        "last_survey_positive",
        "holds",
        "held_purposes",
    }
)
CUSTOMER_FIELDS = frozenset(
    {"first_name", "last_name", "language", "tier", "timezone", "preferred_channel"}
)
JOURNEY_FIELDS = frozenset({"id", "name", "version", "instance"})
ROOTS = ("event", "trigger", "profile", "customer", "journey")

_PATH = re.compile(r"^[a-z_]+(\.[A-Za-z0-9_-]+)+$")
_TEMPLATE = re.compile(r"\{\{\s*([^{}]*?)\s*\}\}")


def check_path(path: str) -> str:
    """`path` when it names something a journey can read, else a ValueError saying why."""
    if not _PATH.match(path):
        raise ValueError(
            f"invalid field '{path}' (use event.<property>, trigger.<property>, "
            "profile.<fact>, customer.<field> or journey.<field>)"
        )
    root, _, rest = path.partition(".")
    if root not in ROOTS:
        raise ValueError(f"unknown field '{path}' (a field starts with {', '.join(ROOTS)})")
    allowed = {"profile": PROFILE_FIELDS, "customer": CUSTOMER_FIELDS, "journey": JOURNEY_FIELDS}
    if root in allowed:
        head, _, tail = rest.partition(".")
        nested_trait = root == "profile" and head == "traits" and tail
        if not nested_trait and (rest not in allowed[root]):
            names = sorted(allowed[root]) + (["traits.<name>"] if root == "profile" else [])
            raise ValueError(f"unknown field '{path}' (known: {', '.join(names)})")
    return path


def check_templates(text: str) -> str:
    """`text` when each `{{ path }}` in it names a known field, else a ValueError."""
    for match in _TEMPLATE.finditer(text):
        check_path(match.group(1))
    leftover = _TEMPLATE.sub("", text)
    if "{{" in leftover or "}}" in leftover:
        raise ValueError("unbalanced '{{' or '}}' in template")
    return text


def check_value_templates(value: object) -> object:
    """Check templates in every string of a JSON-like value (webhook bodies, traits)."""
    if isinstance(value, str):
        check_templates(value)
    elif isinstance(value, dict):
        for item in value.values():
            check_value_templates(item)
    elif isinstance(value, list):
        for item in value:
            check_value_templates(item)
    return value


class Resolver(Protocol):
    def resolve(self, path: str) -> Any:
        """The value at a checked field path, or None when there is none."""
        ...


def render(text: str, resolver: Resolver) -> str:
    """`text` with each `{{ path }}` replaced by its value (empty when there is none)."""
    return _TEMPLATE.sub(lambda match: _as_text(resolver.resolve(match.group(1))), text)


def render_value(value: Any, resolver: Resolver) -> Any:
    """A JSON-like value with templates rendered; a string that is one template only keeps the
    type of what it names (a number stays a number)."""
    if isinstance(value, str):
        whole = _TEMPLATE.fullmatch(value.strip())
        if whole is not None:
            return resolver.resolve(whole.group(1))
        return render(value, resolver)
    if isinstance(value, dict):
        return {key: render_value(item, resolver) for key, item in value.items()}
    if isinstance(value, list):
        return [render_value(item, resolver) for item in value]
    return value


def _as_text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _scalar(value: object) -> object:
    if value is None or isinstance(value, str | int | float | bool):
        if isinstance(value, str):
            check_templates(value)
        return value
    raise ValueError("must be a text, a number, true/false or null")


def _scalars(value: object) -> list[object]:
    if not isinstance(value, list) or not value:
        raise ValueError("must be a non-empty list of values")
    return [_scalar(item) for item in value]


Scalar = Annotated[object, PlainValidator(_scalar)]
Scalars = Annotated[list[object], PlainValidator(_scalars)]

OPERATORS = (
    "equals",
    "not_equals",
    "in",
    "not_in",
    "above",
    "below",
    "at_least",
    "at_most",
    "exists",
    "contains",
    "starts_with",
)


class Condition(BaseModel):
    """A test on a field (`{field: event.positive, equals: true}`), or `all`/`any`/`not` of
    other conditions."""

    model_config = ConfigDict(frozen=True, extra="forbid", populate_by_name=True)

    field: str | None = None
    equals: Scalar = None
    not_equals: Scalar = None
    in_: Scalars | None = Field(default=None, alias="in")
    not_in: Scalars | None = None
    above: float | None = None
    below: float | None = None
    at_least: float | None = None
    at_most: float | None = None
    exists: bool | None = None
    contains: Scalar = None
    starts_with: str | None = None
    all: list[Condition] | None = Field(default=None, min_length=1)
    any: list[Condition] | None = Field(default=None, min_length=1)
    not_: Condition | None = Field(default=None, alias="not")

    @field_validator("field")
    @classmethod
    def _known_field(cls, value: str | None) -> str | None:
        return None if value is None else check_path(value)

    @model_validator(mode="after")
    def _one_form(self) -> Condition:
        given = self.model_fields_set
        groups = [name for name in ("all", "any", "not_") if name in given]
        operators = [name for name in self.operator_fields() if name in given]
        if groups:
            if len(groups) > 1 or operators or self.field is not None:
                raise ValueError("a condition is either a test on a field or one of all/any/not")
            return self
        if self.field is None:
            raise ValueError(
                "give a field and one operator (" + ", ".join(OPERATORS) + "), or all/any/not"
            )
        if len(operators) != 1:
            raise ValueError(
                f"give exactly one operator for field '{self.field}' (" + ", ".join(OPERATORS) + ")"
            )
        return self

    @staticmethod
    def operator_fields() -> tuple[str, ...]:
        return tuple("in_" if name == "in" else name for name in OPERATORS)


def holds(condition: Condition, resolver: Resolver) -> bool:
    """Whether the condition is true now."""
    if condition.all is not None:
        return all(holds(item, resolver) for item in condition.all)
    if condition.any is not None:
        return any(holds(item, resolver) for item in condition.any)
    if condition.not_ is not None:
        return not holds(condition.not_, resolver)
    assert condition.field is not None
    actual = resolver.resolve(condition.field)
    operator = next(
        name for name in condition.operator_fields() if name in condition.model_fields_set
    )
    expected = render_value(getattr(condition, operator), resolver)
    return _test(operator, actual, expected)


def holds_all(conditions: Sequence[Condition], resolver: Resolver) -> bool:
    return all(holds(condition, resolver) for condition in conditions)


def _test(operator: str, actual: Any, expected: Any) -> bool:
    if operator == "equals":
        return _same(actual, expected)
    if operator == "not_equals":
        return not _same(actual, expected)
    if operator == "in_":
        return any(_same(actual, item) for item in expected)
    if operator == "not_in":
        return not any(_same(actual, item) for item in expected)
    if operator == "exists":
        return (actual is not None) == bool(expected)
    if operator == "contains":
        if isinstance(actual, str) and isinstance(expected, str):
            return expected in actual
        return isinstance(actual, list) and any(_same(item, expected) for item in actual)
    if operator == "starts_with":
        return isinstance(actual, str) and actual.startswith(str(expected))
    if not _is_number(actual):
        return False
    number, bound = float(actual), float(expected)
    return {
        "above": number > bound,
        "below": number < bound,
        "at_least": number >= bound,
        "at_most": number <= bound,
    }[operator]


def _is_number(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _same(actual: object, expected: object) -> bool:
    """Equality without Python's `True == 1`: booleans only equal booleans."""
    if isinstance(actual, bool) or isinstance(expected, bool):
        return isinstance(actual, bool) and isinstance(expected, bool) and actual == expected
    if _is_number(actual) and _is_number(expected):
        return float(actual) == float(expected)  # type: ignore[arg-type]
    return actual == expected
