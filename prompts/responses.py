"""Response templates per language (`prompts/templates/<language>.yaml`), versioned as files.

Each file has `language`, `version` and `templates`: nested sections of `key: text`, addressed
with dots (`cancel.confirm`). Placeholders are `{name}`. Both languages must have the same keys
and, per key, the same placeholders: `load_templates` refuses files that differ, so a missing
translation is caught when the process starts, not in front of a customer.
"""

from __future__ import annotations

import functools
import string
from collections.abc import Mapping
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import get_args

import yaml

from memory.vocabulary import Language

LANGUAGES: tuple[Language, ...] = get_args(Language)


class TemplateError(ValueError):
    """A template file is malformed, or the languages disagree on keys or placeholders."""


@dataclass(frozen=True, slots=True)
class TemplateSet:
    """The templates of one language, flattened to dotted keys."""

    language: Language
    version: int
    texts: Mapping[str, str]

    def render(self, key: str, **values: object) -> str:
        """The template `key` filled with `values`; every placeholder must be given."""
        try:
            text = self.texts[key]
        except KeyError:
            raise KeyError(f"no template {key!r} in {self.language}") from None
        try:
            return text.format_map(values)
        except KeyError as error:
            raise KeyError(f"template {key!r} needs a value for {error.args[0]!r}") from None


def _flatten(section: Mapping[str, object], prefix: str, source: str) -> dict[str, str]:
    flat: dict[str, str] = {}
    for key, value in section.items():
        name = f"{prefix}{key}"
        if isinstance(value, Mapping):
            flat.update(_flatten(value, f"{name}.", source))
        elif isinstance(value, str) and value.strip():
            flat[name] = value.strip()
        else:
            raise TemplateError(f"{source}: {name} must be a non-empty text or a section")
    return flat


def placeholders(text: str) -> frozenset[str]:
    """The `{names}` a template needs."""
    return frozenset(name for _, name, _, _ in string.Formatter().parse(text) if name)


def _read(source: str, text: str, language: Language) -> TemplateSet:
    data = yaml.safe_load(text)
    if not isinstance(data, Mapping) or data.get("language") != language:
        raise TemplateError(f"{source}: expected a mapping with `language: {language}`")
    version = data.get("version")
    if not isinstance(version, int) or version < 1:
        raise TemplateError(f"{source}: `version` must be a positive integer")
    templates = data.get("templates")
    if not isinstance(templates, Mapping):
        raise TemplateError(f"{source}: `templates` must be a mapping")
    return TemplateSet(language, version, _flatten(templates, "", source))


def load_templates(folder: Path | None = None) -> dict[Language, TemplateSet]:
    """Every language's templates, from `folder` if given, else the packaged files; checked to
    agree on keys and placeholders."""
    sets: dict[Language, TemplateSet] = {}
    for language in LANGUAGES:
        name = f"{language}.yaml"
        if folder is None:
            text = (resources.files("prompts") / "templates" / name).read_text("utf-8")
        else:
            text = (folder / name).read_text("utf-8")
        sets[language] = _read(f"templates/{name}", text, language)
    reference, *others = LANGUAGES
    for language in others:
        ours, theirs = sets[reference].texts, sets[language].texts
        missing = sorted(set(ours) ^ set(theirs))
        if missing:
            raise TemplateError(
                f"templates differ between {reference} and {language}: {', '.join(missing)}"
            )
        for key, text in ours.items():
            if placeholders(text) != placeholders(theirs[key]):
                raise TemplateError(
                    f"template {key!r} has different placeholders in {reference} and {language}"
                )
    return sets


@functools.cache
def templates() -> dict[Language, TemplateSet]:
    """The packaged templates, loaded once per process."""
    return load_templates()


def render(language: Language, key: str, **values: object) -> str:
    """Render the packaged template `key` in `language`."""
    return templates()[language].render(key, **values)
