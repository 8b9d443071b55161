"""Journeys as files: the YAML definition (`model`), its parsing with path-naming errors
(`parse`), and its versions in the database (`versions`)."""

from journeys.definitions.model import END, Journey, Step
from journeys.definitions.parse import DefinitionIssue, JourneyDefinitionError, parse_journey

__all__ = ["END", "DefinitionIssue", "Journey", "JourneyDefinitionError", "Step", "parse_journey"]
