"""Settings of the journey runtime and its KPIs, read from `CEREBRO_*` variables like
`cerebro.settings.Settings` (documented in the README's configuration table)."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from memory.vocabulary import Channel

DEFAULT_CHANNEL_COSTS: dict[Channel, float] = {
    "email": 0.1,
    "sms": 5.0,
    "whatsapp": 3.0,
    "in_app": 0.0,
}


class JourneySettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="CEREBRO_", extra="ignore")

    journeys_dir: Path | None = Field(
        default=None,
        description="Folder of journey YAML files loaded at start (e.g. journeys/examples); "
        "a changed file becomes a new version.",
    )
    webhook_timeout: float = Field(
        default=5.0, gt=0, le=60, description="Seconds a journey webhook call may take."
    )
    kpi_channel_costs: dict[Channel, float] = Field(
        default_factory=lambda: dict(DEFAULT_CHANNEL_COSTS),
        description='Cost of one message per channel, in cents (JSON: {"sms": 5, ...}).',
    )
    kpi_agent_minute_cost: float = Field(
        default=50.0, ge=0, description="Cost of one minute of a human agent, in cents."
    )
    kpi_currency: str = Field(
        default="EUR", min_length=3, max_length=3, description="Currency of the costs."
    )
    kpi_attribution_window: timedelta = Field(
        default=timedelta(days=7),
        description="An order within this time after a journey's message counts as revenue "
        "of that journey (ISO 8601 duration, e.g. P7D).",
    )
