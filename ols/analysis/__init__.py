"""Analyses beyond the map: indicators and evolution tables, time profiles, near-repeat, veille croisée.

Each analysis reads the stored facts (or the cell counts of a refresh) for a period and an audience:
:mod:`~ols.analysis.indicators` (N-2/N-1/N tables, official SSMSI figures),
:mod:`~ols.analysis.profiles` (hour × weekday grids, school holidays),
:mod:`~ols.analysis.nearrepeat` (Knox test after burglaries) and
:mod:`~ols.analysis.crosswatch` (cells where several kinds of facts co-occur).
"""
