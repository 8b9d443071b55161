"""`cerebro sentiment --file`: one JSON line per text, clear errors for a bad file."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

from tests.test_serve import CEREBRO


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([CEREBRO, "sentiment", *args], capture_output=True, text=True)


def test_one_json_line_per_text(tmp_path: Path) -> None:
    texts = tmp_path / "texts.txt"
    texts.write_text(
        "Thank you, everything arrived perfectly!\n\nEstoy harta, es la tercera vez que escribo\n",
        encoding="utf-8",
    )
    done = run("--file", str(texts))
    assert done.returncode == 0, done.stderr
    rows = [json.loads(line) for line in done.stdout.splitlines()]
    assert [(r["line"], r["label"], r["language"]) for r in rows] == [
        (1, "positive", "en"),
        (3, "negative", "es"),
    ]
    forced = run("--file", str(texts), "--language", "en")
    assert {json.loads(line)["language"] for line in forced.stdout.splitlines()} == {"en"}


def test_a_bad_file_is_a_clear_error(tmp_path: Path) -> None:
    missing = run("--file", str(tmp_path / "missing.txt"))
    assert missing.returncode == 1 and "No such file" in missing.stderr
    binary = tmp_path / "binary.txt"
    binary.write_bytes(b"\xff\xfe\x00bad")
    assert "not UTF-8" in run("--file", str(binary)).stderr
    empty = tmp_path / "empty.txt"
    empty.write_text("\n  \n", encoding="utf-8")
    assert "no text" in run("--file", str(empty)).stderr
    wrong = run("--file", str(empty), "--language", "fr")
    assert wrong.returncode == 1 and "unsupported language" in wrong.stderr
    for result in (missing, wrong):
        assert "Traceback" not in result.stderr
