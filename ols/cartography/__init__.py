"""The semester cartography: counts per H3 cell, Gi* hot spots, emerging hot spots and vigilance zones.

:mod:`~ols.cartography.refresh` rebuilds a period in one transaction from the stored facts:
:mod:`~ols.cartography.aggregates` counts them on the :mod:`~ols.cartography.grid`,
:mod:`~ols.cartography.hotspots` and :mod:`~ols.cartography.emerging` find where they concentrate,
:mod:`~ols.cartography.zones` draws the zones de vigilance. The readers —
:mod:`~ols.cartography.heatmap`, :mod:`~ols.cartography.layers`, :mod:`~ols.cartography.tiles` and
the frozen :mod:`~ols.cartography.editions` — return them cut for an audience.
"""
