"""OLS domain errors mapped to HTTP statuses, in one place."""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from sqlalchemy.exc import DataError

from ols.errors import ClusterError, ConfigurationError, InvalidInputError, NotFoundError, UnsupportedHolidayError

STATUS = {
    NotFoundError: 404,
    InvalidInputError: 422,
    UnsupportedHolidayError: 422,
    PermissionError: 403,
    ConfigurationError: 503,
    ClusterError: 503,
}


def install(app: FastAPI) -> None:
    """Register one handler per domain error class, and turn values the database refuses into 422."""

    async def refused(request: Request, error: Exception) -> JSONResponse:
        return JSONResponse({"detail": "a value was refused by the database (invalid text or number)"}, status_code=422)

    app.add_exception_handler(DataError, refused)
    for error_class, status in STATUS.items():

        async def handler(request: Request, error: Exception, status: int = status) -> JSONResponse:
            return JSONResponse({"detail": str(error)}, status_code=status)

        app.add_exception_handler(error_class, handler)
