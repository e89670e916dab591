"""The audience of an output: built once per request or command, it decides what its reader gets.

An audience is who reads (role, territories and sectors, partner source) and the suppression threshold
of the observatory; its territories and sectors make its :class:`~ols.reference.areas.Area`, through
which every cut by place goes. Readers in ``ols`` ask it which categories, territories and resolution to use, which
layers exist, and pass it every count they send out (:meth:`Audience.publish`): the rules of
:mod:`ols.access.roles` and :mod:`ols.access.disclosure` are applied here and nowhere else.
"""

from __future__ import annotations

import getpass
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
from sqlalchemy import (
    BindParameter,
    ColumnElement,
    Connection,
    and_,
    any_,
    bindparam,
    false,
    func,
    not_,
    select,
    true,
)

from ols.access import disclosure
from ols.access.roles import RIGHTS, Layer, Rights, Role, parse_role
from ols.access.users import Principal
from ols.errors import InvalidInputError, OLSError
from ols.nomenclature import CATEGORIES
from ols.periods import Period
from ols.reference.areas import Area, Geometries
from ols.store.models import Sector, Territory
from ols.store.sql import Rows, column_of

RESOLUTIONS = (8, 9, 10)
DEFAULT_RESOLUTION = 9
SENSITIVE_CATEGORIES = tuple(category.code for category in CATEGORIES if category.sensitive)
Scope = Literal["full", "open"]
SCOPES: tuple[Scope, ...] = ("full", "open")
LAYER_LABELS = {
    Layer.HEATMAP: "la carte de chaleur", Layer.HOTSPOTS: "les points chauds", Layer.EMERGING: "les tendances",
    Layer.ZONES: "les zones de vigilance", Layer.PLACES: "les lieux", Layer.BOUNDARY: "les limites",
    Layer.DEAL_POINTS: "les points de deal", Layer.EVENTS: "les faits bruts",
    Layer.NEAR_REPEAT: "le risque de répétition",
    Layer.CROSSWATCH: "la veille croisée", Layer.PROFILES: "les profils horaires", Layer.INDICATORS: "les indicateurs",
    Layer.PATROLS: "les patrouilles", Layer.MANAGE: "l'administration de l'observatoire",
    Layer.SHEETS: "les fiches lieu et secteur", Layer.COVERAGE: "la couverture de vidéoprotection",
    Layer.DASHBOARD: "le tableau de bord de la stratégie", Layer.MEETINGS: "les réunions de la cellule de veille",
    Layer.AMBIANCE: "la saisie de l'ambiance des fiches",
}  # fmt: skip


class AccessDenied(OLSError, PermissionError):
    """The audience may not receive what was asked (a layer, a resolution, a period)."""


@dataclass(frozen=True)
class Filter:
    """The conditions an audience puts on the rows it reads (none: it reads them all)."""

    conditions: tuple[ColumnElement[bool], ...] = ()

    @property
    def restricts(self) -> bool:
        """Whether some rows are left out."""
        return bool(self.conditions)

    @property
    def clause(self) -> ColumnElement[bool]:
        """The conditions as one clause, for Core queries (TRUE when it keeps every row)."""
        return and_(true(), *self.conditions)


