"""Deterministic retail demo data: story customers for demos and tests, then as many random
customers as asked, streamed in chunks (`generate`) and bulk-inserted (`seed`)."""
