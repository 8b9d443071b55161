"""The support agent: the LangGraph state machine for one conversation (built in its own issue)."""
