"""Configuration: environment variables, defaults, and the README table that documents them."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from pydantic import ValidationError

from cerebro.settings import Settings, env_name
from journeys.config import EngineSettings
from journeys.runtime_settings import JourneySettings

README = Path(__file__).resolve().parents[1] / "README.md"


def test_readme_table_lists_exactly_the_settings() -> None:
    text = README.read_text()
    table = text.split("<!-- settings-table:start -->")[1].split("<!-- settings-table:end -->")[0]
    documented = set(re.findall(r"^\| `([A-Z_]+)` \|", table, flags=re.MULTILINE))
    declared = {env_name(field) for field in Settings.model_fields}
    for feature_settings in (EngineSettings, JourneySettings):
        prefix = feature_settings.model_config.get("env_prefix", "")
        declared |= {f"{prefix}{field}".upper() for field in feature_settings.model_fields}
    assert documented == declared


def test_database_defaults_to_sqlite_inside_the_data_dir(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.delenv("CEREBRO_DATABASE_URL", raising=False)
    monkeypatch.setenv("CEREBRO_DATA_DIR", str(tmp_path))
    assert Settings().resolved_database_url == f"sqlite:///{tmp_path / 'cerebro.db'}"


def test_environment_overrides_defaults(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CEREBRO_DATABASE_URL", "postgresql://postgres@127.0.0.1/test")
    monkeypatch.setenv("OPENAI_BASE_URL", "http://127.0.0.1:9999/v1")
    monkeypatch.setenv("OPENAI_API_KEY", "sk-local")
    settings = Settings()
    assert settings.resolved_database_url == "postgresql://postgres@127.0.0.1/test"
    assert settings.openai_base_url == "http://127.0.0.1:9999/v1"
    assert settings.openai_api_key is not None
    assert "sk-local" not in repr(settings)


def test_a_bad_value_names_the_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CEREBRO_TOOLS_TIMEOUT", "-1")
    with pytest.raises(ValidationError, match="tools_timeout"):
        Settings()
