"""Personal data in free text: names, birth dates, phone numbers, e-mails, number plates, NIR.

Each detector returns the spans it found, so that a value can be masked (each span replaced by
``[masqué]``) rather than merely flagged. They aim at what partners actually write in an
observation or a label:

- a person's name: a French first name (INSEE) next to a surname ("Jean DUPONT", "DUPONT Jean",
  "Marie Martin"), or a civility before a name ("M. Dupont", "Mme Durand"); a lone word never is,
  and a name in a place's name ("rue Jean Jaurès", "Stade Pierre Mauroy", "Mary Street") is not a
  person's;
- a birth date: "né le 12/03/1987", "née le 3 mars 1987", "date de naissance : 12/03/1987";
- a French phone number: "06 12 34 56 78", "06.12.34.56.78", "+33 6 12 34 56 78";
- an e-mail address;
- a number plate: "AB-123-CD" (SIV, since 2009) and "1234 AB 59" (FNI, before);
- a social-security number (NIR): 13 digits and their key, the key checked.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from ols.names import STREET_TYPES, fold
from ols.privacy.firstnames import first_names

MASK = "[masqué]"
KINDS = {
    "name": "des noms",
    "birth_date": "des dates de naissance",
    "phone": "des numéros de téléphone",
    "email": "des adresses e-mail",
    "plate": "des plaques d'immatriculation",
    "nir": "des numéros de sécurité sociale",
}


@dataclass(frozen=True)
class Finding:
    """A span of personal data in a text: what it is (a key of ``KINDS``), where it starts and ends."""

    kind: str
    start: int
    end: int


_MONTHS = "janvier|f[ée]vrier|mars|avril|mai|juin|juillet|ao[uû]t|septembre|octobre|novembre|d[ée]cembre"
_DATE = (
    rf"(?:\d{{1,2}}[/.-]\d{{1,2}}[/.-](?:\d{{4}}|\d{{2}})|\d{{1,2}}(?:er)?\s+(?:{_MONTHS})\s+\d{{4}}"
    r"|\d{4}-\d{2}-\d{2})"
)
PATTERNS = {
    "email": re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+"),
    "phone": re.compile(
        r"(?<![\w+])(?<!\d[.,])(?:(?:\+|00)33[\s.-]?(?:\(0\)[\s.-]?)?|0)[1-9](?:[\s.-]?\d{2}){4}(?!\w)"
    ),
    "birth_date": re.compile(
        rf"\b(?:n[ée]e?(?:\s*\(e\))?|date\s+de\s+naissance|ddn)\s*(?:le\s+|:\s*)?{_DATE}|\bn[ée]e?(?:\s*\(e\))?\s+en\s+\d{{4}}",
        re.IGNORECASE,
    ),
    "plate": re.compile(
        r"(?<![\w-])(?:[A-HJ-NP-TV-Z]{2}[- ]?\d{3}[- ]?[A-HJ-NP-TV-Z]{2}|[a-hj-np-tv-z]{2}-\d{3}-[a-hj-np-tv-z]{2}"
        r"|\d{1,4}[ -][A-HJ-NP-TV-Z]{2,3}[ -](?:0[1-9]|[1-8]\d|9[0-5]|2A|2B|97[1-6]))(?![\w-])"
    ),
}
_NIR = re.compile(
    r"(?<!\w)(?<!\d[.,])[12][ .-]?\d{2}[ .-]?(?:0[1-9]|1[0-2]|[2-9]\d)[ .-]?(?:\d{2}|2[AB])[ .-]?\d{3}[ .-]?\d{3}"
    r"(?:[ .-]?\d{2})?(?!\w)"
)
NIR_SEPARATORS = 5  # a NIR whose key is missing or wrong is still one when spaced like one: "1 87 03 59 350 012"


def _nir_findings(text: str) -> list[Finding]:
    """Social-security numbers: 13 characters and a valid key, or spaced as a NIR is written."""
    found = []
    for match in _NIR.finditer(text):
        written = match.group(0)
        digits = re.sub(r"[ .-]", "", written)
        number, key = digits[:13].replace("2A", "19").replace("2B", "18"), digits[13:]
        valid = bool(key) and 97 - int(number) % 97 == int(key)
        if valid or len(written) - len(digits) >= NIR_SEPARATORS:
            found.append(Finding("nir", match.start(), match.end()))
    return found


_WORD = re.compile(r"[^\W\d_]+(?:['’-][^\W\d_]+)*")
CIVILITIES = {"M", "MME", "MMES", "MLLE", "MR", "MRS", "MS", "MONSIEUR", "MADAME", "MADEMOISELLE", "MESSIEURS"}
# Words after which, or before which, two capitalised words name a place or a title, not a person.
PLACE_WORDS = frozenset(
    {
        "RUE", "AVENUE", "AV", "BOULEVARD", "BD", "PLACE", "PL", "ALLEE", "IMPASSE", "SQUARE", "QUAI", "CHEMIN",
        "ROUTE", "COURS", "CITE", "RESIDENCE", "RES", "STADE", "STATION", "GARE", "METRO", "ARRET", "ECOLE", "COLLEGE",
        "LYCEE", "GROUPE", "SCOLAIRE", "GYMNASE", "SALLE", "PARC", "JARDIN", "CENTRE", "ESPACE", "MAISON", "HOPITAL",
        "CLINIQUE", "PONT", "PORTE", "PARVIS", "ESPLANADE", "PROMENADE", "MAIL", "HOTEL", "MAIRIE", "MEDIATHEQUE",
        "BIBLIOTHEQUE", "PISCINE", "COMPLEXE", "FOYER", "EGLISE", "INSTITUT", "UNIVERSITE", "FACULTE", "CAMPUS", "ZONE",
        "ZAC", "QUARTIER", "LOTISSEMENT", "SENTIER", "PASSAGE", "FAUBOURG", "FBG", "ROND", "POINT", "TOUR", "BATIMENT",
        "IMMEUBLE", "SAINT", "SAINTE", "ST", "STE", "GENERAL", "GAL", "MARECHAL", "PRESIDENT", "DOCTEUR", "DR",
        "PROFESSEUR", "ABBE", "PERE", "COLONEL", "COMMANDANT", "CAPITAINE", "LIEUTENANT", "AMIRAL", "CARDINAL",
        "STREET", "ROAD", "LANE", "COURT", "HILL", "ROW", "GARDENS", "GARDEN", "YARD", "WALK", "CLOSE", "WAY",
        "TERRACE", "ALLEY", "WHARF", "BUILDINGS", "HOUSE", "CHAMBERS", "CHURCHYARD", "BRIDGE", "GATE", "GREEN", "MEWS",
        "CRESCENT", "DRIVE", "STAIRS", "CIRCUS", "ARCADE", "MARKET", "EMBANKMENT", "PARADE", "QUAY", "CORNER", "PASS",
        "COURTYARD", "BUILDING", "ESTATE"
    }
)  # fmt: skip
PLACE_WORDS |= STREET_TYPES.keys()
NOT_SURNAMES = frozenset(
    {
        "LE", "LA", "LES", "DE", "DU", "DES", "ET", "OU", "EN", "AU", "AUX", "UN", "UNE", "SUR", "SOUS", "PAR", "POUR",
        "AVEC", "SANS", "CHEZ", "DANS", "VERS", "A", "L", "D", "MAIRE", "PREFET", "PREFETE", "PRESIDENT", "PRESIDENTE",
        "DIRECTEUR", "DIRECTRICE", "PROCUREUR", "COMMISSAIRE", "ADJOINT", "ADJOINTE", "AGENT", "AGENTS", "GARDIEN",
        "GARDIENNE", "RESPONSABLE", "CHEF", "THE", "AND", "OF", "ON", "OR", "NEAR", "X"
    }
)  # fmt: skip


@lru_cache(maxsize=1 << 16)
def _key(word: str) -> str:
    """A word folded (partners' words repeat: each is folded once)."""
    return fold(word)


@lru_cache(maxsize=1 << 16)
def _capitalised(word: str) -> bool:
    parts = re.split(r"['’-]", word)
    return all(part[:1].isupper() and (part[1:].islower() or part.isupper() or len(part) == 1) for part in parts)


def _surname(word: str) -> bool:
    key = _key(word)
    return len(key) >= 2 and _capitalised(word) and key not in NOT_SURNAMES and key not in PLACE_WORDS


def _civility(text: str, word: re.Match[str], after: re.Match[str]) -> bool:
    """``word`` is a civility ("M.", "Mme", "Monsieur") and ``after`` a name: "M. Dupont", "Mme DURAND"."""
    key, gap = _key(word.group()), text[word.end() : after.start()]
    if key not in CIVILITIES or not _capitalised(word.group()) or not _surname(after.group()):
        return False
    return gap.startswith(".") and gap[1:].isspace() if key == "M" else gap.isspace() or gap.strip() == "."


def _full_name(words: list[re.Match[str]], i: int) -> bool:
    """Words ``i`` and ``i + 1`` are a first name and a surname ("Jean Dupont", "DUPONT Jean"), not a place's name."""
    names, word, after = first_names(), words[i].group(), words[i + 1].group()
    key = _key(word)
    if (key in names or key.rsplit(" ", 1)[-1] in names) and _surname(after):
        named = True  # "PM-Nadia BOUZIANE": a first name glued to a code is still one
    else:
        named = _key(after) in names and _capitalised(after) and word.isupper() and _surname(word)
    context = (*words[max(0, i - 3) : i], *words[i + 2 : i + 3])
    return named and not any(_key(w.group()) in PLACE_WORDS for w in context)


def _name_findings(text: str, *, bare: bool) -> list[Finding]:
    """Civility + name always; first name + surname (either order) when ``bare``; both words capitalised."""
    words = [word for word in _WORD.finditer(text)]
    found = []
    for i in range(len(words) - 1):
        word, after = words[i], words[i + 1]
        if not (_capitalised(word.group()) and _capitalised(after.group())):
            continue
        gap = text[word.end() : after.start()]
        if _civility(text, word, after) or (bare and gap.isspace() and _full_name(words, i)):
            found.append(Finding("name", word.start(), after.end()))
    return found


def find(text: str, *, bare_names: bool = True) -> list[Finding]:
    """Every span of personal data in ``text``, in order; ``bare_names=False`` looks for names only after a civility."""
    found = [Finding(kind, m.start(), m.end()) for kind, pattern in PATTERNS.items() for m in pattern.finditer(text)]
    found += _nir_findings(text)
    found += _name_findings(text, bare=bare_names)
    return sorted(found, key=lambda finding: (finding.start, -finding.end))


def mask(text: str, found: list[Finding]) -> str:
    """``text`` with each span of ``found`` (sorted by start) replaced by ``[masqué]``, overlaps merged."""
    pieces, position = [], 0
    for finding in found:
        if finding.end <= position:
            continue
        pieces.append(text[position : max(position, finding.start)])
        if finding.start >= position:
            pieces.append(MASK)
        position = finding.end
    pieces.append(text[position:])
    return "".join(pieces)


def redact(text: str) -> str:
    """``text`` with every piece of personal data found in it masked (for messages and errors)."""
    return mask(text, find(text))


def describe(kinds: set[str] | list[str]) -> str:
    """The kinds found, in French, in a stable order: ``"des noms et des dates de naissance"``."""
    named = [label for kind, label in KINDS.items() if kind in kinds]
    return named[0] if len(named) == 1 else f"{', '.join(named[:-1])} et {named[-1]}"
