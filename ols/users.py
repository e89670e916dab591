"""API users: a role, a territory scope, an optional partner source, and a token stored hashed.

A token is ``ols_<prefix>_<secret>``: the prefix finds the user, the secret is checked against
its argon2 hash; the token itself is printed once, when the user is created, and never stored.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field

from argon2 import PasswordHasher
from argon2.exceptions import VerificationError
from sqlalchemy import Connection, delete, insert, select, update

from ols.errors import InvalidInputError
from ols.models import ROLES, User

HASHER = PasswordHasher()


@dataclass(frozen=True)
class Principal:
    """Who is calling: name, role, territories they may see (empty: all), their own source."""

    name: str
    role: str
    territories: tuple[str, ...] = ()
    source_code: str | None = None
    extra: dict[str, str] = field(default_factory=dict)


def create_user(
    connection: Connection, name: str, *, role: str, territories: list[str] | None = None, source: str | None = None
) -> str:
    """Create a user and return its token (shown once, stored only as an argon2 hash)."""
    if role not in ROLES:
        msg = f"unknown role {role!r} (roles: {', '.join(ROLES)})"
        raise InvalidInputError(msg)
    if role == "partner" and not source:
        msg = "a partner user needs --source (the partner whose raw events it may see)"
        raise InvalidInputError(msg)
    prefix = secrets.token_hex(6)
    secret = secrets.token_urlsafe(32)
    connection.execute(insert(User).values(
        name=name, role=role, territories=territories or [], source_code=source, token_prefix=prefix,
        token_hash=HASHER.hash(secret),
    ))  # fmt: skip
    return f"ols_{prefix}_{secret}"


def authenticate(connection: Connection, token: str) -> Principal | None:
    """The principal of a valid token, None otherwise (unknown, malformed, disabled or wrong)."""
    parts = token.split("_", 2)
    if len(parts) != 3 or parts[0] != "ols":
        return None
    row = connection.execute(select(User.__table__).where(User.token_prefix == parts[1])).one_or_none()
    if row is None or row.disabled:
        return None
    try:
        HASHER.verify(row.token_hash, parts[2])
    except VerificationError:
        return None
    return Principal(name=row.name, role=row.role, territories=tuple(row.territories), source_code=row.source_code)


def disable_user(connection: Connection, name: str) -> bool:
    """Disable a user (its token stops working); True if it existed."""
    result = connection.execute(update(User).where(User.name == name).values(disabled=True))
    return bool(result.rowcount)


DEMO_USERS = {
    "coordinator": ("demo-coordonnateur", None),
    "police": ("demo-police-municipale", None),
    "partner": ("demo-bailleur", "bailleur-demo"),
    "elu": ("demo-elu", None),
    "public": ("demo-public", None),
}


def reset_demo_users(connection: Connection) -> dict[str, tuple[str, str]]:
    """Recreate one demo user per role; role → (name, token). Only for the demo territory."""
    connection.execute(delete(User).where(User.name.in_([name for name, _ in DEMO_USERS.values()])))
    return {role: (name, create_user(connection, name, role=role, source=source))
            for role, (name, source) in DEMO_USERS.items()}  # fmt: skip
