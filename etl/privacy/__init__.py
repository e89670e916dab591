"""Nominative data kept out of the observatory, wherever it hides in a partner file.

OLS never holds data about named people. A file whose header names a column of personal data is
refused whole (:mod:`etl.privacy.headers`); the free text a mapping keeps (labels, references,
attributes, the text of locations) is searched for names, birth dates, phone numbers, e-mail
addresses, number plates and social-security numbers (:mod:`ols.privacy.detectors`, with INSEE's
first names from :mod:`ols.privacy.firstnames`), and what is found is handled as the mapping's
policy says (:mod:`etl.privacy.screen`): the row rejected, the column dropped, or the file refused.
Whatever is found is masked before anything is stored or logged.
"""
