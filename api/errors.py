"""OLS domain errors mapped to HTTP statuses, in one place."""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy.exc import DataError

from ols.errors import ClusterError, ConfigurationError, InvalidInputError, NotFoundError, UnsupportedHolidayError
from ols.phrases import describe

STATUS = {
    NotFoundError: 404,
    InvalidInputError: 422,
    UnsupportedHolidayError: 422,
    PermissionError: 403,
    ConfigurationError: 503,
    ClusterError: 503,
}


def install(app: FastAPI) -> None:
    """Register one handler per domain error class, and turn values the database refuses into 422.

    A request FastAPI refuses (a missing field, a period of the wrong form) gets a French ``detail``
    too, in one sentence like every other error, rather than pydantic's English list.
    """

    async def refused(request: Request, error: Exception) -> JSONResponse:
        detail = "une valeur a été refusée par la base de données (texte ou nombre invalide)"
        return JSONResponse({"detail": detail}, status_code=422)

    async def malformed(request: Request, error: Exception) -> JSONResponse:
        assert isinstance(error, RequestValidationError)
        return JSONResponse({"detail": f"requête invalide : {describe(error.errors())}"}, status_code=422)

    app.add_exception_handler(DataError, refused)
    app.add_exception_handler(RequestValidationError, malformed)
    for error_class, status in STATUS.items():

        async def handler(request: Request, error: Exception, status: int = status) -> JSONResponse:
            return JSONResponse({"detail": str(error)}, status_code=status)

        app.add_exception_handler(error_class, handler)
