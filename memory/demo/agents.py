"""The contact centre: human agents with skills, languages, channels and capacity."""

from __future__ import annotations

from random import Random
from typing import NamedTuple

from memory.demo.ids import Ids
from memory.demo.names import FIRST_NAMES, LAST_NAMES, slug
from memory.demo.rows import Row

SKILLS = ("orders", "returns", "billing", "technical", "tier2", "sales", "vip")
_SKILL_WEIGHTS = (30, 25, 15, 10, 8, 7, 5)
_EMAIL_DOMAIN = "support.example.com"


class _Member(NamedTuple):
    name: str
    skills: tuple[str, ...]
    languages: tuple[str, ...]
    channels: tuple[str, ...]
    capacity: int


TEAM = (
    _Member(
        "Lucía Fernández",
        ("orders", "returns", "tier2"),
        ("es", "en"),
        ("in_app", "whatsapp", "email"),
        4,
    ),
    _Member("Carlos Ruiz", ("orders", "billing", "technical"), ("es",), ("in_app", "whatsapp"), 5),
    _Member("Emma Wilson", ("vip", "sales", "orders"), ("en",), ("in_app", "email", "sms"), 3),
    _Member("Daniel Brooks", ("technical", "billing"), ("en",), ("in_app", "email"), 5),
    _Member(
        "Sofía Morales",
        ("vip", "sales", "returns"),
        ("es", "en"),
        ("in_app", "whatsapp", "email"),
        3,
    ),
    _Member(
        "Oliver Smith", ("returns", "tier2", "technical"), ("en",), ("in_app", "email", "sms"), 4
    ),
)
"""The first agents, AGT-000001 to AGT-000006: together they cover every skill in both languages."""


def agent_count(customers: int) -> int:
    """One agent per 50 customers, and never fewer than the hand-written team."""
    return max(len(TEAM), customers // 50)


def build_agents(count: int, rng: Random, ids: Ids) -> list[Row]:
    agents: list[Row] = []
    for _ in range(count):
        number, agent_id = ids.take("AGT")
        if number <= len(TEAM):
            name, skills, languages, channels, capacity = TEAM[number - 1]
            first, last = name.split(" ", 1)
            email = f"{slug(first)}.{slug(last)}@{_EMAIL_DOMAIN}"
            active = True
        else:
            languages = rng.choice((("es",), ("en",), ("es", "en")))
            first = rng.choice(FIRST_NAMES[languages[0]])
            last = rng.choice(LAST_NAMES[languages[0]])
            name = f"{first} {last}"
            email = f"{slug(first)}.{slug(last)}{number}@{_EMAIL_DOMAIN}"
            picked = set(rng.choices(SKILLS, weights=_SKILL_WEIGHTS, k=rng.randint(1, 3)))
            skills = tuple(skill for skill in SKILLS if skill in picked)
            channels = ("in_app", *(c for c in ("whatsapp", "email", "sms") if rng.random() < 0.5))
            capacity = rng.randint(2, 6)
            active = rng.random() < 0.93
        agents.append(
            {
                "id": agent_id,
                "name": name,
                "email": email,
                "skills": list(skills),
                "languages": list(languages),
                "channels": list(channels),
                "capacity": capacity,
                "active": active,
            }
        )
    return agents


class AgentPool:
    """Active agents by skill and language, to give tickets and handoffs a plausible owner."""

    def __init__(self, agents: list[Row]) -> None:
        self._all_names: list[str] = [agent["name"] for agent in agents]
        self._by_skill_language: dict[tuple[str, str], list[str]] = {}
        for agent in agents:
            if not agent["active"]:
                continue
            for skill in agent["skills"]:
                for language in agent["languages"]:
                    self._by_skill_language.setdefault((skill, language), []).append(agent["id"])

    def random_name(self, rng: Random) -> str:
        """The name of any agent, e.g. as the author of a note."""
        return _one_of(self._all_names, rng)

    def pick(self, skill: str, language: str, rng: Random) -> str:
        """An active agent with `skill` who speaks `language` (the team guarantees one exists)."""
        return _one_of(self._by_skill_language[(skill, language)], rng)


def _one_of(options: list[str], rng: Random) -> str:
    """A random option, drawing one number whatever the number of options (unlike
    `rng.choice`), so that the customers' data does not depend on how many agents there are."""
    return options[int(rng.random() * len(options))]
