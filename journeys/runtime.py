"""The durable journey runtime: enters customers, advances their runs, keeps positions and timers
in the database, and fires each timer once.

It plugs into the pipeline (`attach`) three ways:

- as an `EventHandler`, inside each event's transaction: leave runs whose exit criteria the
  event meets, resume runs that waited for it, and enter the customer into journeys it triggers
  (respecting re-entry rules);
- as a `DueRunner`, on each tick: fire timers and event-wait timeouts that came due (each in
  its own transaction, claimed under lock: with several workers each fires once), then run the
  queued jobs (`journeys.runtime_jobs`);
- as a `MembershipReader`: the journeys shown on a profile.

Steps never write to the outbox: sends and proactive chats go through the policy layer
(`unit.decide`), holds through `unit.hold`/`release`, trait updates as `identify` events, and
tasks, alerts and webhooks as jobs that run after the commit. Every run records `Journey
Entered` and `Journey Completed`/`Exited`/`Failed` events, from which the KPIs are computed.
"""

from __future__ import annotations

import logging
import threading
import weakref
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import Connection, select, update

from journeys.definitions import END, Journey, JourneyDefinitionError, Step, parse_journey
from journeys.definitions import versions as stored
from journeys.definitions.conditions import holds, holds_all, render, render_value
from journeys.definitions.model import LocalText, Offer, Trigger, WaitAction
from journeys.events import Event
from journeys.hotpath import Raw, sql
from journeys.pipeline import EventContext, JourneyMembership, Pipeline, Unit
from journeys.policy import Candidate, SendRequest
from journeys.profiles import ANONYMOUS_PREFIX, Profile
from journeys.runtime_jobs import JobKind, JobRunner, new_job
from journeys.runtime_schema import JourneyInstanceRecord, table
from journeys.runtime_settings import JourneySettings
from journeys.schema import EventRecord
from journeys.schema import table as engine_table

logger = logging.getLogger("cerebro.journeys.runtime")

_instances = table(JourneyInstanceRecord)
_events = engine_table(EventRecord)

# What entering a journey and moving a run asks, straight to the driver (`journeys.hotpath`):
# through SQLAlchemy Core these statements were a third of an event's time when it entered one.
_CUSTOMER_FIELDS = ("first_name", "last_name", "language", "tier", "timezone", "preferred_channel")
_CUSTOMER = sql(f"SELECT {', '.join(_CUSTOMER_FIELDS)} FROM customers WHERE id = ?")
_RUN_COLUMNS = (
    "id",
    "journey_id",
    "version",
    "profile_id",
    "status",
    "step",
    "waiting",
    "wait_event",
    "wait_until",
    "variables",
    "steps_run",
    "revision",
    "entered_at",
)
_ACTIVE_RUNS = sql(
    f"SELECT {', '.join(_RUN_COLUMNS)} FROM journey_instances "
    "WHERE profile_id = ? AND status = 'active' ORDER BY id",
    postgresql_suffix=" FOR UPDATE",
)
_RUNS_OF_JOURNEY = sql(
    "SELECT status, entered_at, ended_at FROM journey_instances "
    "WHERE journey_id = ? AND profile_id = ?"
)
_CREATE_RUN = sql(
    "INSERT INTO journey_instances (journey_id, version, profile_id, status, step, waiting, "
    "wait_event, wait_until, variables, steps_run, revision, entered_at, updated_at) "
    "VALUES (?, ?, ?, 'active', ?, NULL, NULL, NULL, ?, 0, 0, ?, ?) RETURNING id"
)
_SAVE_RUN = sql(
    "UPDATE journey_instances SET status = ?, step = ?, waiting = ?, wait_event = ?, "
    "wait_until = ?, variables = ?, steps_run = ?, revision = ?, updated_at = ?, ended_at = ?, "
    "end_reason = ? WHERE id = ? AND revision = ?"
)

MAX_DUE_PER_TICK = 500
MAX_MEMBERSHIPS = 50
MAX_CHAIN_DEPTH = 3
"""Journeys may trigger on what other journeys emit, this many links deep at most."""
LIFECYCLE_EVENTS = {
    "completed": "Journey Completed",
    "exited": "Journey Exited",
    "failed": "Journey Failed",
}
ENTERED_EVENT = "Journey Entered"


