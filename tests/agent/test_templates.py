"""The response templates: both languages, same keys, same placeholders, versioned."""

from __future__ import annotations

from pathlib import Path

import pytest

from prompts.responses import TemplateError, load_templates, placeholders, render, templates


def test_the_packaged_templates_load_in_both_languages() -> None:
    loaded = templates()
    assert set(loaded) == {"en", "es"}
    assert loaded["en"].texts.keys() == loaded["es"].texts.keys()
    assert all(sets.version >= 1 for sets in loaded.values())
    assert "AI assistant" in render("en", "disclosure")
    assert render("es", "cancel.kept", order_id="ORD-100005").endswith("sigue como estaba.")
    with pytest.raises(KeyError, match="order_id"):
        render("en", "cancel.kept")
    with pytest.raises(KeyError, match="no template"):
        render("en", "nope")


def _write(folder: Path, language: str, body: str) -> None:
    folder.joinpath(f"{language}.yaml").write_text(
        f"language: {language}\nversion: 1\ntemplates:\n{body}", encoding="utf-8"
    )


def test_languages_must_agree_on_keys_and_placeholders(tmp_path: Path) -> None:
    _write(tmp_path, "en", "  hello: Hi {name}\n  bye: Bye\n")
    _write(tmp_path, "es", "  hello: Hola {name}\n")
    with pytest.raises(TemplateError, match="bye"):
        load_templates(tmp_path)
    _write(tmp_path, "es", "  hello: Hola {nombre}\n  bye: Adiós\n")
    with pytest.raises(TemplateError, match="placeholders"):
        load_templates(tmp_path)
    _write(tmp_path, "es", "  hello: Hola {name}\n  bye: Adiós\n")
    assert load_templates(tmp_path)["es"].render("hello", name="Ana") == "Hola Ana"
    assert placeholders("{a} and {b}") == {"a", "b"}
