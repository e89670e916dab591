"""Reading the geographic files people hand to OLS (boundaries, places, street segments)."""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import pyogrio

from ols.errors import InvalidInputError


def read_geofile(path: Path, *, layer: str | None = None) -> gpd.GeoDataFrame:
    """A GeoJSON, GeoPackage, Shapefile... as a GeoDataFrame; a clear error when GDAL cannot read it."""
    try:
        return gpd.read_file(path, layer=layer)
    except (pyogrio.errors.DataSourceError, pyogrio.errors.DataLayerError) as error:
        msg = f"{path.name} : fichier géographique illisible (GeoJSON, GeoPackage, Shapefile…) : {error}"
        raise InvalidInputError(msg) from error
