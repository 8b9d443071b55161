"""The support assistant: the LangGraph state machine for one conversation (`agent.graph`), its
state (`agent.state`), the seam a brain plugs into (`agent.brain`), the only door from a brain to
the tool adapters (`agent.customer_tools`), the offline brain (`agent.offline`) and the LLM brain
(`agent.llm`), and the service that plays conversations (`agent.service`). See docs/agent.md."""
