"""The annual report (bilan annuel of the CLSPD, CISPD or EPCI): the whole observatory, then one chapter per commune.

Each part has its N-2/N-1/N evolution tables, its semester maps (cut to the commune, with its
sectors) and zones, and the official SSMSI context: the département's counts once, and each member
commune's rates where the SSMSI publishes them (its commune file covers only some communes: the
others are said to have no official figures, rather than left out silently).
"""

from __future__ import annotations

import base64

from sqlalchemy import Connection, func, select

from ols.access.audience import Audience
from ols.access.roles import Layer
from ols.analysis.indicators import local_evolution, official_evolution
from ols.cartography.comparison import comparison
from ols.cartography.layers import refresh_record
from ols.errors import InvalidInputError, NotFoundError
from ols.periods import Period, parse_period
from ols.publishing.boxes import left_out_note
from ols.publishing.mapexport import Snapshot, render
from ols.publishing.sections import Section, Table, de, semester_boxes, shown
from ols.reference.areas import Area
from ols.store.models import OfficialIndicator, Territory
from ols.strategy.outputs import strategy_chapter


def evolution(connection: Connection, year: Period, by: str, audience: Audience, area: Area | None = None) -> Table:
    """The evolution table by family or source as printed ("—" before any data, "< 5" hidden)."""
    frame = local_evolution(connection, year, audience, by=by, area=area)
    counts = [column for column in frame.columns if str(column)[:4].isdigit()]
    unneeded = ("key", "ssmsi", "measure", *(("no_data",) if frame["no_data"].isna().all() else ()))
    frame = frame.drop(columns=[c for c in unneeded if c in frame.columns])
    heading = {"family": "famille", "category": "catégorie", "source": "source"}[by]
    frame = frame.rename(columns={"label": heading, "evolution": "évolution", "evolution_pct": "évolution %",
                                  "evolution_n2_pct": f"évolution % depuis {counts[0]}",
                                  "rate_per_thousand": "taux ‰ (N)", "no_data": "sans données"})  # fmt: skip
    suffix = "" if area is None or area.whole else "_" + "_".join((*area.communes, *area.sectors))
    return Table(f"evolution_{by}{suffix}", shown(frame, counts, audience))


def _semester(connection: Connection, semester: Period, audience: Audience, area: Area) -> Section | None:
    """The semester's map and zones (of the area), or None when the semester was not computed."""
    try:
        refresh_record(connection, semester)
    except NotFoundError:
        return None
    image = render(connection, Snapshot(semester, ("heatmap", "zones"), area=area), audience, image_format="png")
    text = ""
    if audience.may(Layer.ZONES):
        changes = comparison(connection, semester, audience, area)
        text = (f"{len(changes['entering'])} zone(s) nouvelle(s), {len(changes['leaving'])} sortie(s), "
                f"{len(changes['hot_outside_declared'])} zone(s) chaude(s) hors zones déclarées.")  # fmt: skip
        named = [zone["name"] for zone in (*changes["entering"], *changes["continuing"])]
        if named and not area.whole:
            text += f" Zones touchant {area.label(connection)} : {' ; '.join(named)}."
    return Section(f"Carte et zones — {semester.label}", text, images=[base64.b64encode(image).decode()],
                   boxes=semester_boxes(connection, semester, audience, area))  # fmt: skip


def _ssmsi(connection: Connection, scope: str, code: str, year: Period, caption: str) -> Section | None:
    """The official figures of a département or a commune, or None when the SSMSI files loaded hold none."""
    last = connection.execute(
        select(func.max(OfficialIndicator.year)).where(OfficialIndicator.scope == scope, OfficialIndicator.code == code)
    ).scalar()
    if last is None:
        return None
    frame = official_evolution(connection, scope=scope, code=code, year=min(int(last), year.start.year))
    frame = frame.drop(columns=["key"]).rename(columns={"label": "indicateur SSMSI", "evolution": "évolution",
                                                        "evolution_pct": "évolution %",
                                                        "evolution_n2_pct": "évolution % sur deux ans"})  # fmt: skip
    return Section(f"Contexte officiel SSMSI — {caption}", table=Table(f"ssmsi_{scope}_{code}", frame))


def _commune_context(connection: Connection, year: Period, name: str, insee: str | None) -> Section:
    """A member commune's SSMSI rates, or the sentence saying that none are published for it."""
    found = _ssmsi(connection, "commune", insee, year, f"{name} ({insee}, taux ‰)") if insee else None
    if found is not None:
        return found
    said = (f"Pas de chiffres officiels publiés pour {name} : le fichier communal du SSMSI chargé ne la couvre pas "
            "(il ne couvre que certaines communes, selon leur population).")  # fmt: skip
    return Section(f"Contexte officiel SSMSI — {name}", said)


def _part(connection: Connection, year: Period, audience: Audience, area: Area, whole: bool) -> list[Section]:
    """Evolution tables and semester maps of the whole observatory or of one commune or sector."""
    what = "de l'observatoire" if whole else de(area.label(connection))
    said = " ".join(filter(None, (f"Faits cumulés {what}, N-2, N-1 et N.", left_out_note(audience))))
    sections = [
        Section("Évolution par famille", said, evolution(connection, year, "family", audience, area)),
        Section("Évolution par source", table=evolution(connection, year, "source", audience, area)),
    ]
    for half in ("S1", "S2"):
        found = _semester(connection, parse_period(f"{year.start.year}-{half}"), audience, area)
        if found is not None:
            sections.append(found)
    return sections


def members(connection: Connection, audience: Audience, area: Area) -> list[tuple[str, str, str | None]]:
    """(code, name, INSEE) of the communes the report covers: the audience's, within the area asked for."""
    rows = connection.execute(
        select(Territory.code, Territory.name, Territory.insee)
        .where(audience.own_territories().clause, area.territories())
        .order_by(Territory.name)
    )
    return [(code, name, insee) for code, name, insee in rows]


def annual(connection: Connection, year: Period, audience: Audience, area: Area | None = None) -> list[Section]:
    """Bilan annuel: the whole (or the commune or sector asked for), the SSMSI context, for an observatory of
    several communes one chapter per commune, then the strategy's tableau de bord up to that year (when a
    strategy is loaded and the reader receives it)."""
    return [*_observed(connection, year, audience, area), *strategy_chapter(connection, audience, year)]


def _observed(connection: Connection, year: Period, audience: Audience, area: Area | None) -> list[Section]:
    if year.kind != "year":
        msg = "le bilan annuel porte sur une année (2024)"
        raise InvalidInputError(msg)
    area = area or Area()
    communes = members(connection, audience, area)
    sections = _part(connection, year, audience, area, whole=area.whole)
    insee = next((code for _, _, code in communes if code), None)
    departement = _ssmsi(connection, "departement", insee[:2], year, f"département {insee[:2]}") if insee else None
    sections += [departement] if departement else []
    if len(communes) == 1 or area.sectors:
        return [*sections, *(_commune_context(connection, year, name, code) for _, name, code in communes[:1])]
    for code, name, insee_code in communes:
        sections.append(Section(f"Commune {de(name)}", chapter=True))
        sections += _part(connection, year, audience, Area(communes=(code,)), whole=False)
        sections.append(_commune_context(connection, year, name, insee_code))
    return sections
