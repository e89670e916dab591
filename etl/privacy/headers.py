"""The maintained list of nominative column headers, and the refusal of files that have one.

A partner file whose header has a column for a person's name, identity, birth, contact details,
number plate, social-security or identity-document number, or a person's address (as opposed to
the address of the facts) is refused whole, before any row is read into the database: the partner
removes the column from its export. Headers are compared folded (case, accents and punctuation
ignored, ``camelCase`` and ``snake_case`` split), so "Né(e) le", "NE_LE" and "néLe" meet.

Each rule is a regular expression over the folded header with what it stands for, in French for
the refusal message. False positives are kept low on purpose: the name of a place ("Nom de la
voie", "nom_voie", "Nom du lieu", "LSOA name"), a housing block ("Résidence"), a fact number
("N° fait") or a street number ("Numéro de voie") is not a person's.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass

from ols.errors import InvalidInputError
from ols.names import fold

logger = logging.getLogger(__name__)

_PARTICLES = r"(?:(?:DE|DU|DES|LA|LE|LES|L|D|A|AU|AUX) )*"
# What a "Nom de ..." column may name without being a person's name.
_THINGS = (
    "VOIE|VOIES|RUE|LIEU|LIEUX|STATION|ARRET|GARE|LIGNE|COMMUNE|VILLE|QUARTIER|IRIS|ILOT|SECTEUR|ZONE|SITE"
    "|ETABLISSEMENT|RESIDENCE|BATIMENT|IMMEUBLE|LOGEMENT|EQUIPEMENT|PARC|JARDIN|PLACE|ROUTE|CHEMIN|LOCAL|ESPACE"
    "|SALLE|STADE|GYMNASE|CENTRE|MARCHE|ECOLE|COLLEGE|LYCEE|COMMERCE|MAGASIN|ENSEIGNE|STRUCTURE|SERVICE"
    "|PARTENAIRE|SOURCE|BAILLEUR|TRANSPORTEUR|ORGANISME|FICHIER|COUCHE|CAMERA|CATEGORIE|NATURE|INFRACTION"
    "|OPERATION|PROJET|DISPOSITIF|PROGRAMME|DEPARTEMENT|REGION|PAYS|CANTON|TERRITOIRE|EPCI|PATRIMOINE|VOIRIE"
)
_ROLES = (
    "MIS EN CAUSE|MISE EN CAUSE|MIS EN CAUSES|MEC|AUTEURS?|VICTIMES?|PLAIGNANTE?S?|TEMOINS?|REQUERANTE?S?"
    "|DECLARANTE?S?|SIGNALANTE?S?|INTERPELLEE?S?|SUSPECTE?S?|CONTREVENANTE?S?|LOCATAIRES?|HABITANTE?S?"
    "|PERSONNES? (?:CONCERNEE|IMPLIQUEE|INTERPELLEE|CONTROLEE|MISE EN CAUSE)S?|OFFENDERS?|VICTIMS?|WITNESS(?:ES)?"
    "|SUSPECTS?"
)


@dataclass(frozen=True)
class HeaderRule:
    """A kind of personal data (in French, for the message) and the folded headers that name it."""

    what: str
    pattern: re.Pattern[str]


def _rule(what: str, pattern: str) -> HeaderRule:
    return HeaderRule(what, re.compile(pattern))


HEADER_RULES = (
    _rule("nom ou prénom", rf"\bNOMS?\b(?! {_PARTICLES}(?:{_THINGS})\b)"),
    _rule("nom ou prénom", r"\b(?:PRENOMS?|PREN|PATRONYMES?|FIRSTNAMES?|LASTNAMES?|FULLNAMES?|SURNAMES?|FORENAMES?)\b"),
    _rule(
        "nom ou prénom",
        r"^(?:(?:FIRST|LAST|FULL|GIVEN|FAMILY|MIDDLE|MAIDEN|PERSON|SUSPECT|VICTIM|OFFENDER|CONTACT|CUSTOMER"
        r"|WITNESS|USER)S? )?NAMES?$",
    ),
    _rule("identité", r"\b(?:IDENTITE|IDENTITES|IDENTITY|CIVILITE|CIVILITES|ETAT CIVIL)\b"),
    _rule("personne en cause", rf"^(?:(?:LE|LA|LES|L) )?(?:{_ROLES})(?: \d+| PRINCIPAL| PRINCIPALE)?$"),
    _rule("naissance", r"\b(?:NAISSANCE|NAISSANCES|NAISS|NAIS|DDN|DOB|BIRTH|BIRTHDATE|BIRTHDAY)\b"),
    _rule("naissance", r"\bNEE? (?:E )?(?:LE|A|EN)\b|^AGE$"),
    _rule("téléphone", r"\b(?:TEL|TELS|TELEPHONE|TELEPHONES|PHONE|PHONES|GSM|TELEPHONIQUE)\b"),
    _rule("téléphone", r"^(?:(?:N|NO|NUM|NUMERO) )?(?:PORTABLE|MOBILE|FIXE)$"),
    _rule("adresse e-mail", r"\b(?:E MAIL|EMAIL|EMAILS|MAIL|MAILS|COURRIEL|COURRIELS)\b|\bADRESSE ELECTRONIQUE\b"),
    _rule(
        "immatriculation",
        r"\b(?:PLAQUES?|IMMATRICULATIONS?|IMMAT|IMMATS|IMMATRICULE|IMMATRICULEE|VRM|REGISTRATION|LICENSE PLATE"
        r"|NUMBER PLATE)\b",
    ),
    _rule(
        "numéro de sécurité sociale",
        r"\b(?:NIR|SECURITE SOCIALE|SECU|SSN|SOCIAL SECURITY)\b|^(?:N|NO|NUM|NUMERO) SS$",
    ),
    _rule(
        "pièce d'identité",
        r"\b(?:CNI|PASSEPORT|PASSPORT|TITRE DE SEJOUR|PERMIS DE CONDUIRE|NUMERO DE PERMIS|N PERMIS|AGDREF|ECROU)\b",
    ),
    _rule(
        "adresse d'une personne",
        rf"\b(?:DOMICILE|DOMICILES|DOMICILIATION)\b|\bADRESSES? .*\b(?:{_ROLES}|PERSONNELLE|PERSONNE|CONTACT)\b",
    ),
)
_CAMEL = re.compile(r"(?<=[a-zà-ÿ])(?=[A-ZÀ-Ý])")


def header_key(header: str) -> str:
    """The header folded for the rules: ``"dateNaissance_MEC"`` → ``"DATE NAISSANCE MEC"``."""
    return fold(_CAMEL.sub(" ", header))


def nominative_header(header: str) -> str | None:
    """What personal data ``header`` names (in French), or None for an innocent header."""
    key = header_key(header)
    return next((rule.what for rule in HEADER_RULES if rule.pattern.search(key)), None)


def nominative_columns(columns: list[str]) -> dict[str, str]:
    """The columns whose header names personal data, with what each names."""
    found = {column: nominative_header(column) for column in columns}
    return {column: what for column, what in found.items() if what is not None}


def refuse_nominative_headers(name: str, columns: list[str]) -> None:
    """Raise :class:`InvalidInputError` naming each nominative column of file ``name``, if it has any."""
    found = nominative_columns(columns)
    if not found:
        return
    listed = ", ".join(f"« {column} » ({what})" for column, what in found.items())
    msg = (
        f"{name}: fichier refusé, données nominatives interdites dans l'observatoire : colonnes nominatives {listed}. "
        "Retirez ces colonnes de l'export puis déposez le fichier à nouveau."
    )
    logger.warning(msg)
    raise InvalidInputError(msg)
