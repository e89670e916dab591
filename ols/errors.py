"""Domain errors of OLS.

Each error also inherits a builtin so that callers who do not know OLS can still catch it
(``except ValueError``); the API maps them to HTTP statuses in one place.
"""


class OLSError(Exception):
    """Base class of every error OLS raises on purpose."""


class ConfigurationError(OLSError, RuntimeError):
    """The installation or the settings do not allow the operation (missing binaries, bad URL)."""


class ClusterError(OLSError, RuntimeError):
    """The embedded PostgreSQL cluster could not be created, started or stopped."""


class NotFoundError(OLSError, LookupError):
    """A named object (source, territory, batch, mapping) does not exist."""


class InvalidInputError(OLSError, ValueError):
    """User-supplied input (a file, a boundary, an option) is not acceptable as it is."""


class UnsupportedHolidayError(OLSError, LookupError):
    """The school-holiday calendar does not cover a date that was asked about."""
