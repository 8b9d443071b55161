"""Prompt and response templates, per language, versioned as files (filled in with the agent)."""
