"""Where the demo customers live: countries, cities with their IANA time zone, local address,
postal code and phone number formats, and the carriers that deliver there."""

from __future__ import annotations

from dataclasses import dataclass
from random import Random

_GB_INWARD_LETTERS = "ABDEFGHJLNPQRSTUWXYZ"


@dataclass(frozen=True)
class City:
    name: str
    region: str | None
    timezone: str
    postal_prefixes: tuple[str, ...]
    """How local postal codes start (GB: the outward codes)."""
    dialling_code: str
    """The digits after the country code that start a local phone number."""


@dataclass(frozen=True)
class Carrier:
    name: str
    tracking_prefix: str
    tracking_digits: int
    tracking_suffix: str = ""

    def tracking_number(self, shipment_number: int, offset: int) -> str:
        """A tracking number in the carrier's style, unique per shipment number."""
        digits = scramble(shipment_number, offset, 10**self.tracking_digits)
        return f"{self.tracking_prefix}{digits:0{self.tracking_digits}d}{self.tracking_suffix}"


@dataclass(frozen=True)
class Country:
    code: str
    weight: float
    """Share of the demo customers who live here."""
    spanish_share: float
    """Share of the customers here who speak Spanish to us (the others speak English)."""
    phone_prefix: str
    phone_digits: int
    """Digits of a national number, after the country code."""
    cities: tuple[City, ...]
    streets: tuple[str, ...]
    carriers: tuple[Carrier, ...]
    warehouse: str
    """Where parcels to this country leave from."""


def scramble(number: int, offset: int, modulus: int) -> int:
    """A bijection of 0..modulus-1 (modulus a power of ten): distinct numbers stay distinct.

    The multiplier is odd and does not end in 5, so it has an inverse modulo any power of ten.
    """
    return (number * 2_862_933_555_777_941_757 + offset) % modulus


