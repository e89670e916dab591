"""Patrol plan outputs: GeoJSON, GPX (for phones); and the plan's record (the printable PDF: :mod:`.sheet`)."""

from __future__ import annotations

from typing import Any

import gpxpy
import gpxpy.gpx
import h3
from sqlalchemy import Connection, insert

from ols.patrols.planning import Plan
from ols.patrols.records import routes_record
from ols.store.models import PatrolPlan, PatrolStop


def to_geojson(result: Plan) -> dict[str, Any]:
    """One LineString per team (start → stops → start, lon/lat) and one Point per stop."""
    features: list[dict[str, Any]] = []
    for route in result.routes:
        features.append({"type": "Feature", "geometry": route.line.__geo_interface__, "properties": {
            "kind": "route", "team": route.team, "mode": result.mode, "distance_m": round(route.distance_m),
            "duration_min": round(route.duration_min), "straight_line": result.straight_line}})  # fmt: skip
        for stop in route.stops:
            point = {"type": "Point", "coordinates": [stop.candidate.lon, stop.candidate.lat]}
            features.append({"type": "Feature", "geometry": point, "properties": {
                "kind": "stop", "team": route.team, "order": stop.position, "arrival": stop.arrival,
                "dwell_min": stop.dwell_min, "reason": stop.candidate.reason, "key": stop.candidate.key}})  # fmt: skip
    shares = result.share_by(lambda c: h3.latlng_to_cell(c.lat, c.lon, 8))
    return {"type": "FeatureCollection", "window": result.window.text, "mode": result.mode, "notes": result.notes,
            "time_share_by_area": {"area": "H3 resolution 8 cell (about a quartier)", "shares": shares},
            "features": features}  # fmt: skip


def to_gpx(result: Plan) -> str:
    """One track per team and one waypoint per stop (order, arrival, dwell, reason)."""
    document = gpxpy.gpx.GPX()
    document.creator = "OLS — Observatoire Local de la Sécurité"
    for route in result.routes:
        track = gpxpy.gpx.GPXTrack(name=f"Équipe {route.team} — {result.window.text}")
        segment = gpxpy.gpx.GPXTrackSegment([gpxpy.gpx.GPXTrackPoint(lat, lon) for lon, lat in route.line.coords])
        track.segments.append(segment)
        document.tracks.append(track)
        for stop in route.stops:
            document.waypoints.append(gpxpy.gpx.GPXWaypoint(
                stop.candidate.lat, stop.candidate.lon, name=f"É{route.team}-{stop.position} {stop.arrival}",
                description=f"{stop.dwell_min} min — {stop.candidate.reason}"))  # fmt: skip
    return str(document.to_xml())


def save_plan(connection: Connection, result: Plan, parameters: dict[str, Any]) -> int:
    """Record the plan, its routes and its stops (the rotation reads them; the log marks them done)."""
    statement = insert(PatrolPlan).values(
        window=result.window.text, mode=result.mode, parameters=parameters, routes=routes_record(result)
    )
    plan_id = connection.execute(statement.returning(PatrolPlan.id)).scalar_one()
    rows = [{"plan_id": plan_id, "team": route.team, "position": stop.position, "key": stop.candidate.key,
             "reason": stop.candidate.reason, "arrival": stop.arrival, "dwell_min": stop.dwell_min,
             "lon": stop.candidate.lon, "lat": stop.candidate.lat, "done": None}
            for route in result.routes for stop in route.stops]  # fmt: skip
    if rows:
        connection.execute(insert(PatrolStop), rows)
    return int(plan_id)
