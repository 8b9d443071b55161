"""`POST /v1/nlu/parse` and `cerebro nlu`: the understanding step over HTTP and in a terminal."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

import agent.nlu.parser
from agent.nlu import Parser, default_parser
from api.app import create_app
from api.nlu import get_parser
from api.problems import PROBLEM_JSON
from cerebro.cli import app as cli
from cerebro.settings import Settings
from memory.db import Database


@pytest.fixture(scope="session")
def parser() -> Parser:
    shared = default_parser()
    shared.classifier.warm_up()
    return shared


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory, parser: Parser) -> Iterator[TestClient]:
    data = tmp_path_factory.mktemp("data")
    db = Database(f"sqlite:///{data / 'cerebro.db'}")
    app = create_app(Settings(data_dir=data), db=db)
    app.dependency_overrides[get_parser] = lambda: parser  # the session's warm parser
    with TestClient(app, raise_server_exceptions=False) as test_client:
        yield test_client
    db.dispose()


def test_parse_returns_intent_entities_language_and_scope(client: TestClient) -> None:
    text = "Hola, soy Ana García: ¿dónde está mi pedido #100042?"
    response = client.post("/v1/nlu/parse", json={"text": text})
    assert response.status_code == 200
    body = response.json()
    assert body["intent"] == "order_status"
    assert 0.5 < body["confidence"] <= 1
    assert body["language"] == "es"
    assert body["out_of_scope"] is False
    assert body["entities"] == [
        {"kind": "person_name", "value": "Ana García", "start": 10, "end": 20},
        {"kind": "order_id", "value": "ORD-100042", "start": 44, "end": 51},
    ]
    assert text[44:51] == "#100042"
    assert len(body["alternatives"]) == 3


def test_parse_honours_the_given_language(client: TestClient) -> None:
    body = client.post("/v1/nlu/parse", json={"text": "ok", "language": "es"}).json()
    assert (body["language"], body["intent"]) == ("es", "affirm")


def test_parse_flags_out_of_scope_turns(client: TestClient) -> None:
    body = client.post("/v1/nlu/parse", json={"text": "write me a poem about the sea"}).json()
    assert body["out_of_scope"] is True
    assert body["intent"] == "out_of_scope"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"text": ""}, "body.text"),
        ({"text": "   "}, "body.text"),
        ({"text": "x" * 2001}, "body.text"),
        ({}, "body.text"),
        ({"text": "hola", "language": "fr"}, "body.language"),
        ({"text": 42}, "body.text"),
    ],
)
def test_invalid_requests_get_a_400_problem(
    client: TestClient, body: dict[str, object], field: str
) -> None:
    response = client.post("/v1/nlu/parse", json=body)
    assert response.status_code == 400
    assert response.headers["content-type"] == PROBLEM_JSON
    problem = response.json()
    assert problem["type"] == "/problems/validation"
    assert [error["field"] for error in problem["errors"]] == [field]


def test_malformed_json_gets_a_400_problem(client: TestClient) -> None:
    response = client.post(
        "/v1/nlu/parse", content=b"{not json", headers={"content-type": "application/json"}
    )
    assert response.status_code == 400
    assert response.headers["content-type"] == PROBLEM_JSON


def test_the_endpoint_is_documented(client: TestClient) -> None:
    paths = client.get("/openapi.json").json()["paths"]
    assert "post" in paths["/v1/nlu/parse"]


def test_the_app_starts_without_loading_the_model(tmp_path: Path) -> None:
    """Creating the app and answering other requests never loads the sentence model (its
    library, sentence-transformers, is imported only when the model loads)."""
    script = f"""
import sys
from fastapi.testclient import TestClient
from api.app import create_app
from cerebro.settings import Settings
from memory.db import Database
db = Database("sqlite:///{tmp_path / "cerebro.db"}")
with TestClient(create_app(Settings(data_dir="{tmp_path}"), db=db)) as client:
    assert client.get("/healthz").status_code == 200
print("loaded" if "sentence_transformers" in sys.modules else "nothing")
"""
    result = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=120, check=True
    )
    assert result.stdout.strip() == "nothing"


# --- `cerebro nlu` ----------------------------------------------------------------------------


@pytest.fixture
def runner(parser: Parser, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> CliRunner:
    monkeypatch.setenv("CEREBRO_DATA_DIR", str(tmp_path))
    monkeypatch.setattr(agent.nlu.parser, "default_parser", lambda cache_dir=None: parser)
    return CliRunner()


def test_cli_prints_the_understanding_as_json(runner: CliRunner) -> None:
    result = runner.invoke(cli, ["nlu", "quiero cancelar el pedido 100042", "--json"])
    assert result.exit_code == 0, result.output
    body = json.loads(result.stdout)
    assert body["intent"] == "cancel_order"
    assert body["language"] == "es"
    assert body["out_of_scope"] is False
    assert body["entities"] == [{"kind": "order_id", "value": "ORD-100042", "start": 26, "end": 32}]
    assert [set(a) for a in body["alternatives"]] == [{"intent", "confidence"}] * 3


def test_cli_prints_a_readable_table(runner: CliRunner) -> None:
    result = runner.invoke(cli, ["nlu", "my email is ana@example.com", "--language", "en"])
    assert result.exit_code == 0, result.output
    assert "provide_info" in result.stdout
    assert "ana@example.com" in result.stdout
    assert "out of scope" in result.stdout


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (["nlu", "   "], "no text"),
        (["nlu", "hola", "--language", "fr"], "unsupported language"),
    ],
)
def test_cli_refuses_bad_input_with_a_message_and_no_traceback(
    runner: CliRunner, arguments: list[str], message: str
) -> None:
    result = runner.invoke(cli, arguments)
    assert result.exit_code == 2
    assert message in result.output
    assert "Traceback" not in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)
