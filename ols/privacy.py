"""Who may see what, and small-count suppression for everyone below the police.

The roles of a CLSPD do not share the same rights (charte déontologique, CNIL guidance):

- coordinator: everything, and manages users;
- police (PN/PM): raw events, points de deal, every layer;
- partner: aggregates and zones; raw events of its own source only;
- elu and public: aggregates at H3 resolution 8 or coarser, with small counts suppressed; no
  points de deal, no raw events (public: no zones either).

Aggregates sent to roles below the police have counts from 1 to ``threshold - 1`` replaced by
"< threshold" (police.uk and the ONS treat such counts as disclosive), and never include the
sensitive categories (trafic, points de deal signalés). This module is the one place that says so.
"""

from __future__ import annotations

from typing import Any

from ols.nomenclature import CATEGORY_BY_CODE

FULL_ACCESS = ("coordinator", "police")
SENSITIVE_CATEGORIES = tuple(code for code, category in CATEGORY_BY_CODE.items() if category.sensitive)
COARSE_ROLES = ("elu", "public")
COARSEST_RESOLUTION_FOR_COARSE_ROLES = 8


def sees_raw_events(role: str) -> bool:
    """Roles that may read raw events (partners: of their own source only)."""
    return role in (*FULL_ACCESS, "partner")


def sees_deal_points(role: str) -> bool:
    """Points de deal: police roles and the coordinator only."""
    return role in FULL_ACCESS


def sees_zones(role: str) -> bool:
    """Vigilance zones: everyone but the public."""
    return role != "public"


def manages(role: str) -> bool:
    """Users, declared zones, ingestion and refresh: the coordinator."""
    return role == "coordinator"


def suppressed(role: str) -> bool:
    """Whether aggregates sent to this role get small-count suppression."""
    return role not in FULL_ACCESS


def allowed_resolution(role: str, resolution: int) -> bool:
    """Elus and the public only get coarse grids (resolution 8 or coarser)."""
    return role not in COARSE_ROLES or resolution <= COARSEST_RESOLUTION_FOR_COARSE_ROLES


def excluded_categories(role: str) -> tuple[str, ...]:
    """Categories left out of the aggregates a role receives."""
    return () if role in FULL_ACCESS else SENSITIVE_CATEGORIES


def suppress_count(count: int, threshold: int) -> dict[str, Any]:
    """``{"count": n, "count_label": "n"}``, or a null count labelled ``"< threshold"`` when 0 < n < threshold."""
    if 0 < count < threshold:
        return {"count": None, "count_label": f"< {threshold}", "suppressed": True}
    return {"count": count, "count_label": str(count), "suppressed": False}


def suppress_table(rows: list[dict[str, Any]], columns: list[str], threshold: int) -> list[dict[str, Any]]:
    """Suppress small counts in the named columns of table rows (None for a suppressed cell)."""
    out = []
    for row in rows:
        copy = dict(row)
        for column in columns:
            value = copy.get(column)
            if isinstance(value, int) and 0 < value < threshold:
                copy[column] = None
        out.append(copy)
    return out