class StaleRun(RuntimeError):
    """The run changed under us (it cannot while its row is locked: a bug if ever raised)."""


@dataclass
class Run:
    """One instance of a journey, as loaded from (and saved back to) `journey_instances`."""

    id: int
    journey: Journey
    version: int
    profile_id: str
    status: str
    step: str | None
    waiting: str | None
    wait_event: str | None
    wait_until: datetime | None
    variables: dict[str, Any]
    steps_run: int
    revision: int
    entered_at: datetime
    ended_at: datetime | None = None
    end_reason: str | None = None

    def clear_wait(self) -> None:
        self.waiting = self.wait_event = None
        self.wait_until = None


def event_facts(event: Event) -> dict[str, Any]:
    """What `event.*` and `trigger.*` read: the properties (the traits of an identify)."""
    return dict(event.traits) if event.type == "identify" else dict(event.properties)


def profile_facts(profile: Profile) -> dict[str, Any]:
    """What `profile.*` reads (`journeys.definitions.conditions.PROFILE_FIELDS`)."""
    return {
        "id": profile.id,
        "customer_id": profile.customer_id,
        "anonymous": profile.is_anonymous,
        "timezone": profile.timezone,
        "preferred_channel": profile.preferred_channel,
        "lifetime_value_cents": profile.lifetime_value_cents,
        "open_tickets": len(profile.open_tickets),
        "open_critical_tickets": profile.open_critical_tickets,
        "recent_sentiment": profile.recent_sentiment,
        "cart_value_cents": profile.cart_value_cents,
        "cart_items": sum(item.quantity for item in profile.cart),
        "last_agent_id": profile.last_agent_id,
        "last_survey_positive": profile.last_survey.positive if profile.last_survey else None,
        "holds": sorted(profile.holds),
        "held_purposes": sorted(profile.held_purposes()),
        "traits": dict(profile.traits),
    }


class Scope:
    """Resolves field paths for conditions and templates, for one run (or a would-be run)."""

    def __init__(
        self,
        connection: Connection,
        journey: Journey,
        profile: Profile,
        variables: Mapping[str, Any],
        *,
        version: int,
        instance: int | None = None,
    ) -> None:
        self.connection = connection
        self.journey = journey
        self.profile = profile
        self.variables = variables
        self.version = version
        self.instance = instance
        self._customer: dict[str, Any] | None = None

    def resolve(self, path: str) -> Any:
        root, _, rest = path.partition(".")
        if root in ("event", "trigger"):
            return _dig(self.variables.get(root, {}), rest)
        if root == "profile":
            return _dig(profile_facts(self.profile), rest)
        if root == "customer":
            return self.customer().get(rest)
        return {
            "id": self.journey.id,
            "name": self.journey.name,
            "version": self.version,
            "instance": self.instance,
        }.get(rest)

    def customer(self) -> dict[str, Any]:
        """The customer record's fields (empty for a visitor without one), read once."""
        if self._customer is None:
            row = (
                Raw(self.connection).run(_CUSTOMER, (self.profile.customer_id,)).fetchone()
                if self.profile.customer_id
                else None
            )
            self._customer = dict(zip(_CUSTOMER_FIELDS, row, strict=True)) if row else {}
        return self._customer

    def language(self) -> str | None:
        found = self.customer().get("language") or self.profile.traits.get("language")
        return found if isinstance(found, str) else None

    def text(self, value: LocalText) -> str:
        return render(value.for_language(self.language()), self)


def _dig(value: Any, path: str) -> Any:
    for part in path.split("."):
        if isinstance(value, Mapping):
            value = value.get(part)
        elif isinstance(value, list) and part.isdigit() and int(part) < len(value):
            value = value[int(part)]
        else:
            return None
    return value


@dataclass
class _Definitions:
    """Parsed definitions by (journey, version), and the newest version of each journey."""

    parsed: dict[tuple[str, int], Journey] = field(default_factory=dict)
    newest: list[tuple[int, Journey]] = field(default_factory=list)
    seen_change: int = -1


