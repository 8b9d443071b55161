"""Replaying transcripts: each on a fresh copy of the data, several at a time.

Conversations run on threads: the turns spend their time in the sentence encoder (which batches
concurrent texts, see `agent.embedding`), in SQLite and, for the LLM brain, waiting on the model
endpoint. A conversation that crashes is recorded as failed with its error; the run goes on.
"""

from __future__ import annotations

import tempfile
import time
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass
from pathlib import Path

from agent.state import ConversationState
from evals.assertions import Baseline, FinalState
from evals.format import Transcript
from evals.loading import Loaded
from evals.outcome import CallRecord, ConversationOutcome
from evals.scoring import PlayedTurn, judge
from evals.world import Machinery, Stage, customer_identifiers, seed_template, stage
from memory.demo.generator import DEFAULT_NOW


@dataclass(frozen=True)
class RunResult:
    outcomes: list[ConversationOutcome]
    """In the order of the transcripts."""
    seconds: float


def _play_turns(stage_: Stage, transcript: Transcript) -> tuple[list[PlayedTurn], str]:
    service = stage_.service
    customer = stage_.session_customer(transcript.logged_in_as) if transcript.logged_in_as else None
    created = service.create(language=transcript.language, customer=customer)
    conversation = created.conversation_id
    state: ConversationState = created.state
    played: list[PlayedTurn] = []
    for turn in transcript.turns:
        had_handoff = state.get("handoff") is not None
        pending = state.get("pending_change")
        result = service.post_message(conversation, turn.text)
        state = result.state
        said = result.first("customer")
        perception = state.get("perception")
        sentiment = said["sentiment"] if said else None
        played.append(
            PlayedTurn(
                text=turn.text,
                reply=" ".join(t["text"] for t in result.new_turns if t["source"] == "ai_agent"),
                intent=said["intent"] if said else None,
                sentiment=sentiment["label"] if sentiment else None,
                calls=tuple(
                    CallRecord(tool=call["tool"], args=dict(call["args"]), ok=call["ok"])
                    for t in result.new_turns
                    for call in t["tool_calls"]
                ),
                handoff=not had_handoff and state.get("handoff") is not None,
                affirmation=perception["affirmation"] if perception else None,
                pending_before=pending,
                milliseconds=result.seconds * 1000,
            )
        )
    return played, conversation


def replay(
    loaded: Loaded,
    machinery: Machinery,
    template: Path,
    identifiers: Mapping[str, frozenset[str]],
    scratch: Path,
) -> ConversationOutcome:
    """Play one transcript on its own copy of the data and judge it."""
    transcript = loaded.transcript
    source = f"{loaded.path}:{loaded.line}"
    folder = Path(tempfile.mkdtemp(prefix="conv-", dir=scratch))
    try:
        with stage(machinery, template, folder, transcript.start(DEFAULT_NOW)) as stage_:
            baseline = Baseline.of(stage_.db)
            played, conversation = _play_turns(stage_, transcript)
            final = FinalState(
                db=stage_.db,
                baseline=baseline,
                state=stage_.service.get(conversation),
                replies=tuple(turn.reply for turn in played),
            )
            return judge(transcript, source, played, final, identifiers)
    except Exception as error:  # one broken conversation must not stop the run
        message = f"{type(error).__name__}: {error}".splitlines()[0][:300]
        return ConversationOutcome(
            id=transcript.id,
            source=source,
            flow=transcript.flow,
            flows=transcript.flows,
            language=transcript.language,
            tags=transcript.tags,
            failures=[f"replay crashed: {message}"],
            error=message,
        )
    finally:
        for leftover in sorted(folder.iterdir(), reverse=True):
            leftover.unlink()
        folder.rmdir()


def run(
    transcripts: Sequence[Loaded],
    machinery: Machinery,
    *,
    workers: int = 2,
    progress: Callable[[ConversationOutcome], None] | None = None,
) -> RunResult:
    """Replay every transcript, `workers` at a time; `progress` hears of each one done."""
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="cerebro-eval-") as folder:
        root = Path(folder)
        template = seed_template(root / "template")
        identifiers = customer_identifiers(template)
        outcomes: dict[int, ConversationOutcome] = {}
        with ThreadPoolExecutor(max_workers=max(1, workers), thread_name_prefix="eval") as pool:
            futures = {
                pool.submit(replay, item, machinery, template, identifiers, root): index
                for index, item in enumerate(transcripts)
            }
            for future in as_completed(futures):
                outcome = future.result()
                outcomes[futures[future]] = outcome
                if progress is not None:
                    progress(outcome)
    ordered = [outcomes[index] for index in range(len(transcripts))]
    return RunResult(ordered, time.perf_counter() - started)
