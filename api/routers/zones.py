"""Declared vigilance zones drawn by the coordinator: kept in the database and as reviewable files.

The files live in the one configured folder (``OLS_ZONES_DIR``, absolute) that ``ols zones sync``
reads, and each is written or removed inside the database transaction: if the file cannot be
written the zone is not stored, so that the folder and the database never disagree on a zone the
API accepted.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Response

from api.deps import CurrentManager, EngineDep, SettingsDep
from api.schemas import ERRORS, Created, DeclaredZoneIn
from ols.cartography.zones import delete_declared, save_declared, validate_declared_geometry, write_declared

router = APIRouter(responses=ERRORS)
ZoneCode = Annotated[str, Path(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")]


def _values(body: DeclaredZoneIn) -> dict[str, Any]:
    values = body.model_dump(exclude={"geometry"})
    values["geom"] = validate_declared_geometry(body.geometry)
    return values


@router.post("/zones", response_model=Created, status_code=201)
def create_zone(body: DeclaredZoneIn, engine: EngineDep, settings: SettingsDep, user: CurrentManager) -> Created:
    """Declare a zone (422 with the reason for a self-intersecting, empty, oversize or non-WGS84 polygon)."""
    values = _values(body)
    with engine.begin() as connection:
        save_declared(connection, values, replace=False)
        write_declared(settings.zones_dir, values)
    return Created(id=body.code)


@router.put("/zones/{code}", response_model=Created)
def replace_zone(code: ZoneCode, body: DeclaredZoneIn, engine: EngineDep, settings: SettingsDep,
                 user: CurrentManager) -> Created:  # fmt: skip
    """Replace a declared zone."""
    values = _values(body) | {"code": code}
    with engine.begin() as connection:
        save_declared(connection, values, replace=True)
        write_declared(settings.zones_dir, values)
    return Created(id=code)


@router.delete("/zones/{code}", status_code=204)
def delete_zone(code: ZoneCode, engine: EngineDep, settings: SettingsDep, user: CurrentManager) -> Response:
    """Remove a declared zone (database and file)."""
    with engine.begin() as connection:
        delete_declared(connection, settings.zones_dir, code)
    return Response(status_code=204)
