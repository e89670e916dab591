"""Personal data in free text (names, birth dates, phones, e-mails, plates, NIR): the pure detectors.

They live in ``ols`` because the library checks free text too (the « ambiance » observations of the
sheets), and ``ols`` never imports ``etl``; the ingestion (:mod:`etl.privacy`) uses them from here.
"""
