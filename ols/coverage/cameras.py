"""Cameras as real objects: read from the Paris open-data list or a simple CSV, their coverage drawn, saved.

Two formats are read:

- the Paris list (``Code postal;Numéro;Implantation;Précision de l’implantation;Date de mise en service;lon;lat``,
  ``;``-separated, dates dd/mm/yy or « inconnue »): every site gets the radius given (no field of view in it);
- a simple CSV (``code,name,lon,lat`` and optionally ``radius_m``, ``direction_deg``, ``angle_deg``,
  ``installed_on`` as YYYY-MM-DD, ``state``).

A camera's coverage is a disc of its radius, or a view cone (``direction_deg`` clockwise from north, opening
``angle_deg``) when both are given, minus what the loaded buildings hide from it (:mod:`ols.coverage.visibility`;
``ols territory load-buildings`` clips every camera again). Every output says which it is (:func:`caveat`): not
clipped while no building is loaded (:data:`NOT_CLIPPED`), clipped in plan otherwise (:data:`CLIPPED`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

import pandas as pd
import shapely
from geoalchemy2.shape import from_shape
from shapely.geometry import MultiPolygon, Point, Polygon
from sqlalchemy import Connection, exists, func, select, update
from sqlalchemy.dialects.postgresql import insert

from ols.coverage.visibility import visible
from ols.errors import InvalidInputError
from ols.store.models import CAMERA_STATES, Building, Camera

PARIS_COLUMNS = ("Code postal", "Numéro", "Implantation", "Date de mise en service", "lon", "lat")
SIMPLE_COLUMNS = ("code", "name", "lon", "lat")
DEFAULT_RADIUS = 50.0
ARC_STEPS = 64
NOT_CLIPPED = ("Les champs de vision ne sont pas découpés par les bâtiments (aucune couche de bâtiments n'est "
               "chargée) : la couverture est un disque ou un cône théorique.")  # fmt: skip
CLIPPED = ("Les champs de vision sont découpés par les bâtiments chargés, vus en plan : la hauteur des bâtiments et "
           "des mâts n'est pas prise en compte, et les sites proposés pour une extension restent des disques "
           "théoriques.")  # fmt: skip


@dataclass(frozen=True)
class CameraSpec:
    """One camera as read from a file, before it is saved."""

    code: str
    name: str
    lon: float
    lat: float
    radius_m: float = DEFAULT_RADIUS
    direction_deg: float | None = None
    angle_deg: float | None = None
    installed_on: date | None = None
    state: str = "active"


def offset(lon: float, lat: float, east_m: float, north_m: float) -> tuple[float, float]:
    """The point ``east_m`` metres east and ``north_m`` north of (lon, lat) (local plane: exact to the cm at 500 m)."""
    return lon + east_m / (111_320 * math.cos(math.radians(lat))), lat + north_m / 110_574


def coverage_of(spec: CameraSpec) -> Polygon:
    """The disc or view cone a camera sees, in WGS84."""
    if spec.direction_deg is None or spec.angle_deg is None or spec.angle_deg >= 360:
        angles = [2 * math.pi * i / ARC_STEPS for i in range(ARC_STEPS)]
        return Polygon([offset(spec.lon, spec.lat, spec.radius_m * math.sin(a), spec.radius_m * math.cos(a))
                        for a in angles])  # fmt: skip
    start = math.radians(spec.direction_deg - spec.angle_deg / 2)
    steps = max(4, round(ARC_STEPS * spec.angle_deg / 360))
    arc = [start + math.radians(spec.angle_deg) * i / steps for i in range(steps + 1)]
    edge = [offset(spec.lon, spec.lat, spec.radius_m * math.sin(a), spec.radius_m * math.cos(a)) for a in arc]
    return Polygon([(spec.lon, spec.lat), *edge])


def _paris_date(text: str) -> date | None:
    """A dd/mm/yy date of the Paris list (« inconnue »: None)."""
    try:
        return datetime.strptime(text.strip(), "%d/%m/%y").date()
    except ValueError:
        return None


def _paris(frame: pd.DataFrame, radius: float) -> list[CameraSpec]:
    return [CameraSpec(code=f"paris-{row['Numéro']}", name=f"{row['Implantation']} ({row['Code postal']})",
                       lon=float(row["lon"]), lat=float(row["lat"]), radius_m=radius,
                       installed_on=_paris_date(row["Date de mise en service"]))
            for _, row in frame.iterrows() if row["lon"] and row["lat"]]  # fmt: skip


def _optional(value: object) -> float | None:
    return float(str(value)) if str(value).strip() else None


def _simple(frame: pd.DataFrame, radius: float) -> list[CameraSpec]:
    cameras = []
    for _, row in frame.iterrows():
        state = str(row.get("state", "") or "active")
        if state not in CAMERA_STATES:
            msg = f"caméra {row['code']} : état « {state} » inconnu ; états connus : {', '.join(CAMERA_STATES)}"
            raise InvalidInputError(msg)
        installed = str(row.get("installed_on", "") or "")
        cameras.append(CameraSpec(
            code=str(row["code"]), name=str(row["name"]), lon=float(row["lon"]), lat=float(row["lat"]),
            radius_m=_optional(row.get("radius_m", "")) or radius,
            direction_deg=_optional(row.get("direction_deg", "")), angle_deg=_optional(row.get("angle_deg", "")),
            state=state,
            installed_on=date.fromisoformat(installed) if installed else None))  # fmt: skip
    return cameras


def read_cameras(path: Path, *, radius: float = DEFAULT_RADIUS) -> list[CameraSpec]:
    """The cameras of a file in the Paris format or the simple one (told apart by their columns)."""
    text = path.read_text(encoding="utf-8-sig")
    sep = ";" if text.split("\n", 1)[0].count(";") > text.split("\n", 1)[0].count(",") else ","
    frame = pd.read_csv(path, sep=sep, dtype=str, keep_default_na=False, encoding="utf-8-sig")
    if set(PARIS_COLUMNS) <= set(frame.columns):
        return _paris(frame, radius)
    if set(SIMPLE_COLUMNS) <= set(frame.columns):
        return _simple(frame, radius)
    msg = (f"{path.name} : format de caméras inconnu ; colonnes attendues : {', '.join(SIMPLE_COLUMNS)} "
           f"(et radius_m, direction_deg, angle_deg, installed_on, state), ou celles de la liste de Paris")  # fmt: skip
    raise InvalidInputError(msg)


def buildings_loaded(connection: Connection) -> bool:
    """Whether a buildings layer is loaded (then every camera's coverage is clipped by it)."""
    return bool(connection.execute(select(exists().where(Building.id.is_not(None)))).scalar())


def caveat(connection: Connection) -> str:
    """What the coverage polygons are, as every output of coverage states it."""
    return CLIPPED if buildings_loaded(connection) else NOT_CLIPPED


def view_of(connection: Connection, spec: CameraSpec, clip: bool) -> MultiPolygon:
    """The coverage of a camera: its disc or cone, minus what the buildings hide when ``clip``."""
    theoretical = coverage_of(spec)
    if not clip:
        return MultiPolygon([theoretical])
    rows = connection.execute(select(func.ST_AsBinary(Building.geom)).where(
        func.ST_Intersects(Building.geom, func.ST_GeomFromText(theoretical.wkt, 4326)))).scalars().all()  # fmt: skip
    return visible(theoretical, spec.lon, spec.lat, spec.radius_m, [shapely.from_wkb(bytes(row)) for row in rows])


def clip_cameras(connection: Connection) -> int:
    """Draw every camera's coverage again against the buildings loaded now (or none); return how many."""
    clip = buildings_loaded(connection)
    rows = connection.execute(select(Camera.code, func.ST_X(Camera.geom), func.ST_Y(Camera.geom), Camera.radius_m,
                                     Camera.direction_deg, Camera.angle_deg)).all()  # fmt: skip
    for code, lon, lat, radius, direction, angle in rows:
        spec = CameraSpec(code, code, float(lon), float(lat), float(radius), direction, angle)
        coverage = from_shape(view_of(connection, spec, clip), srid=4326)
        connection.execute(update(Camera).where(Camera.code == code).values(coverage=coverage, clipped=clip))
    return len(rows)


def save_cameras(connection: Connection, cameras: list[CameraSpec], *, source_file: str | None = None) -> int:
    """Create or update the cameras, keyed by code, with their coverage (clipped by the buildings loaded, if any);
    return how many were saved."""
    if not cameras:
        return 0
    clip = buildings_loaded(connection)
    rows = [{"code": c.code, "name": c.name, "geom": from_shape(Point(c.lon, c.lat), srid=4326),
             "radius_m": c.radius_m, "direction_deg": c.direction_deg, "angle_deg": c.angle_deg,
             "coverage": from_shape(view_of(connection, c, clip), srid=4326), "clipped": clip,
             "installed_on": c.installed_on, "state": c.state, "source_file": source_file}
            for c in cameras]  # fmt: skip
    statement = insert(Camera).values(rows)
    kept = ("name", "geom", "radius_m", "direction_deg", "angle_deg", "coverage", "clipped", "installed_on", "state",
            "source_file")  # fmt: skip
    connection.execute(statement.on_conflict_do_update(index_elements=["code"],
                                                       set_={k: statement.excluded[k] for k in kept}))  # fmt: skip
    return len(rows)
