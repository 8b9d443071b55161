"""Helpers for the eval tests: the `cerebro` command in-process, and transcripts picked from the
bundled suite."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

from cerebro.cli import app
from evals.loading import bundled_suite


@pytest.fixture(scope="session")
def eval_data_dir(pytestconfig: pytest.Config, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """CEREBRO_DATA_DIR for eval runs: pytest's cache, so the NLU's example embeddings and the
    knowledge-base index are computed once, not on every run."""
    if pytestconfig.cache is not None:
        return pytestconfig.cache.mkdir("cerebro-eval")
    return tmp_path_factory.mktemp("cerebro-eval")


def run_cli(data_dir: Path, *arguments: str, environment: dict[str, str] | None = None) -> Result:
    """`cerebro ARGS...` in-process, with no LLM endpoint unless `environment` gives one."""
    env: dict[str, str | None] = {
        "CEREBRO_DATA_DIR": str(data_dir),
        "OPENAI_BASE_URL": None,
        "OPENAI_API_KEY": None,
        **(environment or {}),
    }
    return CliRunner().invoke(app, list(arguments), env=env)


@pytest.fixture
def cerebro(eval_data_dir: Path) -> Callable[..., Result]:
    """Run `cerebro ARGS...` with the offline brain, no LLM endpoint configured."""
    return lambda *arguments: run_cli(eval_data_dir, *arguments)


def suite_lines(*ids: str) -> list[str]:
    """The bundled suite's JSONL lines of these transcripts, in this order."""
    found: dict[str, str] = {}
    for file in sorted(bundled_suite().glob("*.jsonl")):
        for line in file.read_text("utf-8").splitlines():
            if line.strip():
                found[json.loads(line)["id"]] = line
    return [found[i] for i in ids]


def write_suite_subset(path: Path, *ids: str) -> Path:
    path.write_text("".join(line + "\n" for line in suite_lines(*ids)), "utf-8")
    return path
