"""Personal data in free text: the pure detectors that both the ingest (:mod:`etl.privacy`) and the
observatory's own free text (decisions, observations of the cellule de veille) use, so that there is one
definition of what a name, a birth date, a phone number or a number plate looks like."""
