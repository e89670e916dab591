"""Personal data in free text: each kind found and masked, the text of places, facts and numbers left alone."""

from __future__ import annotations

import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from etl.privacy.filenames import masked_filename
from etl.privacy.screen import scan_column
from ols.privacy.detectors import MASK, Finding, describe, find, mask, redact
from ols.privacy.firstnames import first_names
from tests.nominative_cases import PLANTED

FOUND = [
    ("Rappel à l'ordre à Jean DUPONT", "name", "Jean DUPONT"),
    ("DUPONT Jean interpellé", "name", "DUPONT Jean"),
    ("signalé par Marie Martin", "name", "Marie Martin"),
    ("Jean-Pierre Lefebvre absent", "name", "Jean-Pierre Lefebvre"),
    ("Verbalisation de M. Vandamme", "name", "M. Vandamme"),
    ("Mme Durand prévenue", "name", "Mme Durand"),
    ("MONSIEUR BERNARD", "name", "MONSIEUR BERNARD"),
    ("Interpellé, né le 12/03/1987", "birth_date", "né le 12/03/1987"),
    ("née le 3 mars 1987", "birth_date", "née le 3 mars 1987"),
    ("Né(e) le 01/01/2000", "birth_date", "Né(e) le 01/01/2000"),
    ("date de naissance : 12-03-87", "birth_date", "date de naissance : 12-03-87"),
    ("né en 1987", "birth_date", "né en 1987"),
    ("à rappeler au 06 12 34 56 78", "phone", "06 12 34 56 78"),
    ("tél 06.12.34.56.78", "phone", "06.12.34.56.78"),
    ("tél 0320123456", "phone", "0320123456"),
    ("+33 6 12 34 56 78", "phone", "+33 6 12 34 56 78"),
    ("+33612345678", "phone", "+33612345678"),
    ("écrire à j.lefebvre@exemple.fr svp", "email", "j.lefebvre@exemple.fr"),
    ("Véhicule AB-123-CD", "plate", "AB-123-CD"),
    ("véhicule ab-123-cd", "plate", "ab-123-cd"),
    ("immatriculé AB123CD", "plate", "AB123CD"),
    ("Véhicule 1234 AB 59 enlevé", "plate", "1234 AB 59"),
    ("Véhicule 123 ABC 2A", "plate", "123 ABC 2A"),
    ("NIR 1 87 03 59 350 012 23", "nir", "1 87 03 59 350 012 23"),
    ("NIR 187035935001223", "nir", "187035935001223"),
    ("NIR 2 99 12 2A 123 456", "nir", "2 99 12 2A 123 456"),
]
# What partners write that is no one's personal data: labels, outcomes, places, references, dates, numbers.
INNOCENT = [
    "Rappel à l'ordre", "Dispersion", "Verbalisation", "Sans suite", "Vol à la roulotte", "Tapage nocturne",
    "Cambriolage de résidence principale", "Résidence des Sarts", "Résidence Europe", "Rue Jean Jaurès",
    "R. Jean Jaurès", "Av. Jean Jaurès", "Place de la Victoire", "Stade Pierre Mauroy", "Lycée Marie Curie",
    "Mons Sarts", "Fort de Mons", "Mairie de Mons", "Gare Lille Flandres", "Station Fantôme", "Rue Imaginaire",
    "M. le Maire", "Monsieur le Préfet", "Mme la Présidente", "On or near Mary Street",
    "On or near Catherine Wheel Alley", "On or near John Carpenter Street", "City of London 001A", "E01000001",
    "PM-2024-00001", "VA-00001", "PN2023-00001", "2024-01-01 10:00:00", "01/02/2024", "22:15", "50.631234",
    "704512,3", "7064321.5", "3.0612345678", "M2", "Ligne 2", "59370", "59410", "2024010100001", "202401010000123",
    "Kevin", "Jean", "Investigation complete; no suspect identified", "Unable to prosecute suspect", "né",
    "nez cassé", "Prénom inconnu",
]  # fmt: skip


