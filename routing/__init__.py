"""Choosing the human agent for a handoff: skills, language, capacity, stickiness (own issue)."""
