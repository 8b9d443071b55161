"""The KPI dashboard page (`/dashboard`): plain HTML, CSS and JavaScript served by Cerebro itself
(no CDN); the page asks for the admin token and draws `GET /v1/kpis` as SVG charts."""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter
from fastapi.responses import FileResponse

router = APIRouter(include_in_schema=False)

STATIC = Path(__file__).with_name("static") / "dashboard"


@router.get("/dashboard")
def dashboard_page() -> FileResponse:
    return FileResponse(STATIC / "index.html", media_type="text/html")


@router.get("/dashboard/dashboard.js")
def dashboard_script() -> FileResponse:
    return FileResponse(STATIC / "dashboard.js", media_type="text/javascript")


@router.get("/dashboard/dashboard.css")
def dashboard_style() -> FileResponse:
    return FileResponse(STATIC / "dashboard.css", media_type="text/css")
