"""The orchestration engine: events, identity, journeys, policies, next best action (own issue)."""
