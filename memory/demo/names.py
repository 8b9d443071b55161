"""Built-in English and Spanish names (no downloads, no Faker) and the email-safe form of a name."""

from __future__ import annotations

import unicodedata
from functools import cache

FIRST_NAMES = {
    "en": (
        "Olivia",
        "Emma",
        "Amelia",
        "Isla",
        "Ava",
        "Sophie",
        "Grace",
        "Lily",
        "Chloe",
        "Emily",
        "Hannah",
        "Charlotte",
        "Ella",
        "Ruby",
        "Abigail",
        "Madison",
        "Harper",
        "Zoe",
        "Megan",
        "Rachel",
        "Oliver",
        "George",
        "Harry",
        "Jack",
        "Noah",
        "James",
        "William",
        "Thomas",
        "Daniel",
        "Samuel",
        "Joseph",
        "Henry",
        "Ethan",
        "Liam",
        "Lucas",
        "Benjamin",
        "Michael",
        "Ryan",
        "Matthew",
        "Nathan",
    ),
    "es": (
        "María",
        "Lucía",
        "Carmen",
        "Sofía",
        "Paula",
        "Martina",
        "Elena",
        "Laura",
        "Marta",
        "Ana",
        "Isabel",
        "Valentina",
        "Julia",
        "Alba",
        "Claudia",
        "Sara",
        "Daniela",
        "Ximena",
        "Guadalupe",
        "Irene",
        "Javier",
        "Carlos",
        "Alejandro",
        "Pablo",
        "Diego",
        "Manuel",
        "Antonio",
        "David",
        "Jorge",
        "Sergio",
        "Miguel",
        "Andrés",
        "Fernando",
        "Raúl",
        "Álvaro",
        "Hugo",
        "Mateo",
        "Santiago",
        "Emiliano",
        "Iván",
    ),
}

LAST_NAMES = {
    "en": (
        "Smith", "Johnson", "Williams", "Brown", "Jones", "Taylor", "Davies", "Wilson", "Evans",
        "Thomas", "Roberts", "Walker", "Wright", "Thompson", "White", "Hughes", "Edwards",
        "Green", "Hall", "Wood", "Harris", "Clarke", "Jackson", "Turner", "Hill", "Moore",
        "Cooper", "Ward", "Morris", "King", "Baker", "Carter", "Bennett", "Parker", "Collins",
        "Murphy", "Miller", "Anderson", "Mitchell", "Reed",
    ),
    "es": (
        "García", "Fernández", "González", "Rodríguez", "López", "Martínez", "Sánchez", "Pérez",
        "Gómez", "Martín", "Jiménez", "Ruiz", "Hernández", "Díaz", "Moreno", "Muñoz", "Álvarez",
        "Romero", "Alonso", "Gutiérrez", "Navarro", "Torres", "Domínguez", "Vázquez", "Ramos",
        "Gil", "Ramírez", "Serrano", "Blanco", "Molina", "Morales", "Suárez", "Ortega",
        "Delgado", "Castro", "Ortiz", "Rubio", "Marín", "Sanz", "de la Cruz",
    ),
}  # fmt: skip


@cache
def slug(name: str) -> str:
    """The ASCII, lower-case, space-free form of a name for email addresses: `Muñoz` -> `munoz`."""
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode("ascii")
    return "".join(char for char in ascii_name.lower() if char.isalnum())
