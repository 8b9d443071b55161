"""Journey definitions in the database, versioned: saving a changed definition adds a version;
saving the same text again changes nothing. Running instances keep the version they started on.
"""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Row, func, select
from sqlalchemy.exc import IntegrityError

from journeys.definitions.parse import JourneyDefinitionError, parse_journey
from journeys.runtime_schema import JourneyVersionRecord, table
from memory.db import Database

logger = logging.getLogger("cerebro.journeys.definitions")

_versions = table(JourneyVersionRecord)


@dataclass(frozen=True, slots=True)
class StoredVersion:
    journey_id: str
    version: int
    name: str
    checksum: str
    origin: str
    created_at: datetime
    source: str


def checksum(source: str) -> str:
    return hashlib.sha256(source.encode("utf-8")).hexdigest()


def save(db: Database, source: str, origin: str, now: datetime) -> tuple[StoredVersion, bool]:
    """Store the definition in `source` (checked first: raises `JourneyDefinitionError`) as the
    journey's next version; `(version, False)` when it equals the newest version already."""
    journey = parse_journey(source)
    for _attempt in range(3):
        try:
            with db.session() as session:
                connection = session.connection()
                newest = _newest(connection, journey.id)
                if newest is not None and newest.checksum == checksum(source):
                    return newest, False
                number = 1 if newest is None else newest.version + 1
                connection.execute(
                    _versions.insert().values(
                        journey_id=journey.id,
                        version=number,
                        name=journey.name,
                        checksum=checksum(source),
                        source=source,
                        origin=origin[:300],
                        created_at=now,
                    )
                )
                logger.info(
                    "journey version saved",
                    extra={"journey_id": journey.id, "version": number, "origin": origin},
                )
                return (
                    StoredVersion(
                        journey.id,
                        number,
                        journey.name,
                        checksum(source),
                        origin,
                        now,
                        source,
                    ),
                    True,
                )
        except IntegrityError:
            continue  # another process saved a version of this journey meanwhile: look again
    raise RuntimeError(f"could not save a version of journey {journey.id}: too much contention")


def _row(row: Row[Any]) -> StoredVersion:
    mapping = row._mapping
    return StoredVersion(
        journey_id=mapping["journey_id"],
        version=mapping["version"],
        name=mapping["name"],
        checksum=mapping["checksum"],
        origin=mapping["origin"],
        created_at=mapping["created_at"],
        source=mapping["source"],
    )


def _newest(connection: Connection, journey_id: str) -> StoredVersion | None:
    row = connection.execute(
        select(_versions)
        .where(_versions.c.journey_id == journey_id)
        .order_by(_versions.c.version.desc())
        .limit(1)
    ).first()
    return None if row is None else _row(row)


def newest_versions(connection: Connection) -> list[StoredVersion]:
    """The newest version of every journey, by journey id."""
    newest = (
        select(_versions.c.journey_id, func.max(_versions.c.version).label("version"))
        .group_by(_versions.c.journey_id)
        .subquery()
    )
    rows = connection.execute(
        select(_versions)
        .join(
            newest,
            (_versions.c.journey_id == newest.c.journey_id)
            & (_versions.c.version == newest.c.version),
        )
        .order_by(_versions.c.journey_id)
    )
    return [_row(row) for row in rows]


def versions_of(connection: Connection, journey_id: str) -> list[StoredVersion]:
    """Every version of a journey, newest first."""
    rows = connection.execute(
        select(_versions)
        .where(_versions.c.journey_id == journey_id)
        .order_by(_versions.c.version.desc())
    )
    return [_row(row) for row in rows]


def get(connection: Connection, journey_id: str, version: int) -> StoredVersion | None:
    row = connection.execute(
        select(_versions).where(
            _versions.c.journey_id == journey_id, _versions.c.version == version
        )
    ).first()
    return None if row is None else _row(row)


@dataclass(frozen=True, slots=True)
class FileLoad:
    """What loading one file did: the version it is now at (and whether it is new), or why it
    was skipped."""

    path: Path
    version: StoredVersion | None = None
    created: bool = False
    error: str | None = None


def load_folder(db: Database, folder: Path, now: datetime) -> list[FileLoad]:
    """Save every `*.yaml`/`*.yml` in `folder` (sorted by name) as a version of its journey.

    A file that does not parse, or names a journey an earlier file of the folder defines, is
    skipped and logged; the journey keeps its newest good version."""
    if not folder.is_dir():
        raise FileNotFoundError(f"journeys folder {folder} does not exist")
    results: list[FileLoad] = []
    defined: dict[str, Path] = {}
    files = sorted(p for p in folder.iterdir() if p.suffix in (".yaml", ".yml") and p.is_file())
    for path in files:
        try:
            source = path.read_text(encoding="utf-8")
            journey = parse_journey(source)
        except (OSError, UnicodeDecodeError, JourneyDefinitionError) as error:
            reason = str(error)
        else:
            if journey.id not in defined:
                version, created = save(db, source, f"file:{path.name}", now)
                defined[journey.id] = path
                results.append(FileLoad(path, version, created))
                continue
            reason = f"journey '{journey.id}' is already defined by {defined[journey.id].name}"
        logger.error("journey file skipped", extra={"file": str(path), "reason": reason})
        results.append(FileLoad(path, error=reason))
    return results
