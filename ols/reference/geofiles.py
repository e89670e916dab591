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
    except pyogrio.errors.DataLayerError as error:
        what = f"pas de couche « {layer} » lisible" if layer else "aucune couche lisible"
        msg = f"{path.name} : fichier géographique sans données : {what} ; vérifiez-le dans le SIG"
        raise InvalidInputError(msg) from error
    except pyogrio.errors.DataSourceError as error:  # not GDAL's text: English, and it may quote the file's insides
        msg = (f"{path.name} : fichier géographique illisible (GeoJSON, GeoPackage, Shapefile… tronqué, endommagé ou "
               "d'un autre format) : ré-exportez-le depuis le SIG")  # fmt: skip
        raise InvalidInputError(msg) from error
