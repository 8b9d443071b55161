"""Webhook calls of journey steps: one HTTP request with a JSON body and a hard timeout.

A call is retried by the runtime's job queue (not here), so each carries an `Idempotency-Key`
that stays the same on every retry: the receiver can drop repeats.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

import httpx

import cerebro

MAX_ERROR_BODY = 300


class WebhookError(Exception):
    """The call failed: no answer in time, no connection, or a status other than 2xx."""


def call_webhook(
    url: str,
    *,
    method: str,
    body: Any,
    headers: Mapping[str, str],
    timeout: float,
    idempotency_key: str,
) -> None:
    """Send `body` as JSON; raises `WebhookError` unless the answer is 2xx within `timeout`."""
    sent_headers = {
        "Content-Type": "application/json",
        "User-Agent": f"cerebro-journeys/{cerebro.__version__}",
        "Idempotency-Key": idempotency_key,
        **headers,
    }
    try:
        with httpx.Client(timeout=httpx.Timeout(timeout)) as client:
            response = client.request(
                method, url, content=json.dumps(body, default=str), headers=sent_headers
            )
    except httpx.TimeoutException:
        raise WebhookError(f"{method} {url}: no answer within {timeout:g} s") from None
    except httpx.HTTPError as error:
        raise WebhookError(f"{method} {url}: {type(error).__name__}: {error}") from None
    if not response.is_success:
        excerpt = response.text[:MAX_ERROR_BODY]
        raise WebhookError(f"{method} {url}: HTTP {response.status_code} {excerpt}".rstrip())