@dataclass(frozen=True)
class Audience:
    """Who reads an output, and the observatory's threshold: everything an output is cut by."""

    name: str
    role: Role
    territories: tuple[str, ...] = ()
    source: str | None = None
    threshold: int = 5
    sectors: tuple[str, ...] = ()

    @classmethod
    def of(cls, name: str, role: str, *, territories: tuple[str, ...] = (), source: str | None = None,
           threshold: int = 5, sectors: tuple[str, ...] = ()) -> Audience:  # fmt: skip
        """The audience of a user (an unknown role is refused)."""
        return cls(name, parse_role(role), tuple(territories), source, threshold, tuple(sectors))

    @classmethod
    def for_user(cls, user: Principal, *, threshold: int = 5) -> Audience:
        """The audience of an authenticated user."""
        return cls(user.name, user.role, user.territories, user.source_code, threshold, user.sectors)

    @classmethod
    def operator(cls, *, threshold: int = 5) -> Audience:
        """The person at the command line of the observatory's server: the coordinator."""
        return cls(getpass.getuser(), Role.COORDINATOR, threshold=threshold)

    @property
    def rights(self) -> Rights:
        """The rights of the role."""
        return RIGHTS[self.role]

    @property
    def suppressed(self) -> bool:
        """Whether counts go through disclosure control (every role below the police)."""
        return not self.rights.full

    @property
    def scope(self) -> Scope:
        """The category set of the derived layers it reads: all categories, or the open ones."""
        return "open" if self.suppressed else "full"

    @property
    def excluded_categories(self) -> tuple[str, ...]:
        """Categories it never receives, in any count."""
        return SENSITIVE_CATEGORIES if self.suppressed else ()

    @property
    def resolutions(self) -> tuple[int, ...]:
        """The H3 resolutions it may ask for."""
        return tuple(r for r in RESOLUTIONS if r <= self.rights.finest_resolution)

    @property
    def label(self) -> str:
        """The role in French."""
        return self.rights.label

    @property
    def marking(self) -> str | None:
        """The marking its outputs carry ("DIFFUSION RESTREINTE" for police-level data)."""
        return None if self.suppressed else "DIFFUSION RESTREINTE"

    @property
    def own_source(self) -> str | None:
        """For a partner, the source whose raw facts it may read; None for the others."""
        return self.source if self.role is Role.PARTNER else None

    @property
    def reach(self) -> Area:
        """The part of the observatory it sees: its communes and sectors (the whole observatory when none)."""
        return Area(communes=self.territories, sectors=self.sectors)

    @property
    def cache_key(self) -> tuple[object, ...]:
        """What makes two audiences receive the same data."""
        return (self.role.value, self.reach, self.own_source, self.threshold)

    @property
    def sheet_hours(self) -> int:
        """Hours per column of a sheet's hour × weekday grid: 1 for the police, 3 (coarser, fewer small counts) else."""
        return 3 if self.suppressed else 1

    @property
    def sheet_points(self) -> bool:
        """Whether a sheet's map draws each fact as a point (police-level readers only; the others get the outline)."""
        return not self.suppressed and self.may(Layer.EVENTS)

    def may(self, layer: Layer) -> bool:
        """Whether the layer exists for this reader."""
        return layer in self.rights.layers

    def require(self, layer: Layer) -> None:
        """AccessDenied unless the reader may receive the layer."""
        if not self.may(layer):
            msg = f"le rôle {self.label} n'a pas accès à {LAYER_LABELS[layer]}"
            raise AccessDenied(msg)

    def rater(self, author: str | None = None) -> str:
        """Who signs an ambiance it writes: the service it names (the coordinator entering a partner's rating at the
        command line) or itself; AccessDenied unless its role writes ambiances (partners, police, coordinator; an
        élu reads a sheet's ambiance but never writes one)."""
        self.require(Layer.AMBIANCE)
        return author or self.name

    def layers(self) -> list[str]:
        """The layers it may receive, by name."""
        return [layer.value for layer in Layer if self.may(layer)]

    def zone_resolution(self, computed: int) -> int:
        """The resolution of the computed zones it reads: the zones', unless that is finer than it may see."""
        return min(computed, self.rights.finest_resolution)

    def resolution(self, asked: int | None = None) -> int:
        """The resolution to use: the one asked (if allowed) or the finest usual one it may see."""
        if asked is None:
            return min(DEFAULT_RESOLUTION, self.rights.finest_resolution)
        if asked not in RESOLUTIONS:
            msg = f"résolution {asked} inconnue : choisissez parmi {', '.join(map(str, RESOLUTIONS))}"
            raise InvalidInputError(msg)
        if asked > self.rights.finest_resolution:
            msg = f"le rôle {self.label} ne reçoit que la maille {self.rights.finest_resolution} ou plus grossière"
            raise AccessDenied(msg)
        return asked

    def period(self, period: Period) -> Period:
        """The period, if it may ask for it: suppressed readers get calendar periods, never day ranges.

        Sliding ranges of days would give many differently rounded views of the same facts.
        """
        if self.suppressed and period.kind == "range":
            msg = (f"le rôle {self.label} consulte des périodes du calendrier (semaine, mois, semestre, année), "
                   "pas des plages de jours")  # fmt: skip
            raise AccessDenied(msg)
        return period

    def category(self, code: str | None) -> str | None:
        """A category filter it may use (a sensitive one is refused to suppressed readers)."""
        if code in self.excluded_categories:
            msg = f"le rôle {self.label} ne reçoit pas la catégorie {code}"
            raise AccessDenied(msg)
        return code

    def facts(self, rows: Rows = "e") -> Filter:
        """Restricts events or cell counts (``rows``) to its categories and territories."""
        within = self.within(rows)
        if not self.excluded_categories:
            return within
        excluded: BindParameter[list[str]] = bindparam("audience_excluded", list(self.excluded_categories))
        return Filter((not_(column_of(rows, "category") == any_(excluded)), *within.conditions))

    def own_territories(self) -> Filter:
        """Restricts ``territory`` rows to the communes of its area (those holding its sectors)."""
        return self._filter(self.reach.territories())

    def own_sectors(self) -> Filter:
        """Restricts ``sector`` rows to those of its area (every sector of its communes, its sectors' subtrees)."""
        return self._filter(self.reach.own_sectors())

    def within(self, rows: Rows) -> Filter:
        """Restricts rows with a ``territory_id`` (events, cell counts, deal points) to its area."""
        return self._filter(self.reach.facts(rows))

    def check_territory(self, code: str) -> None:
        """AccessDenied unless the territory is one of its communes (every territory when its area is whole).

        A reader tied to sectors holds no whole commune.
        """
        if not self.reach.whole and code not in self.territories:
            msg = f"le territoire {code} est hors du périmètre de {self.name}"
            raise AccessDenied(msg)

    def check_place(self, connection: Connection, territory: str, lon: float, lat: float) -> None:
        """AccessDenied unless a point of the territory ``territory`` lies in its area (a commune or a sector of it)."""
        if self.reach.whole or territory in self.territories:
            return
        point = func.ST_SetSRID(func.ST_MakePoint(lon, lat), 4326)
        if self.sectors and connection.execute(select(Area(sectors=self.sectors).meets(point))).scalar():
            return
        msg = f"ce lieu est hors du périmètre de {self.name}"
        raise AccessDenied(msg)

    def check_area(self, connection: Connection, area: Area) -> Area:
        """The area asked for, if it lies within its own (AccessDenied otherwise); its own area when none is asked."""
        if area.whole:
            return self.reach
        if not self.reach.covers(area, connection):
            msg = f"{area.label(connection)} est hors du périmètre de {self.name}"
            raise AccessDenied(msg)
        return area

    def area(self, geometries: Geometries, *, centre: bool = False) -> Filter:
        """Keeps geometries that meet its area (``centre``: whose centre lies in it)."""
        return self._filter(self.reach.meets(geometries, centre=centre))

    def clip(self, geometries: Any) -> Any:
        """Polygons (zones) cut to its area, so that no part of them outside it is drawn for it."""
        return self.reach.clip(geometries)

    def filed(self, connection: Connection, communes: list[str], sectors: list[str]) -> tuple[list[str], list[str]]:
        """The communes and sectors a zone is filed under that lie in its area (all of them when its area is whole).

        A zone across the border of a reader's area is drawn clipped to it (:meth:`clip`): the names of the
        communes and sectors beyond would say where the rest of it runs.
        """
        if self.reach.whole:
            return communes, sectors
        own_communes = set(connection.execute(select(Territory.code).where(self.own_territories().clause)).scalars())
        own_sectors = set(connection.execute(select(Sector.code).where(self.own_sectors().clause)).scalars())
        return [c for c in communes if c in own_communes], [s for s in sectors if s in own_sectors]

    def decisions(self, rows: Rows) -> Filter:
        """Restricts ``decision`` rows to those it receives: all (police level), those in its charge (a partner),
        all but the police-only ones (an élu), none (the public)."""
        if not self.may(Layer.DASHBOARD):
            return Filter((false(),))
        if not self.suppressed:
            return Filter()
        open_ones = column_of(rows, "confidentiality") != "police"
        if self.role is Role.PARTNER:
            return Filter((open_ones, column_of(rows, "partner") == (self.source or "")))
        return Filter((open_ones,))

    @property
    def edits_strategy(self) -> bool:
        """Whether it changes the fiches' states and enters the indicators' values: the coordinator only. A partner
        would enter the figures of its own organisation, but an indicator names no organisation that holds it (its
        source is « computed » or « entered »), so no partner's own figures can be told apart from another's."""
        return self.may(Layer.MANAGE)

    def require_strategy_edit(self) -> None:
        """AccessDenied unless it edits the strategy's follow-up (:attr:`edits_strategy`)."""
        if not self.edits_strategy:
            msg = (f"le suivi de la stratégie (état des fiches, valeurs des indicateurs) est tenu par le "
                   f"coordonnateur : le rôle {self.rights.label} ne le modifie pas")  # fmt: skip
            raise AccessDenied(msg)

    def sees_indicator(self, spec: dict[str, Any], source: str) -> bool:
        """Whether an indicator reaches it: a computed one of a sensitive category, or of a commune outside its
        area, does not reach a suppressed reader."""
        if source != "computed" or not self.suppressed:
            return True
        if set(spec.get("categories", ())) & set(self.excluded_categories):
            return False
        return not (spec.get("territory") and not self.reach.whole and spec["territory"] not in self.territories)

    def indicator_value(self, value: float, provenance: str, basis: int | None) -> float | None:
        """A value of an indicator as it reaches it: a computed value resting on fewer facts than the threshold
        (``basis``: a count itself, the count behind a rate, the smaller side of a share) is hidden (None) for a
        suppressed reader, whatever its own size; an entered value is the partner's own figure and reaches it as
        it is, and so does a value resting on no fact (zones leaving vigilance)."""
        if provenance == "computed" and self.suppressed and basis is not None and basis < self.threshold:
            return None
        return value

    def _filter(self, condition: ColumnElement[bool]) -> Filter:
        return Filter() if self.reach.whole else Filter((condition,))

    def publish(self, connection: Connection, counts: Any, keys: Any) -> list[int | None]:
        """The counts it receives: as they are for the police, through disclosure control for the others."""
        values = np.asarray(counts, dtype=np.int64)
        if not self.suppressed:
            return [int(value) for value in values.tolist()]
        return disclosure.rounded(values, np.asarray(keys, dtype=np.int64), threshold=self.threshold,
                                  salt=disclosure.secret(connection))  # fmt: skip

    @property
    def nothing(self) -> int | None:
        """How a count of no fact reaches this reader: 0, or hidden like any count below the threshold."""
        return None if self.suppressed else 0

    def count_label(self, count: int | None) -> str:
        """A published count as a reader sees it ("< 5" when hidden)."""
        return f"< {self.threshold}" if count is None else f"{count:,}".replace(",", "\u202f")
