"""The conversation graph: one LangGraph `StateGraph` per deployment, one thread per conversation.

```
                 ┌────────── human mode: record only ──────────┐
 START ─ message ─ perceive ─ guard ─ understand ─ guard_understanding ─ act ─ respond ─ END
   │                            │                      │                  │       ▲
   │                            └──────── escalation ──┴──────────────────┴─> handoff
   ├─ agent message ─ human_message ─ END
   ├─ hand-back ───── handback ────── END
   └─ open ─────────────────────────── END   (the input holds the new conversation's state)
```

Every node is a plain function of the state and the dependencies (`agent.nodes`); this module
only wires them. The checkpointer stores the state after every run, so a conversation survives
a restart of the process (see `agent.checkpoint`).
"""

from __future__ import annotations

from functools import partial
from typing import Any, Literal

from langgraph.checkpoint.base import BaseCheckpointSaver
from langgraph.graph import END, START, StateGraph
from langgraph.graph.state import CompiledStateGraph

from agent.brain import Brain
from agent.deps import AgentDeps
from agent.nodes.act import act
from agent.nodes.guard import guard, guard_understanding
from agent.nodes.handoff import handoff
from agent.nodes.human import handback, human_message
from agent.nodes.perceive import perceive
from agent.nodes.respond import respond
from agent.nodes.understand import understand
from agent.state import ConversationState

ConversationGraph = CompiledStateGraph[
    ConversationState, None, ConversationState, ConversationState
]


def route_inbox(
    state: ConversationState,
) -> Literal["perceive", "human_message", "handback", "__end__"]:
    inbox = state.get("inbox")
    if inbox is None or inbox["kind"] == "open":
        return "__end__"
    if inbox["kind"] == "handback":
        return "handback"
    return "human_message" if inbox["source"] == "human_agent" else "perceive"


def after_perceive(state: ConversationState) -> Literal["guard", "__end__"]:
    return "guard" if state.get("mode", "ai") == "ai" else "__end__"


def escalate_or(following: str) -> Any:
    """A router: to `handoff` when the node before raised an escalation, else to `following`."""

    def route(state: ConversationState) -> str:
        return "handoff" if state.get("escalation") is not None else following

    route.__name__ = f"escalate_or_{following}"
    return route


def build_graph(
    brain: Brain, deps: AgentDeps, checkpointer: BaseCheckpointSaver[Any] | None
) -> ConversationGraph:
    """The compiled graph playing `brain` with `deps`, checkpointed by `checkpointer`."""
    graph = StateGraph(ConversationState)
    graph.add_node("perceive", partial(perceive, deps=deps))
    graph.add_node("guard", partial(guard, deps=deps))
    graph.add_node("understand", partial(understand, deps=deps, brain=brain))
    graph.add_node("guard_understanding", partial(guard_understanding, deps=deps))
    graph.add_node("act", partial(act, deps=deps, brain=brain))
    graph.add_node("handoff", partial(handoff, deps=deps))
    graph.add_node("respond", partial(respond, deps=deps))
    graph.add_node("human_message", partial(human_message, deps=deps))
    graph.add_node("handback", partial(handback, deps=deps))

    graph.add_conditional_edges(START, route_inbox)
    graph.add_conditional_edges("perceive", after_perceive)
    graph.add_conditional_edges("guard", escalate_or("understand"), ["handoff", "understand"])
    graph.add_edge("understand", "guard_understanding")
    graph.add_conditional_edges("guard_understanding", escalate_or("act"), ["handoff", "act"])
    graph.add_conditional_edges("act", escalate_or("respond"), ["handoff", "respond"])
    graph.add_edge("handoff", "respond")
    graph.add_edge("respond", END)
    graph.add_edge("human_message", END)
    graph.add_edge("handback", END)
    return graph.compile(checkpointer=checkpointer, name=f"cerebro-{brain.name}")
