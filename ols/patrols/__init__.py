"""Patrol plans for the police municipale: where to go, in which order, on which streets.

:mod:`~ols.patrols.service` is the one pipeline the API and the command line both call
(:func:`~ols.patrols.service.plan_shift`): :mod:`~ols.patrols.candidates` scores places from the
observatory for a weekday and time window, :mod:`~ols.patrols.planning` orders and routes them per
team, :mod:`~ols.patrols.outputs` writes GeoJSON, GPX, PDF and the plan's record.
"""
