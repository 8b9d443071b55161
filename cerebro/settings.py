"""Configuration from environment variables (pydantic-settings).

Every setting is documented in the README's configuration table; keep the two in step.
"""

from __future__ import annotations

from functools import cached_property
from pathlib import Path

from pydantic import AliasChoices, Field, SecretStr, ValidationError
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    """Settings read from `CEREBRO_*` variables (and the OpenAI client's own names)."""

    model_config = SettingsConfigDict(env_prefix="CEREBRO_", extra="ignore")

    data_dir: Path = Field(
        default=Path("./var"), description="Folder for everything stored locally."
    )
    database_url: str | None = Field(
        default=None,
        description="SQLAlchemy URL; defaults to SQLite at DATA_DIR/cerebro.db.",
    )
    redis_url: str | None = Field(
        default=None, description="Redis URL for the scaled deployment's event bus."
    )
    log_level: str = Field(default="INFO", description="Python logging level.")
    log_format: str = Field(default="json", description="'json' or 'text'.")

    openai_api_key: SecretStr | None = Field(
        default=None, validation_alias=AliasChoices("OPENAI_API_KEY", "CEREBRO_OPENAI_API_KEY")
    )
    openai_base_url: str | None = Field(
        default=None, validation_alias=AliasChoices("OPENAI_BASE_URL", "CEREBRO_OPENAI_BASE_URL")
    )
    llm_model: str = Field(default="gpt-4o-mini", description="Model name for the LLM brain.")
    llm_timeout: float = Field(default=15.0, gt=0, description="Seconds one LLM request may take.")
    llm_budget: float = Field(
        default=25.0, gt=0, description="Seconds all LLM requests of one turn step may take."
    )
    llm_streaming: bool = Field(default=False, description="Ask the LLM for streamed answers.")
    chroma_url: str | None = Field(
        default=None, description="chromadb server (`chroma run`); else DATA_DIR/chroma."
    )

    crm_url: str | None = Field(default=None, description="Company CRM REST API; else embedded.")
    logistics_url: str | None = Field(
        default=None, description="Company order/logistics REST API; else embedded."
    )
    messaging_url: str | None = Field(
        default=None, description="Company messaging REST API; else embedded outbox."
    )
    routing_url: str | None = Field(
        default=None, description="Company human-routing REST API; else embedded."
    )
    tools_token: SecretStr | None = Field(
        default=None, description="Bearer token sent to the company REST APIs."
    )
    tools_timeout: float = Field(default=5.0, gt=0, description="Seconds per HTTP tool call.")
    tools_retries: int = Field(default=2, ge=0, le=10, description="Retries on 5xx/timeouts.")

    admin_token: SecretStr | None = Field(
        default=None, description="Bearer token for admin endpoints."
    )
    widget_origins: str | None = Field(
        default=None,
        description="Comma-separated origins of the sites embedding the chat widget (CORS).",
    )
    identity_misses_per_client: int = Field(
        default=10,
        ge=1,
        description="Identity checks matching no customer that one client (caller address) may "
        "make in the chat across conversations, per identity_miss_window.",
    )
    identity_miss_window: float = Field(
        default=3600.0, gt=0, description="Seconds an identity check that missed counts."
    )

    @cached_property
    def resolved_database_url(self) -> str:
        """The database URL in force: the configured one, or SQLite inside the data folder."""
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.data_dir / 'cerebro.db').resolve()}"


def env_name(field: str) -> str:
    """The environment variable that sets `field`."""
    alias = Settings.model_fields[field].validation_alias
    if isinstance(alias, AliasChoices):
        return str(alias.choices[0])
    return f"CEREBRO_{field.upper()}"


def describe_error(error: ValidationError) -> str:
    """A one-line-per-problem message naming the environment variables at fault."""
    lines = []
    for item in error.errors():
        field = str(item["loc"][0]) if item["loc"] else ""
        name = env_name(field) if field in Settings.model_fields else field
        lines.append(f"{name}: {item['msg']}")
    return "Invalid configuration:\n  " + "\n  ".join(lines)


def get_settings() -> Settings:
    """Settings as the environment says now (a fresh read each call, so tests can change it)."""
    return Settings()
