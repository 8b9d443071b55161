"""The one HTTP client of the tool adapters: auth, timeouts, retries and typed errors.

Every call is retried on connection errors, timeouts, 429 and 5xx with a short exponential
backoff: reads and PUT/PATCH are idempotent by nature, and every POST carries an
`Idempotency-Key` (the same on each retry) so the server runs it once. When the retries are
exhausted the call raises `UnavailableError`; 4xx answers become the typed error their
problem+json body names.
"""

from __future__ import annotations

import functools
import random
import ssl
import time
import uuid
from collections.abc import Mapping
from typing import Any, TypeVar
from urllib.parse import quote

import httpx
from pydantic import BaseModel, TypeAdapter, ValidationError

from tools.errors import ToolError, UnavailableError
from tools.problems import error_from_problem
from tools.types import describe_validation_error

T = TypeVar("T")

RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})
MAX_RETRY_AFTER = 2.0
"""Longest wait a server's `Retry-After` may impose between two attempts, in seconds."""


def path(*segments: str) -> str:
    """A URL path from raw segments, each percent-encoded: `path("customers", "a/b")`."""
    return "/".join(quote(segment, safe="") for segment in segments)


class HttpToolClient:
    """Calls one company REST API under the tools contract (`docs/tools-http-contract.md`)."""

    def __init__(
        self,
        base_url: str,
        *,
        service: str,
        token: str | None,
        timeout: float,
        retries: int,
        backoff: float = 0.1,
    ) -> None:
        headers = {"Accept": "application/json", "User-Agent": "cerebro-tools"}
        if token:
            headers["Authorization"] = f"Bearer {token}"
        self._http = httpx.Client(
            base_url=base_url, headers=headers, timeout=httpx.Timeout(timeout), verify=_tls()
        )
        self.service = service
        self._retries = retries
        self._backoff = backoff

    def close(self) -> None:
        self._http.close()

    def call(
        self,
        method: str,
        url_path: str,
        result: TypeAdapter[T],
        *,
        params: Mapping[str, str | int] | None = None,
        body: BaseModel | None = None,
        idempotency_key: str | None = None,
    ) -> T:
        """Send the request (retrying as documented above) and parse the answer as `result`.
        A POST carries `idempotency_key`, or a fresh one."""
        headers = {}
        content = None
        if body is not None:
            headers["Content-Type"] = "application/json"
            content = body.model_dump_json(exclude_none=True)
        if method == "POST":
            headers["Idempotency-Key"] = idempotency_key or str(uuid.uuid4())
        attempts = self._retries + 1
        for attempt in range(attempts):
            wait = self._backoff * 2**attempt + random.uniform(0, self._backoff)
            try:
                response = self._http.request(
                    method, url_path, params=params, content=content, headers=headers
                )
            except httpx.TransportError as error:
                failure = f"{self.service} could not be reached ({type(error).__name__})"
            else:
                if response.status_code not in RETRY_STATUSES:
                    return self._parse(response, result)
                failure = f"{self.service} answered HTTP {response.status_code}{_detail(response)}"
                wait = max(wait, _retry_after(response))
            if attempt + 1 < attempts:
                time.sleep(wait)
        raise UnavailableError(f"{failure}; gave up after {attempts} attempt(s)")

    def _parse(self, response: httpx.Response, result: TypeAdapter[T]) -> T:
        if response.status_code >= 400:
            raise self._error(response)
        if not response.is_success:
            raise UnavailableError(
                f"{self.service} answered HTTP {response.status_code}, which the contract "
                "does not allow"
            )
        try:
            return result.validate_json(response.content)
        except ValidationError as error:
            raise UnavailableError(
                f"{self.service} answered with a body that breaks the contract: "
                f"{describe_validation_error(error)}"
            ) from None

    def _error(self, response: httpx.Response) -> ToolError:
        status = response.status_code
        if status in (401, 403):
            return UnavailableError(
                f"{self.service} refused the credentials (HTTP {status}); check CEREBRO_TOOLS_TOKEN"
            )
        return error_from_problem(status, _json(response), f"{self.service} answered HTTP {status}")


@functools.cache
def _tls() -> ssl.SSLContext:
    """One TLS context shared by every client: building one reads the CA bundle (~0.1 s)."""
    return httpx.create_ssl_context()


def _json(response: httpx.Response) -> Any:
    try:
        return response.json()
    except ValueError:
        return None


def _detail(response: httpx.Response) -> str:
    body = _json(response)
    detail = body.get("detail") if isinstance(body, dict) else None
    return f": {detail}" if isinstance(detail, str) and detail else ""


def _retry_after(response: httpx.Response) -> float:
    """The server's `Retry-After` in seconds (capped), or 0 when absent or a date."""
    try:
        return min(float(response.headers.get("Retry-After", "0")), MAX_RETRY_AFTER)
    except ValueError:
        return 0.0
