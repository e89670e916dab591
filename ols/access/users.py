"""Users: a role, a scope of territories and sectors, an optional partner source, and a token stored hashed.

A token is ``ols_<prefix>_<secret>``: the prefix finds the user, the secret is checked against
its argon2 hash; the token itself is printed once, when the user is created, and never stored.
Checking a token costs one argon2 verification whether its prefix exists or not, so that the
answer's timing does not tell a valid prefix from an unknown one.
"""

from __future__ import annotations

import logging
import secrets
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import Connection, Row, Select, bindparam, delete, insert, select, update

from ols.access.roles import Role, parse_role
from ols.errors import InvalidInputError, NotFoundError
from ols.store.models import Sector, Source, Territory, User, UserSession

logger = logging.getLogger(__name__)

HASHER = PasswordHasher()


@dataclass(frozen=True)
class Principal:
    """Who is calling: a user's id, name, role, territories and sectors (both empty: all) and own source."""

    id: int
    name: str
    role: Role
    territories: tuple[str, ...] = ()
    source_code: str | None = None
    sectors: tuple[str, ...] = ()


@cache
def _decoy() -> str:
    """An argon2 hash that no token matches, verified when a token names no usable user."""
    return HASHER.hash(secrets.token_urlsafe(32))


def _check_scope(connection: Connection, territories: list[str], sectors: list[str], source: str | None) -> None:
    known = set(connection.execute(select(Territory.code).where(Territory.code.in_(territories))).scalars())
    if missing := [code for code in territories if code not in known]:
        msg = f"territoire inconnu : {', '.join(missing)} (chargez-le d'abord : ols territory load)"
        raise InvalidInputError(msg)
    communes = dict(connection.execute(
        select(Sector.code, Territory.code).join(Territory, Territory.id == Sector.territory_id)
        .where(Sector.code.in_(sectors))
    ).all())  # fmt: skip
    if missing := [code for code in sectors if code not in communes]:
        msg = f"secteur inconnu : {', '.join(missing)} (voyez les secteurs avec « ols territory list »)"
        raise InvalidInputError(msg)
    if inside := [code for code in sectors if communes[code] in territories]:
        msg = f"secteur déjà compris dans un territoire donné : {', '.join(inside)} (donnez l'un ou l'autre)"
        raise InvalidInputError(msg)
    if source and connection.execute(select(Source.id).where(Source.code == source)).scalar() is None:
        msg = f"source inconnue « {source} » : voyez les sources avec « ols sources list »"
        raise InvalidInputError(msg)


def create_user(
    connection: Connection,
    name: str,
    *,
    role: str,
    territories: list[str] | None = None,
    source: str | None = None,
    sectors: list[str] | None = None,
) -> str:
    """Create a user and return its token (shown once, stored only as an argon2 hash).

    ``territories`` and ``sectors`` (codes) are what it sees, all of the observatory when both are empty.
    """
    kind = parse_role(role)
    if kind is Role.PARTNER and not source:
        msg = "un utilisateur partenaire demande --source (le partenaire dont il peut voir les faits bruts)"
        raise InvalidInputError(msg)
    _check_scope(connection, territories or [], sectors or [], source)
    prefix = secrets.token_hex(6)
    secret = secrets.token_urlsafe(32)
    connection.execute(insert(User).values(
        name=name, role=kind.value, territories=territories or [], sectors=sectors or [], source_code=source,
        token_prefix=prefix,
        token_hash=HASHER.hash(secret),
    ))  # fmt: skip
    logger.info("utilisateur %s créé (rôle %s)", name, kind.value)
    return f"ols_{prefix}_{secret}"


def _principal(row: Row[Any]) -> Principal:
    return Principal(id=row.id, name=row.name, role=Role(row.role), territories=tuple(row.territories),
                     source_code=row.source_code, sectors=tuple(row.sectors))  # fmt: skip


def authenticate(connection: Connection, token: str) -> Principal | None:
    """The principal of a valid token, None otherwise (unknown, malformed, disabled or wrong)."""
    parts = token.split("_", 2)
    row = None
    if len(parts) == 3 and parts[0] == "ols":
        row = connection.execute(
            select(User.__table__).where(User.token_prefix == parts[1], User.disabled.is_(False))
        ).one_or_none()
    try:
        HASHER.verify(row.token_hash if row is not None else _decoy(), parts[-1])
    except (VerificationError, InvalidHashError):
        return None
    return _principal(row) if row is not None else None


