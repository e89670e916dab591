"""Place and sector sheets (fiches lieu, fiches secteur, fiches « ambiance ») and the schéma local that gathers a
commune's sheets: what happens there, when, who reports it, what watches it, and how partners find it.

:mod:`.subject` finds what a sheet is about, :mod:`.content` gathers its data (already cut by the audience),
:mod:`.mediation` sets mediation's presence against the facts, :mod:`.ambiance` keeps partners' ratings,
:mod:`.hooks` the open decisions and indicators of issue 16, :mod:`.render` writes HTML and PDF, and
:mod:`.local_plan` the schéma local.
"""
