"""Personal data in free text (names, birth dates, phones, e-mails, plates, NIR): the pure detectors.

They live in ``ols`` because the library checks free text too (the « ambiance » observations of the
sheets, the decisions of the cellule de veille), and ``ols`` never imports ``etl``; the ingestion
(:mod:`etl.privacy`) uses them from here, so that there is one definition of what a name looks like.
"""
