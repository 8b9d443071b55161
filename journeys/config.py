"""The engine's own settings, read from the environment like `cerebro.settings.Settings`."""

from __future__ import annotations

import hashlib
import hmac
from pathlib import Path
from typing import Annotated, Literal

import yaml
from pydantic import AwareDatetime, Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from journeys.policy import PolicyConfig


class EngineSettings(BaseSettings):
    """Settings of the journeys engine (documented in the README's configuration table)."""

    model_config = SettingsConfigDict(env_prefix="CEREBRO_", extra="ignore")

    write_keys: Annotated[tuple[SecretStr, ...], NoDecode] = Field(
        default=(), description="Comma-separated keys that may send events to /v1/*."
    )
    clock: Literal["system", "simulated"] = Field(
        default="system",
        description="'simulated': time moves only when told to (tests and demos, never "
        "production).",
    )
    clock_start: AwareDatetime | None = Field(
        default=None, description="Where a new simulated clock starts; default: the wall clock."
    )
    policy_file: Path | None = Field(
        default=None, description="YAML file with the policy rules; default: built-in rules."
    )
    due_interval: float = Field(
        default=5.0, gt=0, description="Seconds between checks for deferred sends that are due."
    )
    event_max_bytes: int = Field(
        default=32 * 1024,
        ge=1024,
        description="Largest message (bytes of JSON) that /v1/identify, /track, /page and /alias "
        "accept, and largest item of a batch.",
    )
    batch_max_bytes: int = Field(
        default=500 * 1024, ge=1024, description="Largest /v1/batch body, in bytes."
    )
    bus_partitions: int = Field(
        default=8,
        ge=1,
        le=1024,
        description="Streams the scaled event bus spreads customers over (the same in every "
        "API and worker process).",
    )
    bus_prefix: str = Field(
        default="cerebro",
        min_length=1,
        max_length=64,
        description="Prefix of the event bus's Redis keys (several deployments on one Redis).",
    )
    bus_lease: float = Field(
        default=10.0,
        gt=0,
        description="Seconds a worker's hold on a bus partition lasts unless renewed.",
    )
    batch_max_items: int = Field(
        default=500, ge=1, le=10_000, description="Most messages in one /v1/batch."
    )

    @field_validator("write_keys", mode="before")
    @classmethod
    def _comma_separated(cls, value: object) -> object:
        if isinstance(value, str):
            return tuple(key.strip() for key in value.split(",") if key.strip())
        return value

    def policy(self) -> PolicyConfig:
        """The policy rules: from `policy_file` when set, else the defaults."""
        if self.policy_file is None:
            return PolicyConfig()
        loaded = yaml.safe_load(self.policy_file.read_text(encoding="utf-8")) or {}
        return PolicyConfig.model_validate(loaded)

    def source_key(self, presented: str) -> str | None:
        """The source key (a fingerprint, never the key) of a valid write key, else None."""
        for key in self.write_keys:
            if hmac.compare_digest(key.get_secret_value().encode(), presented.encode()):
                return write_key_fingerprint(presented)
        return None


def write_key_fingerprint(key: str) -> str:
    """What the events table stores for a write key: enough to tell keys apart, not the key."""
    return "wk:" + hashlib.sha256(key.encode()).hexdigest()[:24]
