"""Users, for the coordinator: list, create (the token shown once), scope, disable.

A user's name is an account (« pm-ville-1 »), never a person's: a name the nominative-data detectors
of :mod:`etl.privacy` read as a first name and surname, an e-mail or a phone number is refused.
Disabling a user takes effect at the next request: its sessions are closed, its token's cache entry
dropped, and every request reads the user again anyway (:mod:`api.deps`). Every change is audited.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, HTTPException, Request
from pydantic import BaseModel, Field

from api.deps import CurrentManager, EngineDep
from api.schemas import ERRORS
from etl.privacy.accounts import account_name
from ols.access import audit
from ols.access.users import create_user, list_users, update_user

router = APIRouter(responses=ERRORS)
TOKEN_WARNING = ("Copiez ce jeton maintenant : il ne sera plus jamais affiché (seule son empreinte est conservée). "
                 "Transmettez-le à son titulaire par un canal sûr ; perdu, il faut créer un autre compte.")  # fmt: skip


class NewUser(BaseModel):
    """A user to create: an account name, a role, a scope (empty: the whole observatory) and a partner's source."""

    name: str = Field(min_length=2, max_length=64)
    role: str = Field(max_length=16)
    territories: list[str] = Field(default_factory=list, max_length=100)
    sectors: list[str] = Field(default_factory=list, max_length=500)
    source: str | None = Field(None, max_length=64)


class UserChange(BaseModel):
    """What changes for a user: disabled or enabled again, and/or a new scope."""

    disabled: bool | None = None
    territories: list[str] | None = Field(None, max_length=100)
    sectors: list[str] | None = Field(None, max_length=500)


@router.get("/users")
def users(engine: EngineDep, _: CurrentManager) -> list[dict[str, Any]]:
    """Every user: name, role, scope, source, creation date and state (never a token)."""
    with engine.connect() as connection:
        return list_users(connection)


@router.post("/users", status_code=201)
def create(engine: EngineDep, audience: CurrentManager, user: NewUser) -> dict[str, Any]:
    """Create a user; its token is in this answer only (``warning`` says so in French)."""
    with engine.begin() as connection:
        token = create_user(connection, account_name(user.name), role=user.role, territories=user.territories,
                            source=user.source or None, sectors=user.sectors)  # fmt: skip
        audit.record(connection, user=audience.name, role=audience.role, action="create", resource="users",
                     parameters=user.model_dump())  # fmt: skip
    return {"name": user.name, "token": token, "warning": TOKEN_WARNING}


@router.patch("/users/{user_id}")
def change(
    engine: EngineDep, request: Request, audience: CurrentManager, user_id: int, body: UserChange
) -> dict[str, Any]:
    """Disable, enable or scope a user; disabling takes effect at its next request."""
    with engine.begin() as connection:
        own = any(row["id"] == user_id and row["name"] == audience.name for row in list_users(connection))
        if body.disabled and own:
            raise HTTPException(status_code=422, detail="vous ne pouvez pas désactiver votre propre compte")
        name = update_user(connection, user_id, disabled=body.disabled, territories=body.territories,
                           sectors=body.sectors)  # fmt: skip
        action = "disable" if body.disabled else "enable" if body.disabled is False else "scope"
        audit.record(connection, user=audience.name, role=audience.role, action=action, resource="users",
                     parameters={"name": name, **body.model_dump(exclude_none=True)})  # fmt: skip
    if body.disabled:
        cache: dict[str, tuple[float, int]] = request.app.state.token_cache
        for key in [key for key, (_, owner) in list(cache.items()) if owner == user_id]:  # written by other threads
            cache.pop(key, None)
    return {"id": user_id, "name": name}
