"""Offline evaluation of recorded transcripts (built in its own issue)."""