class JourneyRuntime:
    """The journey runtime on one database (see the module docstring)."""

    def __init__(self, settings: JourneySettings) -> None:
        self.settings = settings
        self.jobs = JobRunner()
        self._lock = threading.Lock()
        self._definitions = _Definitions()
        self._newest_of: tuple[weakref.ref[Raw], list[tuple[int, Journey]]] | None = None
        """The transaction (a weak reference to its `Raw`, which holds a driver cursor) that
        last asked `newest`, and the answer."""

    # -- definitions -----------------------------------------------------------------------

    def _newest_in(self, unit: Unit) -> list[tuple[int, Journey]]:
        """`newest`, asked once per transaction (a batch's events share it): while it writes,
        no version is saved on SQLite (one writer), and on PostgreSQL one saved meanwhile applies
        from the next transaction, as if saved just after this one began."""
        known = self._newest_of
        if known is not None and known[0]() is unit.raw:
            return known[1]
        found = self.newest(unit.connection)
        self._newest_of = (weakref.ref(unit.raw), found)
        return found

    def newest(self, connection: Connection) -> list[tuple[int, Journey]]:
        """The newest version of every journey (re-read only when a version was saved)."""
        change = _first_value(connection, "SELECT COALESCE(MAX(id), 0) FROM journey_versions")
        with self._lock:
            if change == self._definitions.seen_change:
                return self._definitions.newest
        found = []
        for version in stored.newest_versions(connection):
            try:
                parsed = self._parse(version.journey_id, version.version, version.source)
            except JourneyDefinitionError as error:  # saved by an older Cerebro, say
                logger.error(
                    "stored journey no longer valid",
                    extra={"journey_id": version.journey_id, "reason": str(error)},
                )
                continue
            found.append((version.version, parsed))
        with self._lock:
            self._definitions.newest, self._definitions.seen_change = found, change
        return found

    def definition(self, connection: Connection, journey_id: str, version: int) -> Journey:
        with self._lock:
            found = self._definitions.parsed.get((journey_id, version))
        if found is not None:
            return found
        row = stored.get(connection, journey_id, version)
        if row is None:
            raise LookupError(f"journey {journey_id} has no version {version}")
        return self._parse(journey_id, version, row.source)

    def _parse(self, journey_id: str, version: int, source: str) -> Journey:
        with self._lock:
            found = self._definitions.parsed.get((journey_id, version))
        if found is None:
            found = parse_journey(source)
            with self._lock:
                self._definitions.parsed[(journey_id, version)] = found
        return found

    # -- EventHandler ----------------------------------------------------------------------

    def handle(self, event: Event, context: EventContext) -> None:
        connection = context.connection
        profile_id = context.profile_after.id
        if context.merged:
            connection.execute(
                update(_instances)
                .where(_instances.c.profile_id.in_(context.merged))
                .values(profile_id=profile_id)
            )
            self.jobs.move_profiles(connection, context.merged, profile_id)
        facts = event_facts(event)
        for run in self._active_runs(context, profile_id):
            self._on_event(context, run, event, facts)
        for version, journey in self._newest_in(context):
            self._maybe_enter(context, version, journey, event, facts)

    def _active_runs(self, unit: Unit, profile_id: str) -> list[Run]:
        """The profile's active runs, locked; one whose definition cannot be read any more is
        ended as `failed` (it must not block the customer's events)."""
        raw = unit.raw
        runs = []
        for values in raw.run(_ACTIVE_RUNS, (profile_id,)).fetchall():
            row = _run_row(raw, values)
            try:
                runs.append(self._run(unit.connection, row))
            except (LookupError, JourneyDefinitionError) as error:
                self._fail_row(unit, row, error)
        return runs

    def _run(self, connection: Connection, row: Mapping[str, Any]) -> Run:
        return Run(
            id=row["id"],
            journey=self.definition(connection, row["journey_id"], row["version"]),
            version=row["version"],
            profile_id=row["profile_id"],
            status=row["status"],
            step=row["step"],
            waiting=row["waiting"],
            wait_event=row["wait_event"],
            wait_until=row["wait_until"],
            variables=dict(row["variables"]),
            steps_run=row["steps_run"],
            revision=row["revision"],
            entered_at=row["entered_at"],
        )

    def _on_event(
        self, context: EventContext, run: Run, event: Event, facts: dict[str, Any]
    ) -> None:
        journey = run.journey
        scope = self._scope(context, run, {**run.variables, "event": facts})
        for criterion in journey.exit_when:
            met = (
                holds(criterion.condition, scope)
                if criterion.condition is not None
                else _is_track(event, criterion.event) and holds_all(criterion.where, scope)
            )
            if met:
                reason = f"exit: {event.name}" if criterion.event is not None else "exit: condition"
                self._finish(context, run, "exited", reason)
                self._save(context.connection, run, context.now)
                return
        if run.waiting != "event" or not _is_track(event, run.wait_event):
            return
        assert run.step is not None
        wait = journey.step(run.step).wait
        assert wait is not None
        if not holds_all(wait.where, scope):
            return
        run.variables["event"] = facts
        run.clear_wait()
        run.step = journey.following(run.step)
        scope.variables = run.variables
        self._advance(context, run, scope, context.now)
        self._save(context.connection, run, context.now)

    def _maybe_enter(
        self,
        context: EventContext,
        version: int,
        journey: Journey,
        event: Event,
        facts: dict[str, Any],
    ) -> None:
        trigger = journey.trigger
        if not journey.enabled or (trigger.condition is None and not _names(trigger, event)):
            return  # most events, most journeys: no further look
        depth = 0
        origin = event.context.get("journey") if event.source == "journey" else None
        if isinstance(origin, Mapping):
            # What a journey emits never re-triggers it, and chains of journeys stop.
            depth = int(origin.get("depth", 0))
            if origin.get("id") == journey.id or depth >= MAX_CHAIN_DEPTH:
                return
        profile = context.profile_after
        variables: dict[str, Any] = {"trigger": facts, "event": facts, "depth": depth}
        scope = Scope(context.connection, journey, profile, variables, version=version)
        if trigger.condition is not None:
            if not holds(trigger.condition, scope):
                return
        elif not self._triggered(context.connection, trigger, event, scope):
            return
        if not self._may_enter(context.connection, journey, profile.id, context.now):
            return
        run = self._create(context, version, journey, profile.id, variables)
        scope.instance = run.id
        self._advance(context, run, scope, context.now)
        self._save(context.connection, run, context.now)

    def _triggered(
        self, connection: Connection, trigger: Trigger, event: Event, scope: Scope
    ) -> bool:
        if not holds_all(trigger.where, scope):
            return False
        if trigger.count == 1:
            return True
        assert trigger.within is not None
        recent = select(_events.c.payload).where(
            _events.c.profile_id == scope.profile.id,
            _events.c.type == trigger.type,
            _events.c.timestamp > event.timestamp - trigger.within,
            _events.c.timestamp <= event.timestamp,
        )
        if trigger.event is not None:
            recent = recent.where(_events.c.name == trigger.event)
        newest_first = recent.order_by(_events.c.timestamp.desc()).limit(trigger.count * 20)
        rows = connection.execute(newest_first).scalars()
        seen = 0
        for payload in rows:
            past = payload.get("traits" if trigger.type == "identify" else "properties", {})
            past_scope = Scope(
                connection,
                scope.journey,
                scope.profile,
                {"trigger": past, "event": past},
                version=scope.version,
            )
            if holds_all(trigger.where, past_scope):
                seen += 1
        return seen >= trigger.count

    def _may_enter(
        self, connection: Connection, journey: Journey, profile_id: str, now: datetime
    ) -> bool:
        raw = Raw(connection)
        rows = raw.run(_RUNS_OF_JOURNEY, (journey.id, profile_id)).fetchall()
        if not rows:
            return True
        rule = journey.reentry
        if rule.mode == "never":
            return False
        if rule.mode == "after_exit":
            if any(status == "active" for status, _, _ in rows):
                return False
            last = max(raw.time_of(ended) for _, _, ended in rows if ended is not None)
        else:
            last = max(raw.time_of(entered) for _, entered, _ in rows)
        return rule.cooldown is None or now >= last + rule.cooldown

    def _create(
        self,
        unit: Unit,
        version: int,
        journey: Journey,
        profile_id: str,
        variables: dict[str, Any],
    ) -> Run:
        now = unit.now
        raw = unit.raw
        (run_id,) = raw.run(
            _CREATE_RUN,
            (
                journey.id,
                version,
                profile_id,
                journey.first,
                raw.json(variables),
                raw.time(now),
                raw.time(now),
            ),
        ).fetchone()
        run = Run(
            id=run_id,
            journey=journey,
            version=version,
            profile_id=profile_id,
            status="active",
            step=journey.first,
            waiting=None,
            wait_event=None,
            wait_until=None,
            variables=variables,
            steps_run=0,
            revision=0,
            entered_at=now,
        )
        unit.emit(
            _profile_event(
                profile_id,
                f"journey-{run_id}-entered",
                now,
                _origin(journey.id, run_id, variables),
                name=ENTERED_EVENT,
                properties={"journey_id": journey.id, "version": version, "instance_id": run_id},
            )
        )
        logger.info(
            "journey entered",
            extra={"journey_id": journey.id, "instance_id": run_id, "profile_id": profile_id},
        )
        return run

    # -- steps -----------------------------------------------------------------------------

    def _scope(
        self, unit: Unit, run: Run, variables: Mapping[str, Any], profile: Profile | None = None
    ) -> Scope:
        if profile is None:
            assert isinstance(unit, EventContext)
            profile = unit.profile_after
        return Scope(
            unit.connection, run.journey, profile, variables, version=run.version, instance=run.id
        )

    def _advance(self, unit: Unit, run: Run, scope: Scope, base: datetime) -> None:
        """Run steps from `run.step` until one waits or the journey ends. `base` is when the
        run resumed (a timer's due time, so chained waits keep their schedule)."""
        journey = run.journey
        while True:
            assert run.step is not None
            if run.step == END:
                self._finish(unit, run, "completed", None)
                return
            step = journey.step(run.step)
            run.steps_run += 1
            if step.wait is not None:
                self._start_wait(unit, run, step.wait, scope, base)
                return
            if step.branch is not None:
                taken = holds(step.branch.if_, scope)
                run.step = step.branch.then if taken else step.branch.else_
                continue
            self._perform(unit, run, step, scope)
            run.step = journey.following(run.step)

    def _start_wait(
        self, unit: Unit, run: Run, wait: WaitAction, scope: Scope, base: datetime
    ) -> None:
        if wait.duration is not None:
            run.waiting, run.wait_until = "timer", base + wait.duration
        elif wait.until is not None:
            zone = _zone(scope.profile.timezone or unit.pipeline.policy.default_timezone)
            local = base.astimezone(zone)
            target = datetime.combine(local.date(), wait.until, tzinfo=zone)
            if target <= local:
                target = datetime.combine(local.date() + timedelta(days=1), wait.until, tzinfo=zone)
            run.waiting, run.wait_until = "timer", target.astimezone(UTC)
        else:
            run.waiting, run.wait_event = "event", wait.event
            run.wait_until = base + wait.timeout if wait.timeout is not None else None

    def _perform(self, unit: Unit, run: Run, step: Step, scope: Scope) -> None:
        assert run.step is not None
        step_id = run.step
        if step.send is not None:
            offers: Sequence[Offer] = (step.send, *step.send.alternatives)
            unit.decide(
                SendRequest(
                    customer_id=run.profile_id,
                    candidates=tuple(self._candidate(offer, scope) for offer in offers),
                    journey_id=run.journey.id,
                    step=step_id,
                )
            )
        elif step.chat is not None:
            chat = Candidate(
                offer_id=step.chat.offer_id,
                purpose="service",
                body=scope.text(step.chat.body),
                channels=("in_app",),
            )
            unit.decide(
                SendRequest(
                    customer_id=run.profile_id,
                    candidates=(chat,),
                    journey_id=run.journey.id,
                    step=step_id,
                )
            )
        elif step.hold is not None:
            scope.profile = unit.hold(
                run.profile_id, step.hold.name, step.hold.purposes, scope.text(step.hold.reason)
            )
        elif step.release is not None:
            scope.profile = unit.release(run.profile_id, step.release)
        elif step.update_traits is not None:
            traits = render_value(step.update_traits, scope)
            unit.emit(
                _profile_event(
                    run.profile_id,
                    f"journey-{run.id}-{run.steps_run}",
                    unit.now,
                    _origin(run.journey.id, run.id, run.variables),
                    traits=traits,
                )
            )
        else:
            kind, payload = self._job(run, step, scope, unit.now)
            new_job(
                unit.connection,
                instance_id=run.id,
                journey_id=run.journey.id,
                step=step_id,
                profile_id=run.profile_id,
                kind=kind,
                payload=payload,
                now=unit.now,
            )

    def _job(
        self, run: Run, step: Step, scope: Scope, now: datetime
    ) -> tuple[JobKind, dict[str, Any]]:
        """The kind and payload (templates rendered now) of a task, alert or webhook step."""
        if step.webhook is not None:
            hook = step.webhook
            body = (
                render_value(hook.body, scope)
                if hook.body is not None
                else {
                    "journey": {"id": run.journey.id, "name": run.journey.name},
                    "version": run.version,
                    "instance_id": run.id,
                    "step": run.step,
                    "profile_id": run.profile_id,
                    "customer_id": scope.profile.customer_id,
                    "trigger": run.variables.get("trigger", {}),
                    "event": run.variables.get("event", {}),
                    "at": now.isoformat(),
                }
            )
            return "webhook", {
                "url": render(hook.url, scope),
                "method": hook.method,
                "headers": {name: render(value, scope) for name, value in hook.headers.items()},
                "body": body,
                "timeout": hook.timeout or self.settings.webhook_timeout,
            }
        ticket = step.task or step.alert
        assert ticket is not None
        return ("alert" if step.alert is not None else "task"), {
            "customer_id": scope.profile.customer_id,
            "language": scope.language(),
            "subject": scope.text(ticket.subject),
            "description": scope.text(ticket.description),
            "category": step.task.category if step.task is not None else "other",
            "severity": ticket.severity,
            "skill": ticket.skill,
        }

    def _candidate(self, offer: Offer, scope: Scope) -> Candidate:
        return Candidate(
            offer_id=offer.offer_id,
            purpose=offer.purpose,
            body=scope.text(offer.body),
            subject=scope.text(offer.subject)[:200] if offer.subject is not None else None,
            channels=offer.channels,
            propensity=offer.propensity,
            context_weight=offer.context_weight,
            value=offer.value,
            lever=offer.lever,
        )

    def _finish(
        self, unit: Unit, run: Run, status: str, reason: str | None, *, record: bool = True
    ) -> None:
        run.status, run.end_reason, run.ended_at = status, reason, unit.now
        run.step = None if status == "completed" else run.step
        run.clear_wait()
        logger.info(
            "journey ended",
            extra={"journey_id": run.journey.id, "instance_id": run.id, "status": status},
        )
        if record:
            unit.emit(
                _ended_event(
                    run.profile_id,
                    run.id,
                    run.journey.id,
                    run.version,
                    run.entered_at,
                    status,
                    reason,
                    unit.now,
                    run.variables,
                )
            )

    def _save(self, connection: Connection, run: Run, now: datetime) -> None:
        raw = Raw(connection)
        saved = raw.run(
            _SAVE_RUN,
            (
                run.status,
                run.step,
                run.waiting,
                run.wait_event,
                raw.time(run.wait_until),
                raw.json(run.variables),
                run.steps_run,
                run.revision + 1,
                raw.time(now),
                raw.time(run.ended_at),
                run.end_reason[:300] if run.end_reason else None,
                run.id,
                run.revision,
            ),
        )
        if saved.rowcount != 1:
            raise StaleRun(f"journey instance {run.id} changed concurrently")
        run.revision += 1

    # -- DueRunner -------------------------------------------------------------------------

    def run_due(self, pipeline: Pipeline, now: datetime) -> int:
        """Fire the timers and event-wait timeouts due by `now`, then the due jobs."""
        with pipeline.db.engine.connect() as connection:
            due = connection.execute(
                select(_instances.c.id, _instances.c.profile_id)
                .where(_instances.c.status == "active", _instances.c.wait_until <= now)
                .order_by(_instances.c.wait_until, _instances.c.id)
                .limit(MAX_DUE_PER_TICK)
            ).all()
        done = 0
        for instance_id, profile_id in due:
            try:
                with pipeline.unit() as unit:
                    done += self._fire(unit, instance_id, profile_id)
            except Exception as error:
                logger.exception("journey timer failed", extra={"instance_id": instance_id})
                done += self._fail(pipeline, instance_id, error)
        return done + self.jobs.run_due(pipeline, now)

    def _fire(self, unit: Unit, instance_id: int, profile_id: str) -> int:
        connection = unit.connection
        profile = unit.profile(profile_id)  # lock the profile first, as ingestion does
        row = connection.execute(
            select(_instances)
            .where(
                _instances.c.id == instance_id,
                _instances.c.status == "active",
                _instances.c.wait_until <= unit.now,
            )
            .with_for_update(skip_locked=True)
        ).first()
        if row is None:
            return 0  # another worker fired it, or an event moved it on
        run = self._run(connection, dict(row._mapping))
        assert run.step is not None and run.wait_until is not None
        due_at = run.wait_until
        if profile is None:  # erased meanwhile: end quietly (an event would recreate it)
            self._finish(unit, run, "exited", "the profile no longer exists", record=False)
            self._save(connection, run, unit.now)
            return 1
        wait = run.journey.step(run.step).wait
        assert wait is not None
        timed_out = run.waiting == "event"
        run.clear_wait()
        scope = self._scope(unit, run, run.variables, profile)
        if not timed_out:
            run.step = run.journey.following(run.step)
            self._advance(unit, run, scope, due_at)
        elif wait.on_timeout is not None:
            run.step = wait.on_timeout
            self._advance(unit, run, scope, due_at)
        else:
            self._finish(unit, run, "exited", f"no {wait.event} within the timeout")
        self._save(connection, run, unit.now)
        return 1

    def _fail(self, pipeline: Pipeline, instance_id: int, error: Exception) -> int:
        """A run whose step raised is ended as `failed` (not retried forever)."""
        with pipeline.unit() as unit:
            row = unit.connection.execute(
                select(_instances)
                .where(_instances.c.id == instance_id, _instances.c.status == "active")
                .with_for_update()
            ).first()
            if row is None:
                return 0
            self._fail_row(unit, dict(row._mapping), error)
        return 1

    def _fail_row(self, unit: Unit, row: Mapping[str, Any], error: Exception) -> None:
        """End a run as `failed` from its row alone: its definition may be what is broken."""
        reason = f"{type(error).__name__}: {error}"[:300]
        unit.connection.execute(
            update(_instances)
            .where(_instances.c.id == row["id"])
            .values(
                status="failed",
                waiting=None,
                wait_event=None,
                wait_until=None,
                revision=row["revision"] + 1,
                updated_at=unit.now,
                ended_at=unit.now,
                end_reason=reason,
            )
        )
        unit.emit(
            _ended_event(
                row["profile_id"],
                row["id"],
                row["journey_id"],
                row["version"],
                row["entered_at"],
                "failed",
                reason,
                unit.now,
                row["variables"],
            )
        )
        logger.warning("journey run failed", extra={"instance_id": row["id"], "reason": reason})

    # -- MembershipReader ------------------------------------------------------------------

    def memberships(self, connection: Connection, profile_id: str) -> list[JourneyMembership]:
        rows = connection.execute(
            select(_instances)
            .where(_instances.c.profile_id == profile_id)
            .order_by(_instances.c.entered_at.desc(), _instances.c.id.desc())
            .limit(MAX_MEMBERSHIPS)
        ).all()
        return [
            JourneyMembership(
                journey_id=row.journey_id,
                status=row.status,
                entered_at=row.entered_at,
                updated_at=row.updated_at,
                step=row.step,
            )
            for row in rows
        ]


