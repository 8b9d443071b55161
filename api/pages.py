"""The pages people open in a browser: for now the start page that points to the others."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import HTMLResponse

import cerebro

router = APIRouter(include_in_schema=False)

START_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Cerebro</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>
 body {{ font: 16px/1.5 system-ui, sans-serif; max-width: 42rem; margin: 3rem auto;
        padding: 0 1rem; color: #1f2933; }}
 h1 {{ margin-bottom: 0; }} .muted {{ color: #616e7c; }}
 a {{ color: #2563eb; }} li {{ margin: .4rem 0; }}
</style></head>
<body>
<h1>Cerebro</h1>
<p class="muted">Customer-journey orchestration brain &middot; version {version}</p>
<ul>
 <li><a href="/docs">API reference</a> (OpenAPI, try requests in the browser): chat, events,
  profiles, journeys, NLU and sentiment</li>
 <li><a href="/dashboard">Journey dashboard</a>: KPIs of the running journeys (admin token)</li>
 <li><a href="/readyz">Readiness</a>: is the database reachable and migrated?</li>
</ul>
</body></html>
"""


@router.get("/", response_class=HTMLResponse)
def start_page() -> str:
    return START_PAGE.format(version=cerebro.__version__)
