"""The ground the facts stand on: territories, named places, street networks and the files they come from.

Reference data is loaded once and changes rarely: the outlines of the communes an observatory covers
(:mod:`~ols.reference.territories`) with their calendar, timezone and school-holiday zone
(:mod:`~ols.reference.calendar`), the gazetteer of places partners name in their files
(:mod:`~ols.reference.places`), the street graph patrols are routed on
(:mod:`~ols.reference.streets`), all read from any polygon, point or line file in any CRS by
:mod:`~ols.reference.geofiles`.
"""
