"""The ground the facts stand on: territories, named places, street networks and the files they come from.

Reference data is loaded once and changes rarely: the observatory and the outlines of the communes it
covers (:mod:`~ols.reference.territories`) with their calendar, timezone and school-holiday zone
(:mod:`~ols.reference.calendar`), the sectors communes are cut into (:mod:`~ols.reference.sectors`),
the areas results are cut to (:mod:`~ols.reference.areas`), the gazetteer of places partners name in
their files (:mod:`~ols.reference.places`), the street graph patrols are routed on
(:mod:`~ols.reference.streets`), all read from any polygon, point or line file in any CRS by
:mod:`~ols.reference.geofiles`.
"""
