"""The offline brain's understanding step: for each customer turn, its language, intent (with a
confidence), entities (order ids, emails, phones, postal codes, names, quantities and items) and
whether it is out of scope. See docs/nlu.md.

    >>> from agent.nlu import parse
    >>> parse("¿dónde está mi pedido 100042?").intent
    'order_status'
"""

from agent.nlu.classifier import ClassifierConfig, IntentClassifier
from agent.nlu.entities import extract_entities
from agent.nlu.examples import INTENTS, Example, load_examples
from agent.nlu.parser import MAX_TEXT_LENGTH, Parser, default_parser, parse, shared_embedder
from agent.nlu.types import Entity, EntityKind, Intent, Understanding

__all__ = [
    "INTENTS",
    "MAX_TEXT_LENGTH",
    "ClassifierConfig",
    "Entity",
    "EntityKind",
    "Example",
    "Intent",
    "IntentClassifier",
    "Parser",
    "Understanding",
    "default_parser",
    "extract_entities",
    "load_examples",
    "parse",
    "shared_embedder",
]
