"""Declarative mapping of one partner's export format onto the OLS event model.

One YAML file per format says how to read the file (type, separator, encoding, decimal mark),
which columns hold the reference, the label, the date and the location, how the location is
given (lon/lat, projected X/Y, address to geocode, named place, file geometry), which extra
columns are kept as attributes, and the table from the partner's labels to the harmonised
categories of :mod:`ols.nomenclature`, with what the partner's rows measure (``measure`` for the whole
file, ``measures`` per label: facts suffered or reported, or the service's own activity; by default
each category's). Only the columns a mapping names ever reach the database,
and none of them with personal data in it: the ``nominative`` block says what becomes of a row or a
column where some is found (:class:`NominativeSpec`, :mod:`etl.privacy`).
"""

from __future__ import annotations

import codecs
import re
from importlib import resources
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from ols.errors import InvalidInputError, NotFoundError
from ols.names import name_key
from ols.nomenclature import CATEGORY_BY_CODE, Measure
from ols.phrases import describe
from ols.reference.places import place_kind
from ols.settings import api_settings

FileType = Literal["csv", "xlsx", "geojson", "gpkg"]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class CsvOptions(_Strict):
    """How a delimited text file is written."""

    delimiter: str = Field(",", min_length=1, max_length=1)
    encoding: str = "utf-8"
    decimal: str = "."
    skip_rows: int = Field(0, ge=0)

    @field_validator("encoding")
    @classmethod
    def _known_encoding(cls, value: str) -> str:
        try:
            codecs.lookup(value)
        except LookupError:
            msg = f"encodage inconnu « {value} » : écrivez par exemple utf-8, cp1252 ou latin-1"
            raise ValueError(msg) from None
        return value


class DateSpec(_Strict):
    """Where the date (and optionally the time) of a fact is, and how it is written.

    ``formats`` are tried in order (``strptime`` codes). With ``time_column``, a row whose time
    is empty keeps day precision. ``precision`` forces the precision of every row (``month`` for
    police.uk's ``YYYY-MM``). Times are local to ``timezone``, by default the territories' own.
    """

    column: str
    formats: list[str] = Field(min_length=1)
    time_column: str | None = None
    time_formats: list[str] = Field(default_factory=lambda: ["%H:%M", "%H:%M:%S", "%Hh%M"])
    precision: Literal["minute", "day", "month"] | None = None
    timezone: str | None = None


class LocationSpec(_Strict):
    """How a fact is located, and how precise that location is."""

    type: Literal["lonlat", "xy", "address", "place", "geometry"]
    lon: str | None = None
    lat: str | None = None
    x: str | None = None
    y: str | None = None
    crs: str = "EPSG:4326"
    address: str | None = None
    number: str | None = None
    street: str | None = None
    postcode: str | None = None
    insee: str | None = None
    default_insee: str | None = None
    place: str | None = None
    place_kind: str | None = None
    precision: Literal["exact", "address", "street", "zone"] = "exact"

    @field_validator("place_kind")
    @classmethod
    def _known_kind(cls, value: str | None) -> str | None:
        """A place kind of the controlled list (its code or French label), stored as its code."""
        if value is None:
            return None
        try:
            return place_kind(value)
        except InvalidInputError as error:
            raise ValueError(str(error)) from None

    @model_validator(mode="after")
    def _columns_for_type(self) -> LocationSpec:
        required = {
            "lonlat": ("lon", "lat"),
            "xy": ("x", "y"),
            "place": ("place",),
            "geometry": (),
        }.get(self.type)
        if self.type == "address" and not (self.address or self.street):
            msg = "une localisation de type address demande « address » ou « street »"
            raise ValueError(msg)
        missing = [name for name in required or () if getattr(self, name) is None]
        if missing:
            msg = f"une localisation de type {self.type} demande {', '.join(missing)}"
            raise ValueError(msg)
        return self

    def columns(self) -> list[str]:
        """The file columns this location reads."""
        names = (
            self.lon,
            self.lat,
            self.x,
            self.y,
            self.address,
            self.number,
            self.street,
            self.postcode,
            self.insee,
            self.place,
        )
        return [name for name in names if name]


class NominativeSpec(_Strict):
    """What becomes of personal data found in the free text a mapping keeps (``etl.privacy``).

    ``policy``: ``reject_row`` (the default) rejects each row holding a name, a birth date, a phone
    number, an e-mail, a number plate or a social-security number, with reason ``nominative_data``
    and the value masked in the rejected row; ``drop_column`` drops every attribute column where
    any is found (none of its values is stored, the batch report says so) and rejects the rows
    where one is found in another column (reference, label, location), which a fact cannot do
    without; ``refuse_file`` refuses the whole file. ``places``: attribute columns that hold the
    names of places, which often honour people ("Austin Friars", "Jean Jaurès"): they are searched
    for everything but a bare first name and surname, as the location's own columns are.
    """

    policy: Literal["reject_row", "drop_column", "refuse_file"] = "reject_row"
    places: list[str] = Field(default_factory=list)


