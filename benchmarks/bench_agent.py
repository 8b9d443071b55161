"""Server-side time of a conversation turn with the offline brain, at 50 concurrent conversations,
next to the same conversations run through LangGraph's prebuilt ReAct agent in the same run.

    .venv/bin/python benchmarks/bench_agent.py [--conversations 50] [--think-ms 3000]

Both run on the same seeded SQLite store, each with a `SqliteSaver` checkpointer on a file:
- `offline graph`: Cerebro's conversation graph with the offline brain, played through the
  conversation service (perceive: language, sentiment, frustration signals; guard; NLU; flows;
  tools; templates; checkpoint);
- `prebuilt ReAct`: `langgraph.prebuilt.create_react_agent` with the same tools (the same
  `CustomerTools` methods on the same adapters) and a scripted chat model: for each turn it calls,
  one step at a time, exactly the tools the offline brain called, then answers with its reply.

Each conversation is five customer turns (ask for an order, identify by email, a policy question,
the account details, goodbye), worded per customer so no two conversations send the same text
(the shared sentence-embedding cache would otherwise flatter the offline brain). A turn's time is
taken around the call that plays it on the server side (no HTTP), lock and checkpoint included.
Each customer waits `--think-ms` (jittered) between a reply and their next message, as people
typing do; 0 makes it a closed loop. The embedding model is loaded and both graphs warmed up
before measuring, as `cerebro serve` does (`agent.runtime.warm_up`). Next to each system's times
it prints the cores the machine's other processes kept busy while it played: on a shared 2-core
machine the tail moves with them.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from langchain_core.language_models.chat_models import BaseChatModel
from langchain_core.messages import AIMessage, BaseMessage, HumanMessage, ToolMessage
from langchain_core.outputs import ChatGeneration, ChatResult
from langchain_core.runnables import RunnableConfig
from langchain_core.tools import BaseTool, StructuredTool
from langgraph.prebuilt import create_react_agent
from pydantic import BaseModel
from rich.console import Console
from rich.table import Table
from sqlalchemy import select

from agent.checkpoint import sqlite_checkpointer
from agent.customer_tools import CustomerTools
from agent.deps import AgentDeps
from agent.graph import build_graph
from agent.locks import LocalLocks
from agent.offline import OfflineBrain
from agent.runtime import (
    default_sentiment_analyzer,
    default_understanding,
    shared_encoder,
    warm_up,
)
from agent.service import ConversationService
from cerebro.clock import FixedClock
from cerebro.settings import Settings
from memory.db import Database
from memory.demo.generator import DEFAULT_NOW
from memory.demo.seeding import seed
from memory.knowledge.store import KnowledgeBase
from memory.migrate import upgrade
from memory.schema import Customer
from tools.factory import build_toolbox

GOAL_P95_MS = 50.0
QUESTIONS = {
    "en": [
        "How long do refunds take?",
        "Do you ship to the Canary Islands?",
        "What payment methods do you accept?",
        "How many days do I have to return something?",
        "Is return shipping free?",
    ],
    "es": [
        "¿Cuánto tardan los reembolsos?",
        "¿Hacéis envíos a Canarias?",
        "¿Qué formas de pago aceptáis?",
        "¿Cuántos días tengo para devolver algo?",
        "¿La devolución es gratis?",
    ],
}


def script(customer: Customer, number: int) -> list[str]:
    """The five customer turns of one conversation."""
    name = customer.first_name
    question = QUESTIONS[customer.language][number % len(QUESTIONS[customer.language])]
    if customer.language == "es":
        return [
            f"Hola, soy {name}, ¿dónde está mi pedido? (consulta {number})",
            customer.email,
            question,
            f"¿Qué datos de contacto tenéis de mí, {name}?",
            f"Gracias, adiós {name}",
        ]
    return [
        f"Hi, {name} here, where is my order? (query {number})",
        customer.email,
        question,
        f"What contact details do you have for me, {name}?",
        f"Thanks, bye {name}",
    ]


@dataclass
class Run:
    """The turn times of one system, and what the offline brain did (for the scripted model)."""

    seconds: list[float] = field(default_factory=list)
    cpu_seconds: float = 0.0
    """Process CPU time while the conversations played (every thread): cores are shared, this
    is what a turn costs whatever else the machine runs."""
    others_cores: float | None = None
    """Cores the machine's other processes kept busy meanwhile, on average (Linux only): the
    turn times move with it."""
    calls: dict[tuple[int, int], list[tuple[str, dict[str, Any]]]] = field(default_factory=dict)
    replies: dict[tuple[int, int], str] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, seconds: float) -> None:
        with self.lock:
            self.seconds.append(seconds)


def play(
    conversations: Sequence[list[str]],
    turn: Callable[[int, int, str], None],
    think: float,
    run: Run,
) -> None:
    """Play every conversation in its own thread, all at once; `run` gets the CPU time used."""

    def one(index: int) -> None:
        jitter = random.Random(index)
        time.sleep(jitter.uniform(0, think))  # customers do not all start at the same instant
        for number, text in enumerate(conversations[index]):
            turn(index, number, text)
            time.sleep(jitter.uniform(0.5 * think, 1.5 * think))

    started, wall, machine = time.process_time(), time.perf_counter(), machine_busy_seconds()
    with ThreadPoolExecutor(max_workers=len(conversations)) as pool:
        for future in [pool.submit(one, i) for i in range(len(conversations))]:
            future.result()
    run.cpu_seconds = time.process_time() - started
    busy = machine_busy_seconds()
    if busy is not None and machine is not None:
        run.others_cores = max(0.0, busy - machine - run.cpu_seconds) / (time.perf_counter() - wall)


def machine_busy_seconds() -> float | None:
    """CPU seconds every core spent busy since boot (`/proc/stat`), None where there is none."""
    try:
        with open("/proc/stat") as stat:
            ticks = [int(value) for value in stat.readline().split()[1:]]
    except OSError:
        return None
    idle, iowait = ticks[3], ticks[4]
    return (sum(ticks[:8]) - idle - iowait) / os.sysconf("SC_CLK_TCK")


# --- the prebuilt ReAct agent with a scripted model and the same tools ---------------------------

TOOL_NAMES = {
    "crm.find_customer_by_email": "identify_by_email",
    "logistics.list_orders": "orders",
    "logistics.get_order": "order",
    "logistics.track_shipment": "tracking",
    "knowledge.search": "search_knowledge",
    "crm.get_profile": "profile",
}


class ScriptedModel(BaseChatModel):
    """A fake chat model: per conversation and turn, the tool calls to make one by one, then the
    reply. The conversation is told by its first message, the turn by the count of human
    messages, the step by the tool results since the last one."""

    steps: dict[tuple[str, int], list[AIMessage]]

    @property
    def _llm_type(self) -> str:
        return "scripted"

    def bind_tools(self, tools: Any, **kwargs: Any) -> ScriptedModel:
        return self

    def _generate(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: Any = None,
        **kwargs: Any,
    ) -> ChatResult:
        humans = [i for i, m in enumerate(messages) if isinstance(m, HumanMessage)]
        key = (str(messages[humans[0]].content), len(humans) - 1)
        step = sum(isinstance(m, ToolMessage) for m in messages[humans[-1] :])
        return ChatResult(generations=[ChatGeneration(message=self.steps[key][step])])


def scripted_steps(
    conversations: Sequence[list[str]], offline: Run
) -> dict[tuple[str, int], list[AIMessage]]:
    steps: dict[tuple[str, int], list[AIMessage]] = {}
    for index, texts in enumerate(conversations):
        for number in range(len(texts)):
            messages = [
                AIMessage(
                    content="",
                    tool_calls=[
                        {"name": TOOL_NAMES[tool], "args": args, "id": f"call_{index}_{number}_{k}"}
                    ],
                )
                for k, (tool, args) in enumerate(offline.calls[(index, number)])
            ]
            messages.append(AIMessage(content=offline.replies[(index, number)]))
            steps[(texts[0], number)] = messages
    return steps


def _json(value: Any) -> str:
    if isinstance(value, BaseModel):
        return value.model_dump_json()
    if isinstance(value, list):
        return json.dumps([_json_value(item) for item in value])
    return json.dumps(_json_value(value))


def _json_value(value: Any) -> Any:
    if isinstance(value, BaseModel):
        return value.model_dump(mode="json")
    if hasattr(value, "__dataclass_fields__"):
        return {name: getattr(value, name) for name in value.__dataclass_fields__}
    return value


def react_tools(facade: Callable[[RunnableConfig], CustomerTools]) -> list[BaseTool]:
    """The `CustomerTools` methods the script uses, as LangChain tools on the thread's facade."""

    def identify_by_email(email: str, config: RunnableConfig) -> str:
        """Verify the customer by their email address."""
        return _json(facade(config).identify_by_email(email))

    def orders(limit: int, config: RunnableConfig) -> str:
        """The customer's newest orders."""
        return _json(facade(config).orders(limit))

    def order(order_id: str, config: RunnableConfig) -> str:
        """One of the customer's orders in full."""
        return _json(facade(config).order(order_id))

    def tracking(order_id: str, config: RunnableConfig) -> str:
        """Where the parcels of an order are."""
        return _json(facade(config).tracking(order_id))

    def search_knowledge(query: str, k: int, config: RunnableConfig) -> str:
        """Policy passages answering a question."""
        return _json(facade(config).search_knowledge(query, k))

    def profile(config: RunnableConfig) -> str:
        """The customer's contact details."""
        return _json(facade(config).profile())

    functions = (identify_by_email, orders, order, tracking, search_knowledge, profile)
    return [StructuredTool.from_function(function) for function in functions]


