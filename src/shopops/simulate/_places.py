"""Where customers live: countries, cities, delivery zones, streets, postcode and phone formats."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = [
    "CITIES",
    "CITY_AT_HOME",
    "CITY_COUNTRY",
    "CITY_ZONE",
    "COUNTRIES",
    "HOME_COUNTRY",
    "ZONES",
    "City",
    "Country",
]

HOME_COUNTRY = "United Kingdom"

#: Delivery zones, from the warehouse in the English Midlands outwards. They drive postage,
#: promised delivery days and transit times (and so late deliveries).
ZONES = ("uk_near", "uk_mainland", "uk_remote", "europe", "world")


@dataclass(frozen=True)
class Country:
    """A country, its phone format and its streets."""

    name: str
    phone_prefix: str
    phone_blocks: tuple[int, int]  # digits of the two blocks after the prefix
    number_first: bool  # "12 High Street" rather than "Hauptstraße 12"
    streets: tuple[str, ...]


@dataclass(frozen=True)
class City:
    """A city customers live in."""

    name: str
    region: str
    country: str
    zone: int  # index into ZONES
    postcode_prefix: str
    postcode_kind: str  # "uk": prefix + district + " 9AA"; "num": prefix + digits; "none"
    postcode_digits: int  # total length of a "num" postcode
    weight: float  # share of the country's customers (UK) or of customers abroad


COUNTRIES: tuple[Country, ...] = (
    Country("United Kingdom", "+44 7", (3, 6), True, (
        "High Street", "Station Road", "Church Lane", "Victoria Road", "Park Avenue", "Mill Lane",
        "Queens Road", "Green Lane", "Manor Road", "King Street", "Albert Road", "The Crescent",
        "London Road", "Orchard Close", "Windsor Road", "Elm Grove", "Chestnut Drive",
        "Springfield Road", "New Street", "Grange Road", "Meadow Way", "Kingsway",
    )),
    Country("Ireland", "+353 8", (2, 7), True, (
        "Main Street", "O'Connell Street", "Parnell Road", "Abbey Street", "Harcourt Road", "Dame Street",
    )),
    Country("France", "+33 6", (2, 6), True, (
        "Rue de Rivoli", "Rue du Bac", "Avenue Victor Hugo", "Rue Lepic", "Boulevard Voltaire",
        "Rue Oberkampf",
    )),
    Country("Germany", "+49 15", (2, 7), False, (
        "Hauptstraße", "Bahnhofstraße", "Gartenweg", "Schillerstraße", "Lindenallee", "Goethestraße",
    )),
    Country("Spain", "+34 6", (2, 6), False, (
        "Calle Mayor", "Calle de Alcalá", "Gran Vía", "Calle Serrano", "Paseo del Prado",
    )),
    Country("United States", "+1 212", (3, 4), True, (
        "Main Street", "Broadway", "5th Avenue", "Lexington Avenue", "Maple Street", "Park Place",
    )),
    Country("China", "+86 13", (1, 8), True, (
        "Nanjing Road", "Huaihai Road", "Century Avenue", "Jianguo Road", "Wangfujing Street",
        "Chang'an Avenue",
    )),
    Country("Hong Kong", "+852 9", (3, 4), True, (
        "Nathan Road", "Queen's Road Central", "Hennessy Road", "Des Voeux Road",
    )),
    Country("Singapore", "+65 9", (3, 4), True, (
        "Orchard Road", "Tanjong Pagar Road", "Serangoon Road", "Bukit Timah Road",
    )),
    Country("Australia", "+61 4", (2, 6), True, (
        "George Street", "Pitt Street", "Oxford Street", "King Street",
    )),
)

CITIES: tuple[City, ...] = (
    City("London", "Greater London", "United Kingdom", 0, "E", "uk", 0, 0.24),
    City("Birmingham", "West Midlands", "United Kingdom", 0, "B", "uk", 0, 0.07),
    City("Manchester", "North West", "United Kingdom", 1, "M", "uk", 0, 0.07),
    City("Leeds", "Yorkshire and the Humber", "United Kingdom", 1, "LS", "uk", 0, 0.05),
    City("Sheffield", "Yorkshire and the Humber", "United Kingdom", 1, "S", "uk", 0, 0.03),
    City("York", "Yorkshire and the Humber", "United Kingdom", 1, "YO", "uk", 0, 0.015),
    City("Liverpool", "North West", "United Kingdom", 1, "L", "uk", 0, 0.04),
    City("Bristol", "South West", "United Kingdom", 1, "BS", "uk", 0, 0.04),
    City("Exeter", "South West", "United Kingdom", 1, "EX", "uk", 0, 0.015),
    City("Truro", "South West", "United Kingdom", 2, "TR", "uk", 0, 0.01),
    City("Newcastle upon Tyne", "North East", "United Kingdom", 1, "NE", "uk", 0, 0.03),
    City("Nottingham", "East Midlands", "United Kingdom", 0, "NG", "uk", 0, 0.03),
    City("Leicester", "East Midlands", "United Kingdom", 0, "LE", "uk", 0, 0.025),
    City("Cambridge", "East of England", "United Kingdom", 0, "CB", "uk", 0, 0.025),
    City("Norwich", "East of England", "United Kingdom", 1, "NR", "uk", 0, 0.02),
    City("Oxford", "South East", "United Kingdom", 0, "OX", "uk", 0, 0.025),
    City("Brighton", "South East", "United Kingdom", 0, "BN", "uk", 0, 0.03),
    City("Southampton", "South East", "United Kingdom", 1, "SO", "uk", 0, 0.025),
    City("Cardiff", "Wales", "United Kingdom", 1, "CF", "uk", 0, 0.03),
    City("Swansea", "Wales", "United Kingdom", 1, "SA", "uk", 0, 0.015),
    City("Glasgow", "Scotland", "United Kingdom", 1, "G", "uk", 0, 0.04),
    City("Edinburgh", "Scotland", "United Kingdom", 1, "EH", "uk", 0, 0.04),
    City("Aberdeen", "Scotland", "United Kingdom", 2, "AB", "uk", 0, 0.015),
    City("Inverness", "Scotland", "United Kingdom", 2, "IV", "uk", 0, 0.01),
    City("Kirkwall", "Scotland", "United Kingdom", 2, "KW", "uk", 0, 0.003),
    City("Belfast", "Northern Ireland", "United Kingdom", 2, "BT", "uk", 0, 0.025),
    City("Dublin", "Leinster", "Ireland", 3, "D", "uk", 0, 0.2),
    City("Paris", "Île-de-France", "France", 3, "750", "num", 5, 0.14),
    City("Berlin", "Berlin", "Germany", 3, "10", "num", 5, 0.11),
    City("Madrid", "Community of Madrid", "Spain", 3, "280", "num", 5, 0.07),
    City("New York", "New York", "United States", 4, "100", "num", 5, 0.1),
    City("Shanghai", "Shanghai", "China", 4, "200", "num", 6, 0.12),
    City("Beijing", "Beijing", "China", 4, "100", "num", 6, 0.06),
    City("Hong Kong", "Hong Kong Island", "Hong Kong", 4, "", "none", 0, 0.1),
    City("Singapore", "Singapore", "Singapore", 4, "018", "num", 6, 0.05),
    City("Sydney", "New South Wales", "Australia", 4, "20", "num", 4, 0.05),
)

_COUNTRY_INDEX = {c.name: i for i, c in enumerate(COUNTRIES)}

#: Per city: index of its country in COUNTRIES.
CITY_COUNTRY = np.array([_COUNTRY_INDEX[c.country] for c in CITIES])
#: Per city: its delivery zone.
CITY_ZONE = np.array([c.zone for c in CITIES])
#: Per city: whether it is in the home country.
CITY_AT_HOME = np.array([c.country == HOME_COUNTRY for c in CITIES])
