"""Jobs: what journey steps hand to other systems (CRM tasks and sales alerts, webhooks).

A step only inserts the job, inside its own transaction, so nothing reaches another system
unless the step committed. The runtime's tick claims due jobs one by one (a conditional UPDATE:
two workers never both claim one), runs them outside any transaction, and records the outcome.
A failed attempt is retried with backoff (`RETRY_DELAYS`); a job whose worker died is retried
once its lease ran out. Delivery is therefore at least once: a webhook carries the same
`Idempotency-Key` on every attempt, and a task's ticket id is kept as soon as it was opened, so
a retry after that never opens a second ticket.

- `task`: a CRM ticket on the customer; with a `skill`, assigned to an active agent who has it.
- `alert` (alert a sales executive): the same, with the `sales` skill by default and `high`
  severity: it lands in that agent's queue in the console.
- `webhook`: an HTTP call (`journeys.webhooks`).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any, Literal

from sqlalchemy import Connection, func, select, update

from journeys.pipeline import Pipeline
from journeys.runtime_schema import JourneyJobRecord, table
from journeys.webhooks import WebhookError, call_webhook
from memory.db import Database
from memory.schema import HumanAgent, Ticket
from tools.errors import ToolError

logger = logging.getLogger("cerebro.journeys.jobs")

JobKind = Literal["task", "alert", "webhook"]

_jobs = table(JourneyJobRecord)
_agents = table(HumanAgent)
_tickets = table(Ticket)

RETRY_DELAYS = (
    timedelta(minutes=1),
    timedelta(minutes=5),
    timedelta(minutes=30),
    timedelta(hours=2),
)
"""Wait before each retry; after the last one the job is `failed`."""
LEASE = timedelta(minutes=10)
"""How long a claimed job belongs to its worker; after that another worker may retry it."""
MAX_DUE_PER_TICK = 200
RETRIED_TOOL_ERRORS = frozenset({"unavailable"})
"""Tool errors worth retrying; the others (not found, rule violation...) will not go away."""


class PermanentJobError(Exception):
    """A failure a retry cannot fix."""


def new_job(
    connection: Connection,
    *,
    instance_id: int,
    journey_id: str,
    step: str,
    profile_id: str,
    kind: JobKind,
    payload: dict[str, Any],
    now: datetime,
) -> None:
    """Queue a job in the caller's transaction. A task or alert for a visitor without a
    customer record is recorded as failed at once (the CRM has no one to attach it to)."""
    failed = kind != "webhook" and payload.get("customer_id") is None
    connection.execute(
        _jobs.insert().values(
            instance_id=instance_id,
            journey_id=journey_id,
            step=step,
            profile_id=profile_id,
            kind=kind,
            payload=payload,
            status="failed" if failed else "pending",
            attempts=0,
            run_at=now,
            result=None,
            last_error="no customer record: a CRM ticket needs a known customer"
            if failed
            else None,
            created_at=now,
            updated_at=now,
        )
    )


class JobRunner:
    """Runs due jobs (part of the journey runtime's tick)."""

    def move_profiles(self, connection: Connection, merged: Sequence[str], into: str) -> None:
        connection.execute(
            update(_jobs).where(_jobs.c.profile_id.in_(merged)).values(profile_id=into)
        )

    def run_due(self, pipeline: Pipeline, now: datetime) -> int:
        with pipeline.db.engine.connect() as connection:
            due = (
                connection.execute(
                    select(_jobs.c.id)
                    .where(_jobs.c.status.in_(("pending", "running")), _jobs.c.run_at <= now)
                    .order_by(_jobs.c.run_at, _jobs.c.id)
                    .limit(MAX_DUE_PER_TICK)
                )
                .scalars()
                .all()
            )
        done = 0
        for job_id in due:
            claimed = self._claim(pipeline.db, job_id, now)
            if claimed is None:
                continue  # another worker has it
            done += 1
            self._run(pipeline, job_id, claimed, now)
        return done

    def _claim(self, db: Database, job_id: int, now: datetime) -> dict[str, Any] | None:
        with db.session() as session:
            row = (
                session.connection()
                .execute(
                    update(_jobs)
                    .where(
                        _jobs.c.id == job_id,
                        _jobs.c.status.in_(("pending", "running")),
                        _jobs.c.run_at <= now,
                    )
                    .values(
                        status="running",
                        attempts=_jobs.c.attempts + 1,
                        run_at=now + LEASE,
                        updated_at=now,
                    )
                    .returning(_jobs.c.kind, _jobs.c.payload, _jobs.c.attempts, _jobs.c.result)
                )
                .first()
            )
        return None if row is None else dict(row._mapping)

    def _run(self, pipeline: Pipeline, job_id: int, job: dict[str, Any], now: datetime) -> None:
        try:
            if job["kind"] == "webhook":
                self._webhook(job_id, job["payload"])
                result: dict[str, Any] = {}
            else:
                result = self._ticket(pipeline, job_id, job, now)
        except (WebhookError, ToolError, PermanentJobError) as error:
            permanent = isinstance(error, PermanentJobError) or (
                isinstance(error, ToolError) and error.code not in RETRIED_TOOL_ERRORS
            )
            self._failed(pipeline.db, job_id, job["attempts"], str(error), permanent, now)
            return
        self._update(pipeline.db, job_id, status="done", result=result, last_error=None)
        logger.info("journey job done", extra={"job_id": job_id, "kind": job["kind"]})

    def _webhook(self, job_id: int, payload: dict[str, Any]) -> None:
        call_webhook(
            payload["url"],
            method=payload["method"],
            body=payload["body"],
            headers=payload["headers"],
            timeout=float(payload["timeout"]),
            idempotency_key=f"cerebro-journey-job-{job_id}",
        )

    def _ticket(
        self, pipeline: Pipeline, job_id: int, job: dict[str, Any], now: datetime
    ) -> dict[str, Any]:
        payload = job["payload"]
        customer_id = payload["customer_id"]
        crm = pipeline.tools.crm
        result = dict(job["result"] or {})
        if "ticket_id" not in result:
            ticket = crm.open_ticket(
                customer_id,
                subject=payload["subject"][:200],
                description=payload["description"],
                category=payload["category"],
                severity=payload["severity"],
            )
            result["ticket_id"] = ticket.id
            # Kept before the next call, so a retry never opens a second ticket.
            self._update(pipeline.db, job_id, result=result)
        skill = payload.get("skill")
        if skill and "owner_agent_id" not in result:
            agent = choose_agent(pipeline.db, skill, payload.get("language"))
            if agent is None:
                raise PermanentJobError(
                    f"ticket {result['ticket_id']} opened, but no active agent has skill {skill}"
                )
            crm.update_ticket(customer_id, result["ticket_id"], owner_agent_id=agent)
            result["owner_agent_id"] = agent
        return result

    def _failed(
        self,
        db: Database,
        job_id: int,
        attempts: int,
        error: str,
        permanent: bool,
        now: datetime,
    ) -> None:
        if permanent or attempts > len(RETRY_DELAYS):
            self._update(db, job_id, status="failed", last_error=error)
            logger.warning("journey job failed", extra={"job_id": job_id, "attempts": attempts})
            return
        retry_at = now + RETRY_DELAYS[attempts - 1]
        self._update(db, job_id, status="pending", run_at=retry_at, last_error=error)
        logger.info("journey job will be retried", extra={"job_id": job_id, "attempts": attempts})

    def _update(self, db: Database, job_id: int, **values: Any) -> None:
        with db.session() as session:
            session.connection().execute(update(_jobs).where(_jobs.c.id == job_id).values(**values))


def choose_agent(db: Database, skill: str, language: str | None) -> str | None:
    """An active agent with `skill`: one who speaks `language` first, then the one who owns
    the fewest open tickets, then the lowest id."""
    with db.engine.connect() as connection:
        open_tickets = (
            select(_tickets.c.owner_agent_id, func.count().label("open"))
            .where(_tickets.c.status != "resolved")
            .group_by(_tickets.c.owner_agent_id)
            .subquery()
        )
        rows = connection.execute(
            select(_agents.c.id, _agents.c.skills, _agents.c.languages, open_tickets.c.open)
            .outerjoin(open_tickets, open_tickets.c.owner_agent_id == _agents.c.id)
            .where(_agents.c.active.is_(True))
        ).all()
    able = [row for row in rows if skill in row.skills]
    if not able:
        return None
    best = min(able, key=lambda row: (language not in row.languages, row.open or 0, row.id))
    return str(best.id)
