"""OLS — Observatoire Local de la Sécurité: the core library.

Data flows one way: ``etl/`` reads partner files into PostGIS, this package turns the stored facts
into what a CLSPD reads, ``api/`` serves it over HTTP and ``web/`` draws it. The subpackages follow
that flow: :mod:`ols.store` (schema, migrations, the embedded cluster), :mod:`ols.reference`
(territories, places, streets), :mod:`ols.cartography` (H3 counts, hot spots, zones, the semester
refresh), :mod:`ols.analysis` (indicators, profiles, near-repeat, veille croisée), :mod:`ols.access`
(who sees what), :mod:`ols.publishing` (reports, map snapshots, GeoPackage, tables) and
:mod:`ols.patrols` (patrol plans). The root keeps what every layer shares: errors, settings,
periods, the nomenclature (with what each category measures), the cross-partner merge of facts
into signalements, name keys and school holidays. Nothing here imports ``api``, ``etl``
or the command line.
"""

__version__ = "0.1.0"
