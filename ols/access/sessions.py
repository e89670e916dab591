"""Web sessions: a signed, expiring session id in the cookie, revocable on the server.

The cookie never holds the user's token: it holds a random session id and its HMAC under the
service's secret (``OLS_SECRET_KEY``); the database keeps only the id's SHA-256, its user and its
expiry. Logging out, or disabling the user, deletes the session: a copied cookie stops working.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from datetime import UTC, datetime, timedelta

from sqlalchemy import Connection, delete, insert

from ols.access.users import Principal, session_owner
from ols.store.models import UserSession

SESSION_HOURS = 12


def _signature(session_id: str, key: str) -> str:
    digest = hmac.new(key.encode(), session_id.encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).decode().rstrip("=")


def _digest(session_id: str) -> str:
    return hashlib.sha256(session_id.encode()).hexdigest()


def _verified_id(cookie: str, key: str) -> str | None:
    session_id, _, signature = cookie.partition(".")
    if not session_id or not hmac.compare_digest(signature.encode(), _signature(session_id, key).encode()):
        return None
    return session_id


def open_session(connection: Connection, user: Principal, *, key: str, hours: int = SESSION_HOURS) -> str:
    """Record a session for the user; return the cookie value (``<id>.<signature>``)."""
    session_id = secrets.token_urlsafe(32)
    connection.execute(insert(UserSession).values(
        id_sha256=_digest(session_id), user_id=user.id, expires_at=datetime.now(UTC) + timedelta(hours=hours),
    ))  # fmt: skip
    return f"{session_id}.{_signature(session_id, key)}"


def session_user(connection: Connection, cookie: str, *, key: str) -> Principal | None:
    """The user of a valid, unexpired, unrevoked session whose user is still enabled; None otherwise."""
    session_id = _verified_id(cookie, key)
    if session_id is None:
        return None
    return session_owner(connection, _digest(session_id), datetime.now(UTC))


def close_session(connection: Connection, cookie: str, *, key: str) -> None:
    """Revoke a session (logout): its cookie, even copied, no longer opens anything."""
    if (session_id := _verified_id(cookie, key)) is not None:
        connection.execute(delete(UserSession).where(UserSession.id_sha256 == _digest(session_id)))
