"""The conversation graph's nodes: plain functions of (state, dependencies) returning a state
update, each testable on its own (see `agent.graph` for how they are wired)."""
