"""OLS domain errors mapped to HTTP statuses, in one place, and the database's failures answered in French.

A database that cannot be reached (down, restarting, its connections exhausted) is a 503 with
``Retry-After``, not a 500: the service recovers by itself when the database is back (the pools
check a connection before lending it), and the client is told to come back. A query cancelled
for its time budget is a 503 too. A refused value is a 422.
"""

from __future__ import annotations

import logging

import psycopg
from fastapi import FastAPI, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy.exc import DataError, DBAPIError, InterfaceError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout

from api.work import Busy, ClientGone
from ols.errors import ClusterError, ConfigurationError, InvalidInputError, NotFoundError, UnsupportedHolidayError
from ols.phrases import describe

log = logging.getLogger("ols.api")
STATUS = {
    NotFoundError: 404,
    InvalidInputError: 422,
    UnsupportedHolidayError: 422,
    PermissionError: 403,
    ConfigurationError: 503,
    ClusterError: 503,
}
DATABASE_FAILURES = (OperationalError, InterfaceError, PoolTimeout, psycopg.OperationalError, psycopg.InterfaceError)
CLIENT_CLOSED = 499  # nginx's "client closed request": nobody reads it, the access log does
QUERY_CANCELED = "57014"
UNAVAILABLE = "la base de données est indisponible : réessayez dans quelques instants"
TOO_LONG = "l'analyse a dépassé le temps alloué : réessayez dans un moment ou restreignez la demande"


def _retry_after(request: Request) -> dict[str, str]:
    return {"Retry-After": str(request.app.state.load.retry_after_s)}


def _sqlstate(error: Exception) -> str | None:
    original = error.orig if isinstance(error, DBAPIError) else error
    return getattr(original, "sqlstate", None)


async def _refused(request: Request, error: Exception) -> JSONResponse:
    detail = "une valeur a été refusée par la base de données (texte ou nombre invalide)"
    return JSONResponse({"detail": detail}, status_code=422)


async def _malformed(request: Request, error: Exception) -> JSONResponse:
    """A request FastAPI refuses (a missing field, a period of the wrong form): one French sentence."""
    assert isinstance(error, RequestValidationError)
    return JSONResponse({"detail": f"requête invalide : {describe(error.errors())}"}, status_code=422)


async def unavailable(request: Request, error: Exception) -> JSONResponse:
    """The database is down, or cancelled the request's query: a French 503 with ``Retry-After``."""
    if _sqlstate(error) == QUERY_CANCELED:
        return JSONResponse({"detail": TOO_LONG}, status_code=503, headers=_retry_after(request))
    log.warning("base de données indisponible : %s", type(error).__name__)
    return JSONResponse({"detail": UNAVAILABLE}, status_code=503, headers=_retry_after(request))


async def _busy(request: Request, error: Exception) -> JSONResponse:
    assert isinstance(error, Busy)
    return JSONResponse({"detail": error.detail}, status_code=503, headers={"Retry-After": str(error.retry_after)})


async def _gone(request: Request, error: Exception) -> Response:
    return Response(status_code=CLIENT_CLOSED)


def install(app: FastAPI) -> None:
    """Register one handler per domain error class, and the database's and the request checks' failures."""
    app.add_exception_handler(DataError, _refused)
    app.add_exception_handler(RequestValidationError, _malformed)
    for failure in DATABASE_FAILURES:
        app.add_exception_handler(failure, unavailable)
    app.add_exception_handler(Busy, _busy)
    app.add_exception_handler(ClientGone, _gone)
    for error_class, status in STATUS.items():

        async def handler(request: Request, error: Exception, status: int = status) -> JSONResponse:
            return JSONResponse({"detail": str(error)}, status_code=status)

        app.add_exception_handler(error_class, handler)