class Mapping(_Strict):
    """One partner export format, read declaratively."""

    name: str
    description: str = ""
    format: FileType
    csv: CsvOptions = CsvOptions()
    sheet: str | int = 0
    layer: str | None = None
    ref: str | None = None
    label: str
    date: DateSpec
    location: LocationSpec
    attributes: list[str] = Field(default_factory=list)
    confidentiality: Literal["open", "partners", "police"] | None = None
    nominative: NominativeSpec = NominativeSpec()
    categories: dict[str, str]
    measure: Measure | None = None
    measures: dict[str, Measure] = Field(default_factory=dict)

    @field_validator("categories")
    @classmethod
    def _known_categories(cls, value: dict[str, str]) -> dict[str, str]:
        unknown = sorted({code for code in value.values() if code not in CATEGORY_BY_CODE})
        if unknown:
            msg = f"codes de catégorie inconnus : {', '.join(unknown)} (voir la nomenclature : ols/nomenclature.py)"
            raise ValueError(msg)
        return value

    @model_validator(mode="after")
    def _measured_labels_are_mapped(self) -> Mapping:
        known = {name_key(label) for label in self.categories}
        unknown = [label for label in self.measures if name_key(label) not in known]
        if unknown:
            msg = f"measures name labels absent from categories: {', '.join(unknown)}"
            raise ValueError(msg)
        return self

    @model_validator(mode="after")
    def _places_are_attributes(self) -> Mapping:
        unknown = [column for column in self.nominative.places if column not in self.attributes]
        if unknown:
            msg = f"nominative.places ne peut nommer que des colonnes de attributes, pas : {', '.join(unknown)}"
            raise ValueError(msg)
        return self

    def label_table(self) -> dict[str, str]:
        """Partner label key (folded) → category code."""
        return {name_key(label): code for label, code in self.categories.items()}

    def measure_table(self) -> dict[str, Measure]:
        """Partner label key (folded) → what its rows measure: the label's own measure, else the
        mapping's, else its category's (the one rule; ``ols.nomenclature`` says why it matters)."""
        own = {name_key(label): measure for label, measure in self.measures.items()}
        table = self.label_table()
        return {key: own.get(key) or self.measure or CATEGORY_BY_CODE[code].measure for key, code in table.items()}

    def used_columns(self) -> list[str]:
        """Every column of the file this mapping reads, in a stable order without repeats."""
        names = [
            self.ref,
            self.label,
            self.date.column,
            self.date.time_column,
            *self.location.columns(),
            *self.attributes,
        ]
        return list(dict.fromkeys(name for name in names if name))


BUILTIN = resources.files("etl") / "mappings"
OWN_NAME = re.compile(r"^[a-z0-9][a-z0-9_-]{0,62}$")


def builtin_mappings() -> dict[str, Path]:
    """The mappings shipped with OLS, by name."""
    return {Path(entry.name).stem: Path(str(entry)) for entry in BUILTIN.iterdir() if entry.name.endswith(".yaml")}


def own_mappings(folder: Path | None = None) -> dict[str, Path]:
    """The coordinator's own mappings (``OLS_MAPPINGS_DIR``, made in the mapping assistant), by name."""
    folder = folder or api_settings().mappings_dir
    if not folder.is_dir():
        return {}
    return {path.stem: path for path in sorted(folder.glob("*.yaml")) if OWN_NAME.match(path.stem)}


def known_mappings(folder: Path | None = None) -> dict[str, Path]:
    """Every mapping a name may give: the shipped ones, then the coordinator's own (a shipped name wins)."""
    return {**own_mappings(folder), **builtin_mappings()}


def load_mapping(ref: str | Path, folder: Path | None = None) -> Mapping:
    """Load a mapping from a YAML path, or by the name of a shipped or own mapping (``folder``: OLS_MAPPINGS_DIR)."""
    path = Path(ref)
    if not path.exists():
        known = known_mappings(folder)
        if str(ref) not in known:
            msg = (f"correspondance {ref!s} introuvable : donnez le chemin d'un fichier YAML ou le nom d'une "
                   f"correspondance connue ({', '.join(sorted(known))})")  # fmt: skip
            raise NotFoundError(msg)
        path = known[str(ref)]
    try:
        data: Any = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        where = f" ligne {mark.line + 1}, colonne {mark.column + 1}" if mark else ""
        msg = f"{path} : correspondance illisible (YAML invalide{where}) : vérifiez l'indentation et les deux-points"
        raise InvalidInputError(msg) from error
    try:
        return Mapping.model_validate(data)
    except ValidationError as error:
        msg = f"{path} : correspondance invalide : {describe(error.errors())}"
        raise InvalidInputError(msg) from error
