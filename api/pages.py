"""The pages people open in a browser: the start page, the customer chat widget (the script a
site embeds, and a demo shop page showing it) and the agent console. Plain HTML, CSS and
JavaScript served by Cerebro itself, no framework, no CDN."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, FastAPI, Query
from fastapi.middleware.cors import CORSMiddleware
from fastapi.responses import FileResponse, HTMLResponse

import cerebro
from cerebro.settings import Settings
from memory.vocabulary import Language

router = APIRouter(include_in_schema=False)

STATIC = Path(__file__).with_name("static")

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
 <li><a href="/widget">Chat widget demo</a>: a shop page with the customer chat widget
  (<a href="/widget?lang=en">English</a>, <a href="/widget?lang=es">Español</a>)</li>
 <li><a href="/console">Agent console</a>: the escalation queue, summaries and live takeover
  (admin token)</li>
 <li><a href="/dashboard">Journey dashboard</a>: KPIs of the running journeys (admin token)</li>
 <li><a href="/readyz">Readiness</a>: is the database reachable and migrated?</li>
</ul>
</body></html>
"""


@router.get("/", response_class=HTMLResponse)
def start_page() -> str:
    return START_PAGE.format(version=cerebro.__version__)


# --- the customer chat widget --------------------------------------------------------------------

DEMO_WORDS: dict[str, dict[str, str]] = {
    "en": {
        "__NAV_NEW__": "New in",
        "__NAV_ORDERS__": "My orders",
        "__HEADLINE__": "Autumn essentials",
        "__NOTE__": "A demo shop page. The chat button at the bottom right is Cerebro's widget, "
        "added with one tag:",
    },
    "es": {
        "__NAV_NEW__": "Novedades",
        "__NAV_ORDERS__": "Mis pedidos",
        "__HEADLINE__": "Imprescindibles de otoño",
        "__NOTE__": "Una tienda de demostración. El botón de chat abajo a la derecha es el widget "
        "de Cerebro, añadido con una etiqueta:",
    },
}


def allow_widget_origins(app: FastAPI, settings: Settings) -> None:
    """Let the browsers of the sites embedding the widget (`CEREBRO_WIDGET_ORIGINS`) call the
    API from their own origin. Credentials are bearer tokens, never cookies."""
    origins = [o.strip().rstrip("/") for o in (settings.widget_origins or "").split(",")]
    if any(origins):
        app.add_middleware(
            CORSMiddleware,
            allow_origins=[origin for origin in origins if origin],
            allow_methods=["GET", "POST"],
            allow_headers=["authorization", "content-type", "last-event-id"],
            max_age=600,
        )


@router.get("/widget.js")
def widget_script() -> FileResponse:
    return FileResponse(STATIC / "widget" / "widget.js", media_type="text/javascript")


@router.get("/widget/widget.css")
def widget_style() -> FileResponse:
    return FileResponse(STATIC / "widget" / "widget.css", media_type="text/css")


@router.get("/widget", response_class=HTMLResponse)
def widget_demo(lang: Annotated[Language | None, Query()] = None) -> str:
    """The demo shop; `?lang=` sets the widget's `data-lang`, else it follows the browser."""
    page = (STATIC / "widget" / "demo.html").read_text(encoding="utf-8")
    attribute = f' data-lang="{lang}"' if lang else ""
    for placeholder, text in DEMO_WORDS[lang or "en"].items():
        page = page.replace(placeholder, text)
    return (
        page.replace("__PAGE_LANG__", lang or "en")
        .replace("__LANG_ATTRIBUTE__", attribute)
        .replace("__LANG_SHOWN__", attribute.replace('"', "&quot;"))
    )


# --- the agent console ---------------------------------------------------------------------------


@router.get("/console")
def console_page() -> FileResponse:
    return FileResponse(STATIC / "console" / "index.html", media_type="text/html")


@router.get("/console/console.js")
def console_script() -> FileResponse:
    return FileResponse(STATIC / "console" / "console.js", media_type="text/javascript")


@router.get("/console/console.css")
def console_style() -> FileResponse:
    return FileResponse(STATIC / "console" / "console.css", media_type="text/css")
