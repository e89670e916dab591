"""The demo's video-protection: a synthetic camera at each metro station, its view cone turned a seeded way.

The demo territories come with no camera list: these cameras are made up (their names say SYNTHETIQUE), so
that the sheets and the coverage of the demo show what a real list would give.
"""

from __future__ import annotations

import numpy as np
from geoalchemy2.shape import to_shape
from sqlalchemy import Connection, select

from ols.coverage.cameras import CameraSpec, save_cameras
from ols.store.models import Place


def demo_cameras(connection: Connection, seed: int) -> int:
    """One synthetic camera per metro station of the demo (radius 60 m, a 120° cone); how many were saved."""
    rng = np.random.default_rng(seed)
    stations = connection.execute(select(Place.name, Place.geom).where(Place.kind == "metro").order_by(Place.name))
    cameras = []
    for index, (name, geom) in enumerate(stations):
        point = to_shape(geom)
        cameras.append(CameraSpec(f"demo-{index + 1}", f"Caméra {name} (SYNTHETIQUE)", point.x, point.y, 60.0,
                                  direction_deg=float(rng.uniform(0, 360)), angle_deg=120.0))  # fmt: skip
    return save_cameras(connection, cameras, source_file="démo (synthétique)")
