"""`cerebro migrate` + `cerebro serve` as a user runs them: a real process on a real port."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx

from tests.web import free_port

CEREBRO = str(Path(sys.executable).with_name("cerebro"))


def wait_until_up(url: str, process: subprocess.Popen[bytes], seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        assert process.poll() is None, process.stderr.read().decode() if process.stderr else ""
        try:
            httpx.get(url, timeout=1)
            return
        except httpx.TransportError:
            time.sleep(0.1)
    raise AssertionError(f"server did not answer {url} within {seconds} s")


def start_serve(env: dict[str, str], port: int) -> subprocess.Popen[bytes]:
    """`cerebro serve` on `port`, answering; its standard error is kept for the caller to read."""
    process = subprocess.Popen(
        [CEREBRO, "serve", "--host", "127.0.0.1", "--port", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    wait_until_up(f"http://127.0.0.1:{port}/healthz", process, seconds=90)
    return process


@contextmanager
def served(data_dir: Path) -> Iterator[str]:
    """`cerebro migrate` then `cerebro serve` on a free port, as a user runs them; yields the
    base URL and checks, once the server is stopped, that it printed no traceback."""
    env = {**os.environ, "CEREBRO_DATA_DIR": str(data_dir)}
    env.pop("CEREBRO_DATABASE_URL", None)
    subprocess.run([CEREBRO, "migrate"], env=env, check=True, capture_output=True)
    port = free_port()
    server = start_serve(env, port)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.terminate()
        _, stderr = server.communicate(timeout=15)
    assert b"Traceback" not in stderr


def test_served_process_answers_probes_and_docs(tmp_path: Path) -> None:
    with served(tmp_path) as base:
        assert httpx.get(f"{base}/healthz").json() == {"status": "ok"}
        assert httpx.get(f"{base}/readyz").json()["status"] == "ready"
        assert "swagger" in httpx.get(f"{base}/docs").text.lower()
        assert "Cerebro" in httpx.get(f"{base}/").text
    assert (tmp_path / "cerebro.db").exists()


def test_a_bad_setting_is_a_clear_cli_error(tmp_path: Path) -> None:
    env = {**os.environ, "CEREBRO_DATA_DIR": str(tmp_path), "CEREBRO_TOOLS_TIMEOUT": "soon"}
    result = subprocess.run([CEREBRO, "migrate"], env=env, capture_output=True, text=True)
    assert result.returncode != 0
    assert "CEREBRO_TOOLS_TIMEOUT" in result.stderr
    assert "Traceback" not in result.stderr


def test_reference_server_serves_the_tools_contract_behind_its_token(tmp_path: Path) -> None:
    env = {**os.environ, "CEREBRO_DATA_DIR": str(tmp_path), "CEREBRO_TOOLS_TOKEN": "s3cret"}
    env.pop("CEREBRO_DATABASE_URL", None)
    subprocess.run([CEREBRO, "migrate"], env=env, check=True, capture_output=True)
    port = free_port()
    server = subprocess.Popen(
        [CEREBRO, "reference-server", "--port", str(port)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    search = f"http://127.0.0.1:{port}/crm/customers/search"
    try:
        wait_until_up(f"http://127.0.0.1:{port}/openapi.json", server)
        refused = httpx.post(search, json={"email": "nobody@example.com"})
        assert refused.status_code == 401
        answered = httpx.post(
            search,
            json={"email": "nobody@example.com"},
            headers={"Authorization": "Bearer s3cret"},
        )
        assert answered.status_code == 404
        assert answered.json()["code"] == "not_found"
    finally:
        server.terminate()
        server.communicate(timeout=15)


def test_served_process_loads_the_assistant_before_the_first_customer(tmp_path: Path) -> None:
    """`cerebro serve` warms the assistant as it starts: nobody chats, yet it becomes ready, and
    the first customer's reply then comes from the loaded models."""
    with served(tmp_path) as base:
        deadline = time.monotonic() + 300
        seen = []
        while time.monotonic() < deadline:
            seen.append(httpx.get(f"{base}/readyz").json()["assistant"])
            if seen[-1] in ("ready", "failed"):
                break
            time.sleep(0.5)
        assert seen[-1] == "ready", seen
        assert set(seen) <= {"starting", "ready"}
        created = httpx.post(f"{base}/v1/conversations", json={"language": "en"}).json()
        reply = httpx.post(
            f"{base}/v1/conversations/{created['id']}/messages",
            headers={"authorization": f"Bearer {created['token']}"},
            json={"text": "Where is my order?"},
            timeout=60,
        ).json()
        assert reply["intent"] == "order_status"
