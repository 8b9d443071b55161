"""Help and policy articles: Markdown files with a small YAML header, one file per article and
language, under `memory/knowledge/articles/<language>/<id>.md` (see docs/nlu.md).

An article is split into passages at its `## ` headings, so a search answers with the paragraph
that holds the answer rather than the whole article. Each article is versioned by the hash of its
file: re-indexing skips articles whose hash did not change.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping
from dataclasses import dataclass
from importlib import resources
from importlib.resources.abc import Traversable
from pathlib import Path
from typing import get_args

import yaml

from memory.vocabulary import Language

LANGUAGES: tuple[Language, ...] = get_args(Language)
_FRONT_MATTER = re.compile(r"\A---\n(.*?)\n---\n(.*)\Z", re.DOTALL)
_ID = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")


@dataclass(frozen=True, slots=True)
class Section:
    heading: str
    text: str


@dataclass(frozen=True, slots=True)
class Article:
    """One article in one language; `version` is the hash of its source text."""

    article_id: str
    language: Language
    title: str
    sections: tuple[Section, ...]
    version: str


def parse_article(source: str, text: str, language: Language) -> Article:
    """The article in `text` (its file's contents); `source` names it in error messages."""
    match = _FRONT_MATTER.match(text.replace("\r\n", "\n"))
    if match is None:
        raise ValueError(f"{source}: expected a '---' YAML header, then the Markdown body")
    header = yaml.safe_load(match.group(1))
    if not isinstance(header, Mapping):
        raise ValueError(f"{source}: the header must be a mapping with `id` and `title`")
    article_id, title = header.get("id"), header.get("title")
    if not isinstance(article_id, str) or not _ID.fullmatch(article_id):
        raise ValueError(f"{source}: `id` must be lower-case words joined by '-'")
    if not isinstance(title, str) or not title.strip():
        raise ValueError(f"{source}: `title` is required")
    sections = []
    for block in re.split(r"^## ", match.group(2), flags=re.MULTILINE):
        heading, _, body = block.partition("\n")
        body = " ".join(body.split())
        if body:
            sections.append(Section(heading.strip(), body))
        elif heading.strip():
            raise ValueError(f"{source}: section {heading.strip()!r} is empty")
    if not sections:
        raise ValueError(f"{source}: the article has no text")
    version = hashlib.sha256(text.encode()).hexdigest()[:16]
    return Article(article_id, language, title.strip(), tuple(sections), version)


def _files(folder: Path | Traversable) -> list[Path | Traversable]:
    return sorted(
        (entry for entry in folder.iterdir() if entry.name.endswith(".md")),
        key=lambda entry: entry.name,
    )


def load_articles(folder: Path | None = None) -> tuple[Article, ...]:
    """Every article of every language: from `folder` if given, else the packaged ones."""
    root: Path | Traversable = (
        folder if folder is not None else resources.files("memory.knowledge") / "articles"
    )
    articles: list[Article] = []
    for language in LANGUAGES:
        directory = root / language
        if not directory.is_dir():
            continue
        for entry in _files(directory):
            source = f"{language}/{entry.name}"
            articles.append(parse_article(source, entry.read_text("utf-8"), language))
    seen: set[tuple[str, str]] = set()
    for article in articles:
        key = (article.article_id, article.language)
        if key in seen:
            raise ValueError(f"article {article.article_id!r} appears twice in {article.language}")
        seen.add(key)
    return tuple(articles)
