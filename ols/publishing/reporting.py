"""One report made for one reader, the way ``ols report`` and the workspace (as a background job) both ask for it:
the period checked for its kind, the commune or sector checked against the reader's area, the files written, the
export audited."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import Connection

from ols.access import audit
from ols.access.audience import Audience
from ols.errors import InvalidInputError
from ols.periods import parse_period
from ols.publishing.reports import BUILDERS, write_report
from ols.reference.areas import Area

KINDS = {"weekly": ("week",), "monthly": ("month",), "annual": ("year", "ytd")}


def check_asked(kind: str, period: str) -> None:
    """Refuse (in French) a report kind OLS does not write, or a period not of its kind (a month for a bilan
    mensuel…), before any work starts."""
    if kind not in BUILDERS:
        raise InvalidInputError(f"rapport inconnu « {kind} » : weekly, monthly ou annual")
    if parse_period(period).kind not in KINDS[kind]:
        raise InvalidInputError(f"un rapport {kind} porte sur une période de type {KINDS[kind][0]}, pas « {period} »")


def make_report(connection: Connection, kind: str, period: str, audience: Audience, out: Path, *,
                commune: str | None = None, sector: str | None = None) -> list[Path]:  # fmt: skip
    """Write the ``kind`` report of ``period`` for ``audience`` (of one commune or sector when asked) into ``out``,
    audited as an export; its files (HTML, PDF, XLSX, CSV)."""
    check_asked(kind, period)
    area = audience.check_area(connection, Area.parse(connection, commune, sector))
    files = write_report(connection, kind, period, audience, out, area=area)
    audit.record(connection, user=audience.name, role=audience.role.value, action="export",
                 resource=f"report-{kind}", parameters={"period": period, "territories": list(audience.territories),
                                                        "commune": commune, "sector": sector})  # fmt: skip
    return files
