"""`POST /v1/nlu/parse`: what the offline brain understands of one customer turn.

The sentence model loads on the first request, not when the app starts.
"""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Request
from pydantic import BaseModel, Field, field_validator

from agent.nlu.parser import MAX_TEXT_LENGTH, Parser, default_parser
from agent.nlu.types import EntityKind, Intent

router = APIRouter(prefix="/v1/nlu", tags=["nlu"])


class ParseRequest(BaseModel):
    text: str = Field(
        min_length=1,
        max_length=MAX_TEXT_LENGTH,
        description="One customer turn.",
        examples=["¿Dónde está mi pedido 100042?"],
    )
    language: Literal["en", "es"] | None = Field(
        default=None, description="The turn's language; detected when left out."
    )

    @field_validator("text")
    @classmethod
    def _not_blank(cls, text: str) -> str:
        if not text.strip():
            raise ValueError("text must not be blank")
        return text


class EntityOut(BaseModel):
    kind: EntityKind
    value: str = Field(description="Normalized: ORD-100042, lower-case email, +34612345678...")
    start: int = Field(description="Where the entity starts in `text` (character offset).")
    end: int = Field(description="Where it ends, exclusive.")


class Alternative(BaseModel):
    intent: Intent
    confidence: float


class ParseResponse(BaseModel):
    intent: Intent
    confidence: float = Field(ge=0, le=1)
    entities: list[EntityOut]
    language: Literal["en", "es"]
    out_of_scope: bool
    alternatives: list[Alternative] = Field(description="The next most likely intents.")


def get_parser(request: Request) -> Parser:
    """The process's parser, keeping the examples' embeddings in the data folder's cache."""
    return default_parser(request.app.state.settings.data_dir / "cache")


@router.post(
    "/parse",
    response_model=ParseResponse,
    summary="Understand one customer turn: intent, entities, language, out of scope",
    responses={400: {"description": "Empty or too long text, or a language other than en/es"}},
)
def parse_turn(body: ParseRequest, parser: Annotated[Parser, Depends(get_parser)]) -> ParseResponse:
    understanding = parser.parse(body.text, body.language)
    return ParseResponse(
        intent=understanding.intent,
        confidence=understanding.confidence,
        entities=[
            EntityOut(kind=e.kind, value=e.value, start=e.start, end=e.end)
            for e in understanding.entities
        ],
        language=understanding.language,
        out_of_scope=understanding.out_of_scope,
        alternatives=[
            Alternative(intent=intent, confidence=confidence)
            for intent, confidence in understanding.alternatives
        ],
    )
