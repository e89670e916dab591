"""Refusal of files that carry nominative data.

The observatory never holds data about named people (the GSN's data stay out of OLS). A file
whose header has a column for a name, a birth date or contact details is refused whole, with
the list of offending columns, before any row is read into the database; so is a file whose kept
columns contain e-mail addresses or phone numbers.
"""

from __future__ import annotations

import logging
import re

import pandas as pd

from ols.errors import InvalidInputError
from ols.names import fold

logger = logging.getLogger(__name__)

NOMINATIVE_HEADERS = re.compile(
    r"^(NOM|NOMS|PRENOM|PRENOMS|NOM PRENOM|PRENOM NOM|NOM DE FAMILLE|NOM D USAGE|NOM DE NAISSANCE"
    r"|NOM (DU |DE LA |DE L )?(MIS EN CAUSE|AUTEUR|VICTIME|PLAIGNANT|TEMOIN|REQUERANT|DECLARANT|SIGNALANT"
    r"|LOCATAIRE|HABITANT)"
    r"|(DATE|DT|LIEU) (DE )?NAISSANCE|NE LE|NEE LE|DDN|AGE"
    r"|TEL|TELEPHONE|TEL PORTABLE|PORTABLE|MOBILE|FIXE|NUMERO DE TELEPHONE|N TEL|NUM TEL"
    r"|E ?MAIL|MAIL|COURRIEL|ADRESSE (E ?MAIL|MAIL|ELECTRONIQUE|COURRIEL)"
    r"|NIR|NUMERO DE SECURITE SOCIALE|N SECURITE SOCIALE|PLAQUE|IMMATRICULATION|NUMERO D IMMATRICULATION"
    r"|FIRST NAME|LAST NAME|SURNAME|FULL NAME|NAME|DATE OF BIRTH|DOB|PHONE|PHONE NUMBER)$"
)
EMAIL = re.compile(r"[\w.+-]+@[\w-]+\.[\w.-]+")
PHONE = re.compile(r"(?<!\d)(?:\+33\s?|0)[1-9](?:[\s.-]?\d{2}){4}(?!\d)")


def nominative_columns(columns: list[str]) -> list[str]:
    """The columns whose header names personal data (case, accents and punctuation ignored)."""
    return [column for column in columns if NOMINATIVE_HEADERS.match(fold(column))]


def columns_with_contact_details(frame: pd.DataFrame, columns: list[str]) -> list[str]:
    """Kept text columns in which some cell holds an e-mail address or a phone number."""
    found = []
    for column in columns:
        values = pd.Series(frame[column].astype(str).unique())
        if values.str.contains(EMAIL).any() or values.str.contains(PHONE).any():
            found.append(column)
    return found


def refuse_nominative(name: str, frame: pd.DataFrame, *, checked_text_columns: list[str]) -> None:
    """Raise :class:`InvalidInputError` naming the offending columns if the file is nominative."""
    by_header = nominative_columns([str(column) for column in frame.columns])
    by_content = [c for c in columns_with_contact_details(frame, checked_text_columns) if c not in by_header]
    if by_header or by_content:
        parts = []
        if by_header:
            parts.append(f"colonnes nominatives: {', '.join(by_header)}")
        if by_content:
            parts.append(f"coordonnées personnelles (e-mail, téléphone) dans: {', '.join(by_content)}")
        msg = f"{name}: fichier refusé, données nominatives interdites dans l'observatoire ({'; '.join(parts)})"
        logger.warning(msg)
        raise InvalidInputError(msg)
