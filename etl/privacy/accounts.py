"""Account names: a user of OLS is a post or a service (« pm-ville-1 », « bailleur-nord »), never a person by name.

The audit log and the batches keep who did what by account name for years; a person's name there
would be the personal data the observatory refuses everywhere else. The name is read by the same
detectors as the partners' free text (:mod:`ols.privacy.detectors`), once as written and once with
its words capitalised (« jean-dupont » is « Jean Dupont »).
"""

from __future__ import annotations

import re

from ols.errors import InvalidInputError
from ols.privacy.detectors import describe, find

ACCOUNT = re.compile(r"^[A-Za-z0-9][A-Za-z0-9 ._-]{1,63}$")
WORDS = re.compile(r"[-_. ]+")


def account_name(name: str) -> str:
    """``name`` if it is an account's, else InvalidInputError: the characters, then a person's name or contact."""
    if not ACCOUNT.match(name):
        msg = (f"nom de compte invalide « {name[:64]} » : lettres sans accent, chiffres, espaces, - _ ou ., "
               "2 à 64 caractères (par exemple « pm-ville-1 »)")  # fmt: skip
        raise InvalidInputError(msg)
    spelled = " ".join(word.capitalize() for word in WORDS.split(name))
    if found := find(name) + find(spelled):
        what = describe({f.kind for f in found})
        msg = (f"« {name} » contient ce qui ressemble à {what} : un compte ne porte pas le nom d'une personne."
               " Nommez le poste ou le service (par exemple « pm-ville-1 », « bailleur-nord »).")  # fmt: skip
        raise InvalidInputError(msg)
    return name