def _run_row(raw: Raw, values: Sequence[Any]) -> dict[str, Any]:
    """A row of `_ACTIVE_RUNS` as the table's columns would read it through SQLAlchemy."""
    row = dict(zip(_RUN_COLUMNS, values, strict=True))
    row["wait_until"] = raw.read_time(row["wait_until"])
    row["entered_at"] = raw.time_of(row["entered_at"])
    row["variables"] = raw.read_json(row["variables"])
    return row


def _first_value(connection: Connection, statement: str, *params: Any) -> Any:
    """The first column of the first row (None when there is none), from the DBAPI cursor of
    the connection's transaction: a fraction of what a SQLAlchemy statement costs, for the two
    questions every event asks. `statement` uses `?` placeholders."""
    cursor = connection.connection.cursor()
    try:
        if connection.dialect.name == "postgresql":
            statement = statement.replace("?", "%s")
        cursor.execute(statement, params)
        row = cursor.fetchone()
    finally:
        cursor.close()
    return None if row is None else row[0]


def _names(trigger: Trigger, event: Event) -> bool:
    """Whether an event trigger is about this kind of event (before its conditions)."""
    return event.type == trigger.type and trigger.event in (None, event.name)


def _is_track(event: Event, name: str | None) -> bool:
    return event.type == "track" and event.name == name


