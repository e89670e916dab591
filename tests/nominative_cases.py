"""Bad files that carry nominative data, for the nominative tests and the bad-file corpus (``tests/badfiles.py``).

``nominative_cases()`` yields ``(filename, bytes, expected)``: files in the native formats of two
shipped mappings, ``police_nationale`` (CSV ``;`` cp1252, Lambert-93) for nominative headers
(each refused whole) and ``police_municipale`` (XLSX) for personal data in the free text the
mapping keeps (reference, label, the "Suite donnée" attribute), each row holding some rejected
under the default policy. Facts are placed at ``lon``/``lat`` (default: in Mons-en-Barœul, the
demo commune), which the caller's territory should contain.
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from dataclasses import dataclass, field

import pandas as pd
from pyproj import Transformer

# The 13 headers of the finding (8 of them were accepted), then variants of case, accents,
# abbreviation and punctuation. Each must refuse its file, with a French reason naming it.
FINDING_HEADERS = (
    "Nom",
    "Prénom",
    "Date de naissance",
    "Téléphone",
    "E-mail",
    "Plaque d'immatriculation",
    "Nom et prénom",
    "N° de téléphone",
    "Immatriculation du véhicule",
    "Identité",
    "Mis en cause",
    "Nom complet",
    "Né(e) le",
)
HEADER_VARIANTS = (
    "NOM", "nom_prenom", "NomPrenom", "Prén.", "PRENOMS", "Nom de famille", "Nom d'usage", "NOM DU MIS EN CAUSE",
    "Nom de la victime", "Nom du plaignant", "Nom/Prénom", "nom complet", "Identité de la victime", "IDENTITE MEC",
    "Civilité", "mis_en_cause", "Victime", "Auteur", "date_naissance", "DateNaissance", "Lieu de naissance",
    "Dt naiss.", "DDN", "Née le", "né le", "NE(E) LE", "Tél.", "tel_portable", "Tél. domicile", "Numéro de téléphone",
    "Portable", "N° tél", "GSM", "email", "Courriel", "Adresse mail", "Adresse électronique", "Plaque", "Immat.",
    "N° immatriculation", "Véhicule immatriculé", "NIR", "N° sécurité sociale", "N° SS", "N° de sécu",
    "Numéro de sécurité sociale", "CNI", "N° passeport", "N° titre de séjour", "Adresse du plaignant",
    "Adresse de la victime", "Domicile", "Adresse domicile", "Adresse personnelle", "First name", "Last name",
    "Surname", "Full name", "Name", "Date of birth", "DOB", "Phone number",
)  # fmt: skip
# Headers that name places, numbers or facts, never persons: each must be accepted.
INNOCENT_HEADERS = (
    "Nom de la voie", "nom_voie", "Nom du lieu", "Nom de la station", "Nom de la commune", "Nom de la résidence",
    "Nom du quartier", "Résidence", "N° fait", "Numéro de voie", "N°", "Adresse des faits", "Adresse", "Lieu",
    "Lieu des faits", "Code INSEE", "Code postal", "Commune", "Voie", "Nombre de victimes", "Type de victime",
    "Nombre de mis en cause", "Date des faits", "Heure", "Nature de l'infraction", "Suite donnée", "Observations",
    "Motif", "Réf. intervention", "Station", "Ligne", "LSOA name", "Location", "Crime ID", "Identifiant",
    "Dénomination", "Nomenclature", "Secteur", "Hôtel de ville", "Mobilier urbain", "Age du bâtiment", "Agent",
)  # fmt: skip


@dataclass(frozen=True)
class Expected:
    """What must become of a case's file.

    ``mapping`` and ``source``: the shipped mapping the file is written for and a source it suits.
    ``refused``: the whole file is refused (no batch, nothing stored) with a French message holding
    each of ``message``; otherwise ``rows`` are read and ``nominative_rows`` of them are rejected
    with reason ``nominative_data`` (the others follow the usual checks). ``planted``: values that
    must be nowhere afterwards (database, messages, logs).
    """

    mapping: str
    source: str
    refused: bool
    message: tuple[str, ...] = ()
    rows: int = 0
    nominative_rows: int = 0
    planted: tuple[str, ...] = field(default_factory=tuple)


MONS = (3.1105, 50.6405)
NAMES = ("Jean DUPONT", "Marie MARTIN", "Paul DURAND")
# Each planted value: (where it goes, the cell text, the values that must never be stored).
PLANTED = {
    "nom": ("Suite donnée", "Rappel à l'ordre à Kevin LEFEBVRE", ("LEFEBVRE",)),
    "civilite": ("Suite donnée", "Verbalisation de M. Vandamme", ("Vandamme",)),
    "naissance": ("Suite donnée", "Interpellé, né le 12/03/1987", ("12/03/1987",)),
    "telephone": ("Suite donnée", "Requérant à rappeler au 06 12 34 56 78", ("06 12 34 56 78",)),
    "email": ("Suite donnée", "Réponse envoyée à j.lefebvre@exemple.fr", ("j.lefebvre@exemple.fr",)),
    "plaque": ("Suite donnée", "Véhicule AB-123-CD mis en fourrière", ("AB-123-CD",)),
    "plaque_ancienne": ("Suite donnée", "Véhicule 1234 AB 59 enlevé", ("1234 AB 59",)),
    "nir": ("Suite donnée", "NIR 1 87 03 59 350 012 23 relevé", ("350 012",)),
    "libelle": ("Motif", "Tapage de Sandrine VERHAEGHE", ("VERHAEGHE",)),
    "reference": ("Réf. intervention", "PM-Nadia BOUZIANE", ("BOUZIANE",)),
}


def _police_nationale_csv(extra: str, lon: float, lat: float) -> bytes:
    """Three facts of the police_nationale export, with one more column ``extra`` (cp1252 CSV)."""
    x, y = Transformer.from_crs(4326, 2154, always_xy=True).transform(lon, lat)
    frame = pd.DataFrame({
        "N° fait": ["PN-1", "PN-2", "PN-3"],
        "Date des faits": ["02/01/2025"] * 3,
        "Heure": ["10:00"] * 3,
        "Nature de l'infraction": ["Vol simple"] * 3,
        "X (L93)": [f"{x:.1f}".replace(".", ",")] * 3,
        "Y (L93)": [f"{y:.1f}".replace(".", ",")] * 3,
        extra: list(NAMES),
    })  # fmt: skip
    return frame.to_csv(sep=";", index=False).encode("cp1252")


def _police_municipale_xlsx(cells: dict[str, str], lon: float, lat: float) -> bytes:
    """Four facts of the police_municipale export, the first holding ``cells`` (XLSX)."""
    frame = pd.DataFrame({
        "Réf. intervention": [f"PM-2025-{i:05d}" for i in range(4)],
        "Date/heure": ["02/01/2025 22:15"] * 4,
        "Motif": ["Tapage nocturne"] * 4,
        "Latitude": [f"{lat:.6f}"] * 4,
        "Longitude": [f"{lon:.6f}"] * 4,
        "Suite donnée": ["Rappel à l'ordre", "Dispersion", "Verbalisation", "Sans suite"],
    })  # fmt: skip
    for column, value in cells.items():
        frame.loc[0, column] = value
    buffer = io.BytesIO()
    frame.to_excel(buffer, index=False, sheet_name="Interventions")
    return buffer.getvalue()


def nominative_cases(lon: float = MONS[0], lat: float = MONS[1]) -> Iterator[tuple[str, bytes, Expected]]:
    """Files with nominative headers (refused whole) or personal data in kept free text (rows rejected)."""
    for index, header in enumerate(FINDING_HEADERS + HEADER_VARIANTS):
        expected = Expected(
            "police_nationale", "police-nationale", refused=True, message=("données nominatives", header), planted=NAMES
        )
        yield f"entete_nominatif_{index:02d}.csv", _police_nationale_csv(header, lon, lat), expected
    for name, (column, value, planted) in PLANTED.items():
        expected = Expected(
            "police_municipale", "police-municipale", refused=False, rows=4, nominative_rows=1, planted=planted
        )
        yield f"texte_nominatif_{name}.xlsx", _police_municipale_xlsx({column: value}, lon, lat), expected
    everything: dict[str, str] = {}
    for column, value, _ in PLANTED.values():
        everything[column] = f"{everything[column]} ; {value}" if column in everything else value
    planted = tuple(value for _, _, values in PLANTED.values() for value in values)
    expected = Expected(
        "police_municipale", "police-municipale", refused=False, rows=4, nominative_rows=1, planted=planted
    )
    yield "texte_nominatif_tout.xlsx", _police_municipale_xlsx(everything, lon, lat), expected
