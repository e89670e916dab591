"""Offline geocoding against the Base Adresse Nationale (BAN).

The coordinator loads the BAN CSV of the département (the public ``adresses-NN.csv`` of
adresse.data.gouv.fr, ``;``-separated) once with ``ols addresses load``. Addresses are matched on
normalised street names (:func:`ols.names.street_key`) within the row's commune. A known street
with an unknown number is placed at the street's middle address with ``street`` precision; an
address that cannot be found is never placed anywhere: the row is rejected with the reason.
"""

from __future__ import annotations

import logging
import re
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, cast

import pandas as pd
from sqlalchemy import Connection, delete, insert, select

from ols.errors import InvalidInputError
from ols.names import fold, street_key
from ols.store.models import Address

logger = logging.getLogger(__name__)

BAN_COLUMNS = {"numero", "rep", "nom_voie", "code_postal", "code_insee", "lon", "lat"}
ADDRESS = re.compile(
    r"^\s*(?:(?P<number>\d{1,5})\s*(?P<suffix>BIS|TER|QUATER|[A-H](?![A-Z]))?\b\s*,?\s*)?"
    r"(?P<street>.*?)\s*(?:,?\s*(?P<postcode>\d{5})\b.*)?$"
)


@dataclass(frozen=True)
class ParsedAddress:
    """The parts of a one-line address."""

    number: int | None
    suffix: str
    street: str
    postcode: str | None


def parse_address(address: str) -> ParsedAddress:
    """Split ``"12 bis rue Jean-Jaurès, 59120 Loos"`` into number, suffix, street and postcode."""
    folded = fold(address.replace(",", " , "))
    match = ADDRESS.match(folded.replace(" , ", ", "))
    if match is None:
        return ParsedAddress(None, "", folded, None)
    number = match.group("number")
    return ParsedAddress(
        number=int(number) if number else None,
        suffix=(match.group("suffix") or "").strip(),
        street=match.group("street").strip(" ,"),
        postcode=match.group("postcode"),
    )


def load_ban(connection: Connection, path: Path) -> int:
    """Replace the addresses of the communes present in a BAN CSV file; return the count loaded."""
    frame = pd.read_csv(path, sep=";", dtype=str, keep_default_na=False, encoding="utf-8")
    missing = BAN_COLUMNS - set(frame.columns)
    if missing:
        msg = (f"{path.name} : ce n'est pas un fichier d'adresses de la BAN (colonnes absentes : "
               f"{', '.join(sorted(missing))}) : prenez le CSV d'un département sur adresse.data.gouv.fr")  # fmt: skip
        raise InvalidInputError(msg)
    rows = pd.DataFrame(
        {
            "insee": frame["code_insee"],
            "postcode": frame["code_postal"].replace("", None),
            "street": frame["nom_voie"],
            "street_key": frame["nom_voie"].map(street_key),
            "number": pd.to_numeric(frame["numero"], errors="coerce").astype("Int64"),
            "suffix": frame["rep"].map(fold),
            "lon": pd.to_numeric(frame["lon"].str.replace(",", "."), errors="coerce"),
            "lat": pd.to_numeric(frame["lat"].str.replace(",", "."), errors="coerce"),
        }
    ).dropna(subset=["lon", "lat"])
    communes = sorted(rows["insee"].unique())
    connection.execute(delete(Address).where(Address.insee.in_(communes)))
    records = cast(list[dict[str, Any]], rows.astype(object).where(rows.notna(), None).to_dict("records"))
    if records:
        connection.execute(insert(Address), records)
    logger.info("%d adresses BAN chargées pour %d communes", len(records), len(communes))
    return len(records)


@dataclass
class Geocoder:
    """An in-memory index of the BAN addresses of some communes."""

    numbers: dict[tuple[str, str], dict[tuple[int, str], tuple[float, float]]] = field(default_factory=dict)
    streets: dict[tuple[str, str], tuple[float, float]] = field(default_factory=dict)
    postcodes: dict[str, set[str]] = field(default_factory=lambda: defaultdict(set))

    @classmethod
    def from_database(cls, connection: Connection, communes: list[str] | None = None) -> Geocoder:
        """Index the addresses of ``communes`` (all loaded addresses when ``None``)."""
        columns = (Address.insee, Address.postcode, Address.street_key, Address.number, Address.suffix)
        query = select(*columns, Address.lon, Address.lat)
        if communes is not None:
            query = query.where(Address.insee.in_(communes))
        geocoder = cls()
        by_street: dict[tuple[str, str], list[tuple[int, float, float]]] = defaultdict(list)
        for insee, postcode, key, number, suffix, lon, lat in connection.execute(query):
            geocoder.numbers.setdefault((insee, key), {})[(number or 0, suffix)] = (lon, lat)
            by_street[(insee, key)].append((number or 0, lon, lat))
            if postcode:
                geocoder.postcodes[postcode].add(insee)
        for street, points in by_street.items():
            points.sort()
            _, lon, lat = points[len(points) // 2]
            geocoder.streets[street] = (lon, lat)
        return geocoder

    def __bool__(self) -> bool:
        return bool(self.streets)

    def locate(self, parsed: ParsedAddress, communes: list[str]) -> tuple[float, float, str] | str:
        """(lon, lat, precision) of an address, or the reason it cannot be placed."""
        key = street_key(parsed.street)
        if not key:
            return "adresse vide"
        if parsed.postcode and parsed.postcode in self.postcodes:
            communes = sorted(self.postcodes[parsed.postcode])
        matches = [insee for insee in communes if (insee, key) in self.streets]
        if not matches:
            return f"voie inconnue de la BAN: {parsed.street}"
        if len(matches) > 1:
            return f"voie présente dans plusieurs communes ({', '.join(matches)}): {parsed.street}"
        street = (matches[0], key)
        if parsed.number is not None:
            point = self.numbers[street].get((parsed.number, parsed.suffix))
            if point is not None:
                return (*point, "address")
        lon, lat = self.streets[street]
        return lon, lat, "street"