def active_user(connection: Connection, user_id: int) -> Principal | None:
    """The user with this id, unless it was disabled (checked on every request)."""
    row = connection.execute(select(User.__table__).where(User.id == user_id, User.disabled.is_(False))).one_or_none()
    return _principal(row) if row is not None else None


@cache
def _session_owner_query() -> Select[Any]:
    """Built once: it runs on every request of a web session."""
    return (
        select(User.__table__)
        .join(UserSession, UserSession.user_id == User.id)
        .where(UserSession.id_sha256 == bindparam("sha"))
        .where(UserSession.expires_at > bindparam("now"), User.disabled.is_(False))
    )


def session_owner(connection: Connection, session_sha256: str, now: datetime) -> Principal | None:
    """The enabled user of an unexpired session, in one query (read on every request of a web session)."""
    row = connection.execute(_session_owner_query(), {"sha": session_sha256, "now": now}).one_or_none()
    return _principal(row) if row is not None else None


def active_users(connection: Connection, *, limit: int) -> list[Principal]:
    """Up to ``limit`` enabled users, oldest first (the API warms its cache for their audiences)."""
    rows = connection.execute(
        select(User.__table__).where(User.disabled.is_(False)).order_by(User.id).limit(limit)
    ).all()
    return [_principal(row) for row in rows]


def coordinator(connection: Connection) -> str | None:
    """The name of the observatory's coordinator (its oldest enabled coordinator account), None when it has none:
    who an export made at the command line is published by, rather than the server's login."""
    return connection.execute(
        select(User.name)
        .where(User.role == Role.COORDINATOR.value, User.disabled.is_(False))
        .order_by(User.id)
        .limit(1)
    ).scalar()


def disable_user(connection: Connection, name: str) -> bool:
    """Disable a user: its token and its open sessions stop working at once; True if it existed."""
    found = connection.execute(update(User).where(User.name == name).values(disabled=True).returning(User.id)).all()
    for (user_id,) in found:
        connection.execute(delete(UserSession).where(UserSession.user_id == user_id))
    if found:
        logger.info("utilisateur %s désactivé, ses sessions fermées", name)
    return bool(found)


def list_users(connection: Connection) -> list[dict[str, Any]]:
    """Every user, oldest first: name, role, scope, source, creation and whether it is disabled (never a token)."""
    rows = connection.execute(
        select(User.id, User.name, User.role, User.territories, User.sectors, User.source_code, User.created_at,
               User.disabled).order_by(User.id)
    ).all()  # fmt: skip
    return [dict(row._mapping) for row in rows]


def update_user(
    connection: Connection,
    user_id: int,
    *,
    disabled: bool | None = None,
    territories: list[str] | None = None,
    sectors: list[str] | None = None,
) -> str:
    """Disable (or enable) a user, or give it a new scope; its name. Disabling closes its sessions at once."""
    row = connection.execute(select(User.name, User.source_code).where(User.id == user_id)).one_or_none()
    if row is None:
        raise NotFoundError(f"pas d'utilisateur n° {user_id}")
    values: dict[str, Any] = {}
    if territories is not None or sectors is not None:
        _check_scope(connection, territories or [], sectors or [], None)
        values.update(territories=territories or [], sectors=sectors or [])
    if disabled is not None:
        values["disabled"] = disabled
    if values:
        connection.execute(update(User).where(User.id == user_id).values(**values))
    if disabled:
        connection.execute(delete(UserSession).where(UserSession.user_id == user_id))
        logger.info("utilisateur %s désactivé, ses sessions fermées", row.name)
    return str(row.name)


DEMO_USERS = {
    Role.COORDINATOR: ("demo-coordonnateur", None),
    Role.POLICE: ("demo-police-municipale", None),
    Role.PARTNER: ("demo-bailleur", "bailleur-demo"),
    Role.ELU: ("demo-elu", None),
    Role.PUBLIC: ("demo-public", None),
}


def reset_demo_users(connection: Connection) -> dict[Role, tuple[str, str]]:
    """Recreate one demo user per role; role → (name, token). Only for the demo territory."""
    connection.execute(delete(User).where(User.name.in_([name for name, _ in DEMO_USERS.values()])))
    return {role: (name, create_user(connection, name, role=role.value, source=source))
            for role, (name, source) in DEMO_USERS.items()}  # fmt: skip
