"""The cellule de veille map: a Folium page whose layers are fetched from the API."""
