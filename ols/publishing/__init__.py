"""What leaves the observatory as a document: reports, map snapshots, GeoPackage and tables.

:mod:`~ols.publishing.reports` writes the weekly, semester and annual reports (HTML and PDF from
``templates/``), :mod:`~ols.publishing.mapexport` prints map snapshots for the bilan,
:mod:`~ols.publishing.gpkg` exports layers for the city's GIS team and
:mod:`~ols.publishing.tables` writes CSV that French Excel opens safely. Each takes the audience
of its reader, like every other output.
"""
