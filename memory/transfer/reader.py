"""Reading a `cerebro.retail` document as a stream of events, without loading it whole.

The document is `{"format": ..., "version": ..., "exported_at": ..., "tables": {"customers":
[{...}, ...], ...}}`; the reader yields each top-level field, the start of each table and the
JSON text of each record, holding only a small window of the file in memory.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, TextIO

from memory.transfer.errors import TransferError

MAX_VALUE_CHARS = 1 << 24
"""The largest record (or header value) the reader takes, in characters: 16 Mi."""
_WHITESPACE = re.compile(r"[ \t\n\r]*")
_DECODER = json.JSONDecoder()


@dataclass(frozen=True)
class HeaderField:
    """A top-level field other than `tables`, with its value as JSON text."""

    name: str
    text: str


@dataclass(frozen=True)
class TableStart:
    name: str


@dataclass(frozen=True)
class RecordText:
    """One record of a table, as JSON text; `index` is its position in the table's array."""

    table: str
    index: int
    text: str


Event = HeaderField | TableStart | RecordText


class _Window:
    """A sliding window over the text: what has not been parsed yet, refilled on demand."""

    def __init__(self, source: TextIO, read_size: int) -> None:
        self._source = source
        self._read_size = read_size
        self._text = ""
        self._pos = 0
        self._line = 1
        """Line number at the start of the window."""
        self._column = 0
        """Column (0-based) at the start of the window."""

    def _fill(self) -> bool:
        """Read more text, dropping what was parsed; False at the end of the input."""
        more = self._source.read(self._read_size)
        if not more:
            return False
        parsed = self._text[: self._pos]
        newlines = parsed.count("\n")
        if newlines:
            self._line += newlines
            self._column = len(parsed) - parsed.rfind("\n") - 1
        else:
            self._column += len(parsed)
        self._text = self._text[self._pos :] + more
        self._pos = 0
        return True

    def peek(self) -> str:
        """The next character that is not whitespace ('' at the end), without consuming it."""
        while True:
            match = _WHITESPACE.match(self._text, self._pos)
            assert match is not None  # the pattern matches the empty string
            self._pos = match.end()
            if self._pos < len(self._text) or not self._fill():
                return self._text[self._pos : self._pos + 1]

    def expect(self, allowed: str, what: str) -> str:
        """Consume the next character, which must be one of `allowed`."""
        char = self.peek()
        if not char or char not in allowed:
            found = f"{char!r}" if char else "the end of the file"
            raise self.error(f"expected {what}, found {found}")
        self._pos += 1
        return char

    def value(self) -> tuple[Any, str]:
        """The next complete JSON value, decoded and as text."""
        self.peek()
        while True:
            try:
                decoded, end = _DECODER.raw_decode(self._text, self._pos)
            except json.JSONDecodeError as error:
                # Incomplete, or wrong? Read on, but not past what one record can take.
                if len(self._text) - self._pos < MAX_VALUE_CHARS and self._fill():
                    continue
                raise self.error(error.msg, error.pos) from None
            if end == len(self._text) and self._fill():
                continue  # a number at the end of the window may go on
            text = self._text[self._pos : end]
            self._pos = end
            return decoded, text

    def key(self) -> str:
        decoded, _ = self.value()
        if not isinstance(decoded, str):
            raise self.error("expected a key in double quotes")
        self.expect(":", "':' after the key")
        return decoded

    def error(self, message: str, pos: int | None = None) -> TransferError:
        pos = self._pos if pos is None else pos
        before = self._text[:pos]
        newline = before.rfind("\n")
        line = self._line + before.count("\n")
        column = pos - newline if newline >= 0 else self._column + pos + 1
        return TransferError(f"not valid JSON at line {line}, column {column}: {message}")


def read_events(source: TextIO, read_size: int = 1 << 16) -> Iterator[Event]:
    """The events of the document in `source`, in file order; `TransferError` on bad JSON."""
    window = _Window(source, read_size)
    window.expect("{", "'{' at the start of the document")
    seen: set[str] = set()
    if window.peek() == "}":
        window.expect("}", "'}'")
    else:
        while True:
            name = window.key()
            if name in seen:
                raise window.error(f"the key {name!r} appears twice")
            seen.add(name)
            if name == "tables":
                yield from _tables(window)
            else:
                yield HeaderField(name, window.value()[1])
            if window.expect(",}", "',' or '}'") == "}":
                break
    if window.peek():
        raise window.error("unexpected text after the end of the document")


def _tables(window: _Window) -> Iterator[Event]:
    window.expect("{", "an object of tables")
    if window.peek() == "}":
        window.expect("}", "'}'")
        return
    while True:
        table = window.key()
        yield TableStart(table)
        window.expect("[", f"an array of records for {table!r}")
        if window.peek() == "]":
            window.expect("]", "']'")
        else:
            index = 0
            while True:
                yield RecordText(table, index, window.value()[1])
                index += 1
                if window.expect(",]", "',' or ']'") == "]":
                    break
        if window.expect(",}", "',' or '}'") == "}":
            return