def _zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


def _origin(journey_id: str, instance_id: int, variables: Mapping[str, Any]) -> dict[str, Any]:
    """The `context.journey` of the events a run emits: which run, and how deep in a chain of
    journeys triggering journeys it is."""
    return {"id": journey_id, "instance": instance_id, "depth": int(variables.get("depth", 0)) + 1}


def _profile_event(
    profile_id: str,
    message_id: str,
    now: datetime,
    origin: dict[str, Any],
    *,
    name: str | None = None,
    properties: dict[str, Any] | None = None,
    traits: dict[str, Any] | None = None,
) -> Event:
    """An event about a profile from the journey runtime (a track, or an identify with traits)."""
    anonymous = profile_id.startswith(ANONYMOUS_PREFIX)
    return Event(
        context={"journey": origin},
        type="identify" if traits is not None else "track",
        message_id=message_id,
        source="journey",
        timestamp=now,
        received_at=now,
        user_id=None if anonymous else profile_id,
        anonymous_id=profile_id.removeprefix(ANONYMOUS_PREFIX) if anonymous else None,
        name=name,
        properties=properties or {},
        traits=traits or {},
    )


def _ended_event(
    profile_id: str,
    instance_id: int,
    journey_id: str,
    version: int,
    entered_at: datetime,
    status: str,
    reason: str | None,
    now: datetime,
    variables: Mapping[str, Any],
) -> Event:
    """`Journey Completed`, `Exited` or `Failed`, with how long the run took."""
    return _profile_event(
        profile_id,
        f"journey-{instance_id}-{status}",
        now,
        _origin(journey_id, instance_id, variables),
        name=LIFECYCLE_EVENTS[status],
        properties={
            "journey_id": journey_id,
            "version": version,
            "instance_id": instance_id,
            "entered_at": entered_at.isoformat(),
            "duration_seconds": (now - entered_at).total_seconds(),
            **({"reason": reason} if reason else {}),
        },
    )


def attach(pipeline: Pipeline, settings: JourneySettings | None = None) -> JourneyRuntime:
    """Register the journey runtime on `pipeline` and load the journeys folder
    (`CEREBRO_JOURNEYS_DIR`) when one is set."""
    settings = settings or JourneySettings()
    runtime = JourneyRuntime(settings)
    pipeline.add_handler(runtime)
    pipeline.add_due_runner(runtime)
    pipeline.add_membership_reader(runtime)
    if settings.journeys_dir is not None:
        loaded = stored.load_folder(pipeline.db, settings.journeys_dir, pipeline.clock.now())
        logger.info(
            "journeys folder loaded",
            extra={
                "folder": str(settings.journeys_dir),
                "files": len(loaded),
                "new_versions": sum(1 for item in loaded if item.created),
                "skipped": sum(1 for item in loaded if item.error),
            },
        )
    return runtime
