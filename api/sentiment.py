"""`POST /v1/sentiment`: the sentiment check the assistant runs on every customer turn, for any
texts (English or Spanish)."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from agent.runtime import default_sentiment_analyzer
from agent.sentiment import as_language
from api.problems import Problem

MAX_TEXTS = 100
MAX_TEXT = 2000

router = APIRouter(tags=["sentiment"])


class SentimentRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    texts: list[Annotated[str, StringConstraints(min_length=1, max_length=MAX_TEXT)]] = Field(
        min_length=1, max_length=MAX_TEXTS
    )
    language: str | None = None
    """`en`, `es` or a tag such as `es-MX`; detected per text when absent."""


class SentimentItem(BaseModel):
    label: Literal["negative", "neutral", "positive"]
    score: float
    """From -1 (clearly negative) to 1 (clearly positive)."""
    language: Literal["en", "es"]


class SentimentResponse(BaseModel):
    results: list[SentimentItem]
    """One per text, in the order given."""


@router.post(
    "/v1/sentiment", response_model=SentimentResponse, summary="Label the sentiment of texts"
)
def sentiment(body: SentimentRequest) -> SentimentResponse:
    if body.language is not None:
        try:
            as_language(body.language)
        except ValueError as error:
            raise Problem(400, str(error), type_="/problems/validation") from None
    results = default_sentiment_analyzer().analyze_batch(body.texts, body.language)
    return SentimentResponse(
        results=[
            SentimentItem(label=r.label, score=round(r.score, 4), language=r.language)
            for r in results
        ]
    )
