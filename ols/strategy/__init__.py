"""The strategy (STSPD) and its follow-up: fiches actions, indicators, the cellule de veille's meetings and decisions.

:mod:`~.files` reads a coordinator's strategy file (YAML or XLSX) and writes its blank templates; :mod:`~.plan`
loads it (axes, fiches, indicators) and keeps each action's dated states; :mod:`~.indicators` computes the
observatory's indicators (at each refresh) and keeps the values partners enter, with their provenance;
:mod:`~.meetings` proposes a meeting's agenda and keeps its relevé de décisions; :mod:`~.dashboard` puts it together
for a reader; :mod:`~.outputs` writes the XLSX and PDF. Free text goes through :func:`~.plan.check_free_text`, which
refuses nominative data with the reason.
"""
