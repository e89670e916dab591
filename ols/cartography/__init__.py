"""The semester cartography: counts per H3 cell, Gi* hot spots, emerging hot spots and vigilance zones.

:mod:`~ols.cartography.refresh` rebuilds a period in one transaction from the stored facts:
:mod:`~ols.cartography.aggregates` counts them on the :mod:`~ols.cartography.grid`,
:mod:`~ols.cartography.hotspots` and :mod:`~ols.cartography.emerging` find where they concentrate
(layer by layer in :mod:`~ols.cartography.hotlayers` and :mod:`~ols.cartography.trends`, never
where :mod:`~ols.cartography.guards` finds too few facts, nor across periods a partner had no data
in, :mod:`~ols.cartography.coverage`), :mod:`~ols.cartography.zones` draws the zones de vigilance. The readers —
:mod:`~ols.cartography.heatmap`, :mod:`~ols.cartography.layers`, :mod:`~ols.cartography.tiles` and
the frozen :mod:`~ols.cartography.editions` — return them cut for an audience.
"""
