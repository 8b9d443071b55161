"""The orchestration engine: events, identity, profiles, journeys, policies, next best action."""
