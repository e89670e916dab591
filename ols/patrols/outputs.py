"""Patrol plan outputs: GeoJSON, GPX (for phones), a printable A4 PDF; and the plan's record."""

from __future__ import annotations

import io
from typing import Any

import gpxpy
import gpxpy.gpx
import h3
import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
from matplotlib.backends.backend_pdf import PdfPages
from sqlalchemy import Connection, insert, update

from ols.errors import NotFoundError
from ols.patrols.planning import Plan
from ols.store.models import PatrolPlan, PatrolStop

COLOURS = ("#1b9e77", "#d95f02", "#7570b3", "#e7298a", "#66a61e")


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


def to_pdf(result: Plan) -> bytes:
    """A printable A4: the routes on one page, then each team's ordered stops with times and reasons."""
    buffer = io.BytesIO()
    with PdfPages(buffer) as pdf:
        figure, axes = plt.subplots(figsize=(8.27, 11.69))
        for route in result.routes:
            colour = COLOURS[(route.team - 1) % len(COLOURS)]
            xs, ys = zip(*route.line.coords, strict=True)
            axes.plot(xs, ys, color=colour, linewidth=1.6, label=f"Équipe {route.team}")
            for stop in route.stops:
                axes.scatter(stop.candidate.lon, stop.candidate.lat, color=colour, s=40, zorder=3)
                axes.annotate(str(stop.position), (stop.candidate.lon, stop.candidate.lat), fontsize=8,
                              xytext=(3, 3), textcoords="offset points")  # fmt: skip
        axes.scatter(*result.start, marker="*", s=160, color="black", zorder=4, label="Départ / retour")
        axes.set_aspect(1 / 0.66)
        axes.legend(loc="upper right", fontsize=8)
        axes.set_title(f"Plan de patrouille — {result.window.text} — {result.mode}", fontsize=12)
        axes.set_xticks([])
        axes.set_yticks([])
        if result.notes:
            figure.text(0.05, 0.03, " ; ".join(result.notes), fontsize=8, color="#b30000")
        pdf.savefig(figure)
        plt.close(figure)
        for route in result.routes:
            figure = plt.figure(figsize=(8.27, 11.69))
            lines = [f"Équipe {route.team} — {len(route.stops)} arrêts, {route.distance_m / 1000:.1f} km, "
                     f"{route.duration_min:.0f} min", ""]  # fmt: skip
            lines += [f"{s.position:>2}. {s.arrival}  ({s.dwell_min} min)  {s.candidate.reason}" for s in route.stops]
            figure.text(0.06, 0.95, "\n".join(lines), fontsize=9, va="top", family="DejaVu Sans", wrap=True)
            pdf.savefig(figure)
            plt.close(figure)
    return buffer.getvalue()


def save_plan(connection: Connection, result: Plan, parameters: dict[str, Any]) -> int:
    """Record the plan and its stops (the rotation reads them; the log marks them done)."""
    statement = insert(PatrolPlan).values(window=result.window.text, mode=result.mode, parameters=parameters)
    plan_id = connection.execute(statement.returning(PatrolPlan.id)).scalar_one()
    rows = [{"plan_id": plan_id, "team": route.team, "position": stop.position, "key": stop.candidate.key,
             "reason": stop.candidate.reason, "arrival": stop.arrival, "dwell_min": stop.dwell_min,
             "lon": stop.candidate.lon, "lat": stop.candidate.lat, "done": None}
            for route in result.routes for stop in route.stops]  # fmt: skip
    if rows:
        connection.execute(insert(PatrolStop), rows)
    return int(plan_id)


def log_stop(connection: Connection, plan_id: int, team: int, position: int, *, done: bool) -> None:
    """Record from the main courante whether a stop was made (no GPS tracking)."""
    where = (PatrolStop.plan_id == plan_id, PatrolStop.team == team, PatrolStop.position == position)
    result = connection.execute(update(PatrolStop).where(*where).values(done=done))
    if not result.rowcount:
        msg = f"aucun arrêt {position} de l'équipe {team} dans le plan {plan_id}"
        raise NotFoundError(msg)
