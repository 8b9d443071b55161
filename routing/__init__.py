"""Human routing on Cerebro's side: the agent console's queue (`queue.py`). Choosing the agent for a
handoff (skills, language, capacity, stickiness) is its own issue."""
