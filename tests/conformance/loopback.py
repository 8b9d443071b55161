"""Real servers on 127.0.0.1 for the HTTP variants: uvicorn for ASGI apps, and scripted
`http.server` servers whose answers a test lists in advance."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from tests.web import serve_in_thread

STARTUP_TIMEOUT = 10.0


class SwitchableApp:
    """An ASGI app that forwards to whichever app a test mounted (503 when none is)."""

    def __init__(self) -> None:
        self.app: ASGIApp | None = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if self.app is None:
            await send({"type": "http.response.start", "status": 503, "headers": []})
            await send({"type": "http.response.body", "body": b"no app mounted"})
            return
        await self.app(scope, receive, send)


class LoseFirstAnswer:
    """Runs every request, but replaces the answer to the first POST with a 503, as if a proxy
    lost it after the server had done the work."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self.lost = 0

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] != "POST" or self.lost:
            await self.app(scope, receive, send)
            return
        self.lost += 1

        async def swallow(_message: Message) -> None:
            return None

        await self.app(scope, receive, swallow)
        body = json.dumps({"status": 503, "detail": "the proxy lost the answer"}).encode()
        headers = [(b"content-type", b"application/problem+json")]
        await send({"type": "http.response.start", "status": 503, "headers": headers})
        await send({"type": "http.response.body", "body": body})


@contextmanager
def serve_asgi(app: ASGIApp) -> Iterator[str]:
    """Serve `app` with uvicorn on a free loopback port; yields its base URL."""
    with serve_in_thread(
        app, startup_timeout=STARTUP_TIMEOUT, lifespan="off", log_level="warning"
    ) as base_url:
        yield base_url


@dataclass(frozen=True)
class Answer:
    """One canned answer: status, JSON body (or raw text), and how long to stall before it."""

    status: int
    body: Any = None
    content_type: str = "application/json"
    stall: float = 0.0


@dataclass(frozen=True)
class Seen:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes


@dataclass
class Script:
    """Answers given in order (the last one repeats) and the requests seen."""

    answers: list[Answer]
    seen: list[Seen] = field(default_factory=list)
    release: threading.Event = field(default_factory=threading.Event)
    """Set when the test ends, so stalled handlers return at once."""

    def next_answer(self, request: Seen) -> Answer:
        self.seen.append(request)
        return self.answers[min(len(self.seen), len(self.answers)) - 1]


@contextmanager
def serve_script(*answers: Answer) -> Iterator[tuple[str, Script]]:
    """A tiny HTTP server answering from `answers`; yields its base URL and the script."""
    script = Script(list(answers))

    class Handler(BaseHTTPRequestHandler):
        def _handle(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            seen = Seen(self.command, self.path, dict(self.headers), self.rfile.read(length))
            answer = script.next_answer(seen)
            if answer.stall:
                script.release.wait(answer.stall)
            raw = answer.body if isinstance(answer.body, str) else json.dumps(answer.body)
            payload = raw.encode()
            try:
                self.send_response(answer.status)
                self.send_header("Content-Type", answer.content_type)
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)
            except OSError:
                return  # the client gave up waiting: that is what a stall tests

        do_GET = do_POST = do_PUT = do_PATCH = _handle

        def log_message(self, format: str, *args: Any) -> None:
            return None

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, args=(0.02,), daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", script
    finally:
        script.release.set()
        server.shutdown()
        server.server_close()
        thread.join(STARTUP_TIMEOUT)
