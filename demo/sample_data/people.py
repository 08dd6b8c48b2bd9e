"""Fictional recipients, grouped by the language they read. All addresses use example domains."""

from __future__ import annotations

import random
from dataclasses import dataclass

PEOPLE = {
    "en": ["Alice Johnson", "Bob Smith", "Carol White", "David Brown", "Emma Davis", "Frank Miller",
           "Grace Wilson", "Henry Moore", "Isla Taylor", "Jack Anderson"],
    "id": ["Budi Santoso", "Siti Rahayu", "Agus Wijaya", "Dewi Lestari", "Rizky Pratama", "Putri Handayani",
           "Andi Saputra", "Ayu Kartika"],
    "de": ["Jonas Müller", "Lena Schmidt", "Lukas Schneider", "Mia Fischer", "Felix Weber", "Hannah Becker"],
    "fr": ["Camille Martin", "Louis Bernard", "Chloé Dubois", "Hugo Lefèvre"],
}
DOMAINS = ["example.com", "example.org", "example.net"]
ASCII = str.maketrans({"ü": "ue", "ö": "oe", "ä": "ae", "é": "e", "è": "e", "ß": "ss"})


@dataclass(frozen=True)
class Person:
    name: str
    address: str
    language: str

    @property
    def first_name(self) -> str:
        return self.name.split()[0]

    def recipient(self, with_name: bool) -> str:
        return f"{self.name} <{self.address}>" if with_name else self.address


def person(rng: random.Random, language: str) -> Person:
    name = rng.choice(PEOPLE.get(language) or PEOPLE["en"])
    local = name.lower().translate(ASCII).replace(" ", ".")
    return Person(name=name, address=f"{local}@{rng.choice(DOMAINS)}", language=language)