COUNTRIES = (
    Country(
        code="ES",
        weight=0.36,
        spanish_share=0.95,
        phone_prefix="+34",
        phone_digits=9,
        cities=(
            City("Madrid", "Madrid", "Europe/Madrid", ("280",), "6"),
            City("Barcelona", "Barcelona", "Europe/Madrid", ("080",), "6"),
            City("Valencia", "Valencia", "Europe/Madrid", ("460",), "6"),
            City("Sevilla", "Sevilla", "Europe/Madrid", ("410",), "7"),
            City("Málaga", "Málaga", "Europe/Madrid", ("290",), "6"),
            City("Bilbao", "Bizkaia", "Europe/Madrid", ("480",), "6"),
            City("Zaragoza", "Zaragoza", "Europe/Madrid", ("500",), "7"),
            City("Las Palmas de Gran Canaria", "Las Palmas", "Atlantic/Canary", ("350",), "6"),
        ),
        streets=(
            "Calle Mayor",
            "Calle de Alcalá",
            "Gran Vía",
            "Calle del Carmen",
            "Avenida de la Constitución",
            "Calle Real",
            "Paseo de Gracia",
            "Calle San Vicente",
            "Calle Larios",
            "Avenida de América",
        ),
        carriers=(
            Carrier("Correos", "PQ", 10, "ES"),
            Carrier("SEUR", "SE", 12),
            Carrier("MRW", "MRW", 10),
        ),
        warehouse="Getafe, ES",
    ),
    Country(
        code="US",
        weight=0.34,
        spanish_share=0.12,
        phone_prefix="+1",
        phone_digits=10,
        cities=(
            City("New York", "NY", "America/New_York", ("100", "101", "112"), "212"),
            City("Los Angeles", "CA", "America/Los_Angeles", ("900",), "213"),
            City("Chicago", "IL", "America/Chicago", ("606",), "312"),
            City("Houston", "TX", "America/Chicago", ("770",), "713"),
            City("Phoenix", "AZ", "America/Phoenix", ("850",), "602"),
            City("Denver", "CO", "America/Denver", ("802",), "303"),
            City("Miami", "FL", "America/New_York", ("331",), "305"),
            City("Seattle", "WA", "America/Los_Angeles", ("981",), "206"),
        ),
        streets=(
            "Oak Street",
            "Maple Avenue",
            "Main Street",
            "Park Avenue",
            "Cedar Lane",
            "Washington Boulevard",
            "Elm Street",
            "Lakeview Drive",
            "Sunset Boulevard",
            "Pine Street",
        ),
        carriers=(
            Carrier("UPS", "1Z", 16),
            Carrier("FedEx", "78", 10),
            Carrier("USPS", "9400", 18),
        ),
        warehouse="Columbus, OH, US",
    ),
    Country(
        code="MX",
        weight=0.15,
        spanish_share=1.0,
        phone_prefix="+52",
        phone_digits=10,
        cities=(
            City("Ciudad de México", "CDMX", "America/Mexico_City", ("031", "064", "114"), "55"),
            City("Guadalajara", "Jalisco", "America/Mexico_City", ("441", "446"), "33"),
            City("Monterrey", "Nuevo León", "America/Monterrey", ("640", "647"), "81"),
            City("Tijuana", "Baja California", "America/Tijuana", ("220",), "664"),
            City("Cancún", "Quintana Roo", "America/Cancun", ("775",), "998"),
        ),
        streets=(
            "Avenida Insurgentes Sur",
            "Paseo de la Reforma",
            "Avenida Juárez",
            "Calle Madero",
            "Avenida Revolución",
            "Calle Hidalgo",
            "Avenida Chapultepec",
            "Calle Morelos",
        ),
        carriers=(
            Carrier("Estafeta", "EST", 10),
            Carrier("DHL Express", "JD", 18),
        ),
        warehouse="Querétaro, MX",
    ),
    Country(
        code="GB",
        weight=0.15,
        spanish_share=0.0,
        phone_prefix="+44",
        phone_digits=10,
        cities=(
            City("London", None, "Europe/London", ("SW1A", "E1", "N1", "SE1", "NW3"), "7"),
            City("Manchester", None, "Europe/London", ("M1", "M4", "M20"), "7"),
            City("Birmingham", None, "Europe/London", ("B1", "B15"), "7"),
            City("Leeds", None, "Europe/London", ("LS1", "LS6"), "7"),
            City("Glasgow", None, "Europe/London", ("G1", "G12"), "7"),
            City("Bristol", None, "Europe/London", ("BS1", "BS8"), "7"),
        ),
        streets=(
            "High Street",
            "Station Road",
            "Church Lane",
            "Victoria Road",
            "Baker Street",
            "Queen's Road",
            "Mill Lane",
            "Park Road",
            "King Street",
            "Green Lane",
        ),
        carriers=(
            Carrier("Royal Mail", "RM", 9, "GB"),
            Carrier("DPD", "15", 12),
            Carrier("Evri", "H", 15),
        ),
        warehouse="Northampton, GB",
    ),
)

COUNTRY_BY_CODE = {country.code: country for country in COUNTRIES}


def phone_number(country: Country, city: City, customer_number: int, offset: int) -> str:
    """An E.164 number in the city's local style, unique per customer number."""
    rest = country.phone_digits - len(city.dialling_code)
    local = scramble(customer_number, offset, 10**rest)
    return f"{country.phone_prefix}{city.dialling_code}{local:0{rest}d}"


def postal_code(country: Country, city: City, rng: Random) -> str:
    prefix = rng.choice(city.postal_prefixes)
    if country.code == "GB":
        letters = rng.choice(_GB_INWARD_LETTERS) + rng.choice(_GB_INWARD_LETTERS)
        return f"{prefix} {rng.randint(1, 9)}{letters}"
    return prefix + "".join(str(rng.randint(0, 9)) for _ in range(5 - len(prefix)))


def street_lines(country: Country, rng: Random) -> tuple[str, str | None]:
    """The first and (optional) second line of an address, in the country's usual order."""
    street = rng.choice(country.streets)
    number = rng.randint(1, 180)
    if country.code == "ES":
        floor = f"{rng.randint(1, 8)}º {rng.choice('ABCD')}" if rng.random() < 0.7 else None
        return f"{street}, {number}", floor
    if country.code == "MX":
        colonia = rng.choice(("Col. Roma Norte", "Col. Centro", "Col. Del Valle", "Col. Americana"))
        return f"{street} {number * 10}", colonia
    if country.code == "US":
        apartment = f"Apt {rng.randint(1, 20)}{rng.choice('ABCD')}" if rng.random() < 0.3 else None
        return f"{number * 10 + rng.randint(0, 9)} {street}", apartment
    flat = f"Flat {rng.randint(1, 12)}" if rng.random() < 0.25 else None
    return f"{number} {street}", flat
