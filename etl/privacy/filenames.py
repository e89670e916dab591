"""File names screened like free text: a partner's export named after a person keeps no trace of it.

A file named ``plainte_Jean_Dupont.csv`` would put a name in ``batch.filename``, in every message
naming the file and in the logs. Its name is searched with the detectors of free text
(:mod:`ols.privacy.detectors`), twice: with the separators file names use in place of spaces
(``_``, ``-``, ``+``) read as spaces, then with dots too (a dot belongs to "M. Dupont" and to
"06.12.34.56.78", but also separates words: "plainte.Jean.Dupont"); what either finds is masked:
``plainte_[masqué].csv``. The extension and the other words stay, so that the partner still
recognises the file.
"""

from __future__ import annotations

import re
from pathlib import PurePath

from ols.privacy.detectors import find, mask

SEPARATORS = (re.compile(r"[_\-+]"), re.compile(r"[_\-+.]"))


def masked_filename(name: str) -> str:
    """``name`` with any personal data masked, its extension kept: the name OLS stores, logs and says."""
    suffix = PurePath(name).suffix if name.strip(".") else ""
    stem = name[: len(name) - len(suffix)]
    # Each separator becomes one space: the spans found in the spaced text are the stem's.
    found = [finding for separators in SEPARATORS for finding in find(separators.sub(" ", stem))]
    if not found:
        return name
    return mask(stem, sorted(found, key=lambda finding: (finding.start, -finding.end))) + suffix