@pytest.mark.parametrize(("text", "kind", "span"), FOUND)
def test_personal_data_is_found_and_masked(text: str, kind: str, span: str) -> None:
    found = find(text)
    assert kind in {f.kind for f in found}
    assert span not in mask(text, found)
    assert MASK in mask(text, found)


@pytest.mark.parametrize("text", INNOCENT)
def test_innocent_text_is_left_alone(text: str) -> None:
    assert find(text) == [], find(text)


@pytest.mark.parametrize("name", sorted(PLANTED))
def test_every_planted_value_of_the_cases_is_found(name: str) -> None:
    _, text, planted = PLANTED[name]
    masked = redact(text)
    assert all(value not in masked for value in planted), masked


def test_place_columns_look_for_names_only_after_a_civility() -> None:
    assert find("Austin Friars", bare_names=False) == []
    assert [f.kind for f in find("chez M. Dupont", bare_names=False)] == ["name"]
    assert [f.kind for f in find("Austin Friars")] == ["name"]


def test_overlapping_spans_are_masked_once() -> None:
    text = "abcdefghij"
    assert mask(text, [Finding("name", 0, 4), Finding("phone", 2, 6), Finding("email", 8, 10)]) == f"{MASK}gh{MASK}"


def test_kinds_are_described_in_french() -> None:
    assert describe({"name"}) == "des noms"
    assert describe({"birth_date", "name", "phone"}) == "des noms, des dates de naissance et des numéros de téléphone"


def test_first_names_come_from_insee_and_leave_out_place_words() -> None:
    names = first_names()
    assert len(names) > 10_000
    assert {"JEAN", "MARIE", "KEVIN", "NADIA", "JEAN PIERRE"} <= names
    assert not {"SAINT", "PARIS", "FRANCE", "VICTOIRE", "PIERRE MAUROY"} & names


def test_a_column_is_searched_once_per_distinct_value_and_known_labels_are_exempt() -> None:
    values = pd.Series(["Tapage nocturne", "Tapage de Jean DUPONT", "Tapage nocturne", "Jean DUPONT"], name="Motif")
    scan = scan_column(values, bare_names=True, exempt=frozenset({"JEAN DUPONT"}))
    assert scan.flagged.tolist() == [False, True, False, False]
    assert scan.cells.tolist() == ["Tapage nocturne", f"Tapage de {MASK}", "Tapage nocturne", "Jean DUPONT"]


text_around = st.text(alphabet="abcdefghijklmnopqrstuvwxyzé ,;:'", max_size=30)
planted = st.sampled_from(["06 12 34 56 78", "+33 6 12 34 56 78", "j.dupont@exemple.fr", "AB-123-CD", "1234 AB 59"])


@given(before=text_around, value=planted, after=text_around)
def test_planted_value_never_survives_whatever_surrounds_it(before: str, value: str, after: str) -> None:
    text = f"{before} {value} {after}"
    assert value not in redact(text)


@pytest.mark.parametrize(
    ("name", "shown"),
    [
        ("plainte_Jean_Dupont.csv", "plainte_[masqué].csv"),
        ("Marie-MARTIN.geojson", "[masqué].geojson"),
        ("rappel M. Vandamme.xlsx", "rappel [masqué].xlsx"),
        ("requerant_06.12.34.56.78.csv", "requerant_[masqué].csv"),
        ("fourriere_AB-123-CD.gpkg", "fourriere_[masqué].gpkg"),
        ("export_pm_2024-03.xlsx", "export_pm_2024-03.xlsx"),
        ("Export_Police_Municipale_Janvier.xlsx", "Export_Police_Municipale_Janvier.xlsx"),
        ("interventions_rue_Jean_Jaures.csv", "interventions_rue_Jean_Jaures.csv"),
        ("Jean_Dupont", "[masqué]"),
        (".csv", ".csv"),
    ],
)
def test_a_file_name_is_screened_like_free_text_its_extension_kept(name: str, shown: str) -> None:
    assert masked_filename(name) == shown


def test_a_file_name_with_dots_between_its_words_is_screened_too() -> None:
    assert masked_filename("plainte.Jean.Dupont.csv") == "plainte.[masqué].csv"
