"""The strategy (STSPD) and its follow-up: fiches actions, indicators, the cellule de veille's meetings and decisions.

:mod:`~.plan` loads a coordinator's strategy file (axes, fiches, indicators) and keeps each action's dated
states; :mod:`~.indicators` computes the observatory's indicators (at each refresh) and keeps the values partners
enter, with their provenance; :mod:`~.meetings` proposes a meeting's agenda and keeps its relevé de décisions;
:mod:`~.dashboard` puts it together for a reader; :mod:`~.outputs` writes the XLSX and PDF. Free text goes through
:func:`~.plan.check_free_text`, which refuses nominative data with the reason.
"""