# --- the run -------------------------------------------------------------------------------------


def percentile(values: Sequence[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--conversations", type=int, default=50)
    parser.add_argument("--customers", type=int, default=300, help="customers seeded")
    parser.add_argument(
        "--think-ms", type=float, default=3000, help="mean pause between a reply and the next turn"
    )
    args = parser.parse_args()
    think = args.think_ms / 1000
    cores = os.cpu_count()
    console = Console()
    with tempfile.TemporaryDirectory(prefix="cerebro-bench-") as folder:
        data = Path(folder)
        db = Database(f"sqlite:///{data / 'cerebro.db'}")
        upgrade(db)
        seed(db, args.customers)
        with db.session() as session:
            customers = list(
                session.scalars(select(Customer).order_by(Customer.id).limit(args.conversations))
            )
        conversations = [script(c, i) for i, c in enumerate(customers)]
        clock = FixedClock(DEFAULT_NOW)
        toolbox = build_toolbox(Settings(data_dir=data), db, clock)
        started = time.perf_counter()
        understanding = default_understanding(Path.home() / ".cache" / "cerebro-bench")
        knowledge = KnowledgeBase.open(data, shared_encoder())
        deps = AgentDeps(
            toolbox=toolbox,
            clock=clock,
            sentiment=default_sentiment_analyzer(),
            knowledge=knowledge,
        )
        warm_up(understanding, deps.sentiment, knowledge)  # as `cerebro serve` does
        console.print(
            f"models loaded and knowledge indexed in {time.perf_counter() - started:.1f} s"
        )

        offline = Run()
        with sqlite_checkpointer(data / "offline-checkpoints.db") as saver:
            service = ConversationService(
                build_graph(OfflineBrain(understanding, clock), deps, saver), clock, LocalLocks()
            )
            warm = service.create()
            for text in ("hello", "where is my order?", customers[0].email, "thanks, bye"):
                service.post_message(warm.conversation_id, text)
            ids = [service.create().conversation_id for _ in conversations]

            def offline_turn(index: int, number: int, text: str) -> None:
                begun = time.perf_counter()
                result = service.post_message(ids[index], text)
                offline.add(time.perf_counter() - begun)
                replies = [t for t in result.new_turns if t["source"] == "ai_agent"]
                offline.calls[(index, number)] = [
                    (c["tool"], c["args"]) for t in replies for c in t["tool_calls"] if c["ok"]
                ]
                offline.replies[(index, number)] = " ".join(t["text"] for t in replies)

            play(conversations, offline_turn, think, offline)

        react = Run()
        facades: dict[str, CustomerTools] = {}
        facades_lock = threading.Lock()

        def facade(config: RunnableConfig) -> CustomerTools:
            thread_id = str(config.get("configurable", {}).get("thread_id"))
            with facades_lock:
                if thread_id not in facades:
                    facades[thread_id] = CustomerTools(
                        toolbox,
                        conversation_id=thread_id,
                        language="en",
                        clock=clock,
                        knowledge=knowledge,
                    )
                return facades[thread_id]

        model = ScriptedModel(steps=scripted_steps(conversations, offline))
        with sqlite_checkpointer(data / "react-checkpoints.db") as saver:
            agent = create_react_agent(model, react_tools(facade), checkpointer=saver)
            warm_config: RunnableConfig = {"configurable": {"thread_id": "warm"}}
            agent.invoke({"messages": [HumanMessage(conversations[0][0])]}, warm_config)

            def react_turn(index: int, number: int, text: str) -> None:
                config: RunnableConfig = {"configurable": {"thread_id": f"react-{index}"}}
                begun = time.perf_counter()
                agent.invoke({"messages": [HumanMessage(text)]}, config)
                react.add(time.perf_counter() - begun)

            play(conversations, react_turn, think, react)
        toolbox.close()
        db.dispose()

    table = Table(
        title=(
            f"Server-side time of a turn: {len(conversations)} concurrent conversations, "
            f"{len(conversations[0])} turns each, think time {args.think_ms:.0f} ms (jittered)"
        )
    )
    columns = ("system", "turns", "median ms", "p95 ms", "max ms", "CPU ms/turn", "others' cores")
    for column in columns:
        table.add_column(column, justify="left" if column == "system" else "right")
    rows = {"offline graph (Cerebro)": offline, "prebuilt ReAct, scripted model": react}
    for name, run in rows.items():
        ms = [s * 1000 for s in run.seconds]
        table.add_row(
            name,
            str(len(ms)),
            f"{statistics.median(ms):.1f}",
            f"{percentile(ms, 0.95):.1f}",
            f"{max(ms):.1f}",
            f"{run.cpu_seconds * 1000 / len(ms):.1f}",
            "-" if run.others_cores is None else f"{run.others_cores:.2f}",
        )
    console.print(table)
    one, five, _ = os.getloadavg()
    console.print(f"load average at the end: {one:.2f} (1 min), {five:.2f} (5 min), {cores} cores")
    offline_p95 = percentile(offline.seconds, 0.95) * 1000
    react_p95 = percentile(react.seconds, 0.95) * 1000
    ratio = statistics.median(offline.seconds) / statistics.median(react.seconds)
    console.print(
        f"offline / ReAct: median x{ratio:.2f}, p95 x{offline_p95 / react_p95:.2f}. "
        f"Goal p95 < {GOAL_P95_MS:.0f} ms: {'met' if offline_p95 < GOAL_P95_MS else 'NOT met'} "
        f"({offline_p95:.1f} ms)."
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
