"""Response and request models of the API (they make the OpenAPI schema)."""

from __future__ import annotations

from datetime import date
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

PERIOD_PATTERN = (
    r"^(19|20)[0-9]{2}(-S[12]|-(0[1-9]|1[0-2])|-W(0[1-9]|[1-4][0-9]|5[0-3])|-YTD(0[1-9]|1[0-2]))?$"
    r"|^(19|20)[0-9]{2}-[0-9]{2}-[0-9]{2}\.\.(19|20)[0-9]{2}-[0-9]{2}-[0-9]{2}$"
)


class Feature(BaseModel):
    """A GeoJSON Feature."""

    model_config = ConfigDict(extra="allow")

    type: Literal["Feature"]
    geometry: dict[str, Any] | None
    properties: dict[str, Any]


class FeatureCollection(BaseModel):
    """A GeoJSON FeatureCollection, with the layer's metadata when it has some."""

    model_config = ConfigDict(extra="allow")

    type: Literal["FeatureCollection"]
    features: list[Feature]
    metadata: dict[str, Any] | None = None


class Outlines(BaseModel):
    """Each cell's outline (in the order of ``cells``) as SVG path data: Web Mercator, in ``unit`` metres from
    ``origin`` (``M x y``, then relative ``l dx dy`` to each next vertex, ``z``)."""

    crs: Literal["EPSG:3857"]
    unit: float
    origin: tuple[float, float]
    paths: list[str]


class HeatmapCells(BaseModel):
    """The heatmap as H3 cells and counts (null: suppressed), with the same metadata (and, when asked, the cells'
    outlines)."""

    metadata: dict[str, Any]
    cells: list[tuple[str, int | None]]
    outlines: Outlines | None = None


class Health(BaseModel):
    """Service health."""

    status: Literal["ok"]
    database: Literal["ok"]
    version: str
    warming: bool = False  # the map's first screen is being warmed: its answers may still be computed on demand


class PeriodInfo(BaseModel):
    """A refreshed period."""

    name: str
    label: str
    kind: str
    start: date
    end: date
    refreshed_at: str


class CategoryInfo(BaseModel):
    """A category of the nomenclature."""

    code: str
    label: str
    ssmsi: str | None
    sensitive: bool
    measure: str = "facts"  # facts (faits constatés, signalements) or activity (a service's activity), by default


class FamilyInfo(BaseModel):
    """A family with its categories."""

    code: str
    label: str
    categories: list[CategoryInfo]


class SourceInfo(BaseModel):
    """A partner."""

    code: str
    name: str
    kind: str


class TableRows(BaseModel):
    """A table: its rows, and how small counts were treated."""

    rows: list[dict[str, Any]]
    suppression_threshold: int | None = None


class Comparison(BaseModel):
    """Zones compared with the declared ones and with the previous period."""

    declared_not_hot: list[dict[str, Any]]
    hot_outside_declared: list[dict[str, Any]]
    entering: list[dict[str, Any]]
    leaving: list[dict[str, Any]]
    continuing: list[dict[str, Any]]


class Input(BaseModel):
    """A request body: unknown fields refused, and no NUL character in any text (PostgreSQL refuses them)."""

    model_config = ConfigDict(extra="forbid")

    @field_validator("*", mode="before")
    @classmethod
    def _no_nul(cls, value: Any) -> Any:
        if isinstance(value, str) and "\x00" in value:
            msg = "le texte ne doit pas contenir de caractère NUL"
            raise ValueError(msg)
        return value


class DeclaredZoneIn(Input):
    """A declared vigilance zone as the coordinator draws it (GeoJSON geometry in WGS84)."""

    model_config = ConfigDict(extra="forbid")

    code: str = Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")
    name: str = Field(min_length=1, max_length=200)
    rationale: str = Field(min_length=1, max_length=4000)
    owner: str = Field(min_length=1, max_length=200)
    review_date: date | None = None
    valid_from: date | None = None
    valid_to: date | None = None
    geometry: dict[str, Any]


class DealPointIn(Input):
    """A point de deal reported in cellule de veille."""

    model_config = ConfigDict(extra="forbid")

    label: str = Field(min_length=1, max_length=200)
    lon: float = Field(ge=-180, le=180)
    lat: float = Field(ge=-90, le=90)
    reported_on: date
    status: Literal["actif", "en_surveillance", "demantele"] = "actif"
    notes: str = Field(default="", max_length=4000)


class DealPointPatch(Input):
    """A new report, a status change or new notes."""

    model_config = ConfigDict(extra="forbid")

    reported_on: date | None = None
    status: Literal["actif", "en_surveillance", "demantele"] | None = None
    notes: str | None = Field(default=None, max_length=4000)


class Created(BaseModel):
    """The id of what was created."""

    id: int | str


class SessionIn(Input):
    """A token exchanged for a session cookie (the web map's login)."""

    model_config = ConfigDict(extra="forbid")

    token: str = Field(min_length=8, max_length=200)


class SessionOut(BaseModel):
    """Who is logged in, and the layers the audience layer grants that user."""

    name: str
    role: str
    role_label: str
    territories: list[str]
    layers: list[str]


class Problem(BaseModel):
    """An error: what went wrong, in one sentence."""

    detail: str | list[dict[str, Any]]


ERRORS: dict[int | str, dict[str, Any]] = {
    401: {"model": Problem, "description": "No valid token"},
    403: {"model": Problem, "description": "The role may not do this"},
    404: {"model": Problem, "description": "Not found (or period not refreshed)"},
    413: {"model": Problem, "description": "Request too large"},
    422: {"model": Problem, "description": "Invalid input, with the reason"},
    429: {"model": Problem, "description": "Too many attempts"},
}
