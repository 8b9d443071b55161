"""Crash safety: kill `cerebro serve` mid-conversation, start it again, and the conversation goes
on from its last checkpoint (SQLite in the data folder, or PostgreSQL)."""

from __future__ import annotations

import os
import signal
import subprocess
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.agent.test_api import prefill_nlu_cache
from tests.services import postgres_schema
from tests.test_serve import CEREBRO, start_serve
from tests.web import free_port

TIMEOUT = httpx.Timeout(120.0)


def play_across_a_crash(env: dict[str, str], data_dir: Path, nlu_cache: Path) -> None:
    seeded = subprocess.run(
        [CEREBRO, "seed", "--customers", "8"], env=env, capture_output=True, text=True
    )
    assert seeded.returncode == 0, seeded.stderr
    prefill_nlu_cache(nlu_cache, data_dir)
    port = free_port()
    base = f"http://127.0.0.1:{port}/v1/conversations"
    server = start_serve(env, port)
    try:
        with httpx.Client(timeout=TIMEOUT) as client:
            created = client.post(base, json={"language": "es"}).json()
            url, headers = (
                f"{base}/{created['id']}",
                {"Authorization": f"Bearer {created['token']}"},
            )
            client.post(
                f"{url}/messages", json={"text": "Quiero cancelar mi pedido"}, headers=headers
            )
            proposal = client.post(
                f"{url}/messages", json={"text": "maria.garcia@example.com"}, headers=headers
            ).json()
            assert "ORD-100005" in proposal["reply"] and "¿Lo cancelo?" in proposal["reply"]
    finally:
        server.send_signal(signal.SIGKILL)
        server.wait(timeout=30)

    restarted = start_serve(env, port)
    try:
        with httpx.Client(timeout=TIMEOUT) as client:
            done = client.post(f"{url}/messages", json={"text": "sí"}, headers=headers)
            assert done.status_code == 200, done.text
            assert "el pedido ORD-100005 está cancelado" in done.json()["reply"]
            turns = client.get(f"{url}/transcript", headers=headers).json()["turns"]
            assert [t["offset"] for t in turns] == list(range(6))
            assert turns[0]["text"] == "Quiero cancelar mi pedido"
    finally:
        restarted.terminate()
        _, stderr = restarted.communicate(timeout=30)
    assert b"Traceback" not in stderr


@pytest.fixture
def env(tmp_path: Path) -> Iterator[dict[str, str]]:
    values = {**os.environ, "CEREBRO_DATA_DIR": str(tmp_path), "CEREBRO_LOG_LEVEL": "WARNING"}
    values.pop("CEREBRO_DATABASE_URL", None)
    values.pop("CEREBRO_REDIS_URL", None)
    yield values


@pytest.mark.usefixtures("parser")  # fills the NLU cache the served process starts from
def test_sqlite_conversation_survives_a_kill(
    env: dict[str, str], tmp_path: Path, nlu_cache: Path
) -> None:
    play_across_a_crash(env, tmp_path, nlu_cache)
    assert (tmp_path / "checkpoints.db").exists()


@pytest.mark.postgres
@pytest.mark.usefixtures("parser")
def test_postgresql_conversation_survives_a_kill(
    env: dict[str, str], tmp_path: Path, nlu_cache: Path
) -> None:
    with postgres_schema() as url:
        play_across_a_crash({**env, "CEREBRO_DATABASE_URL": url}, tmp_path, nlu_cache)
        assert not (tmp_path / "checkpoints.db").exists()
