"""The mapping assistant's draft tried on its sample file, as the ingest would read it, then saved as a mapping YAML.

The draft (the assistant's form: columns for the reference, label, date, time and location, the CRS,
the label → category table) becomes a :class:`etl.mapping.Mapping` — the same model, so the same
checks, as a YAML file — and the sample is read, screened and validated by the ingest's own steps
(:func:`etl.readers.read_file`, :func:`etl.privacy.screen.screen`, :func:`etl.validate.validate_chunks`)
on the database's territories, places and addresses, nothing stored. A draft that reads a column
naming or holding personal data is refused with the reason. A saved mapping is a YAML file of
``OLS_MAPPINGS_DIR``: ``ols ingest --mapping <name>`` and the API's ingest read it like a shipped one.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any

import pandas as pd
import yaml
from pydantic import ValidationError
from sqlalchemy import Connection

from etl.assistant import Sample, draft_of, read_sample
from etl.context import load_context
from etl.mapping import OWN_NAME, Mapping, builtin_mappings, known_mappings, load_mapping
from etl.privacy.headers import nominative_header
from etl.privacy.screen import screen
from etl.readers import read_file
from etl.sniff import file_name
from etl.validate import validate_chunks
from etl.verdicts import REASONS
from ols.errors import InvalidInputError
from ols.names import name_key
from ols.phrases import describe
from ols.settings import IngestLimits

SHOWN_ROWS = 200
LOCATION_FIELDS = {"lonlat": ("lon", "lat"), "xy": ("x", "y"), "address": ("address",), "place": ("place",)}


def _location(draft: dict[str, Any]) -> dict[str, Any]:
    kind = draft.get("location_type") or "lonlat"
    location: dict[str, Any] = {"type": kind}
    for key in LOCATION_FIELDS.get(kind, ()):
        location[key] = draft.get(key) or None
    if kind in ("lonlat", "xy"):
        location["crs"] = draft.get("crs") or "EPSG:4326"
    if kind == "address":
        location["precision"] = "address"
    return location


def to_mapping(draft: dict[str, Any]) -> Mapping:
    """The draft as a mapping (the model of the YAML files), or InvalidInputError saying in French what is missing."""
    data: dict[str, Any] = {
        "name": draft.get("name") or "brouillon",
        "description": draft.get("description") or "",
        "format": draft.get("format") or "csv",
        "ref": draft.get("ref") or None,
        "label": draft.get("label"),
        "date": {"column": draft.get("date_column"), "formats": draft.get("date_formats") or ["%d/%m/%Y"]},
        "location": _location(draft),
        "attributes": list(draft.get("attributes") or []),
        "categories": {label: code for label, code in (draft.get("categories") or {}).items() if code},
    }
    if draft.get("time_column"):
        data["date"]["time_column"] = draft["time_column"]
    if data["format"] == "csv":
        data["csv"] = {"delimiter": draft.get("delimiter") or ";", "encoding": draft.get("encoding") or "utf-8"}
    try:
        return Mapping.model_validate(data)
    except ValidationError as error:
        raise InvalidInputError(f"correspondance incomplète : {describe(error.errors())}") from None


def refuse_nominative(sample: Sample, mapping: Mapping) -> None:
    """InvalidInputError naming each column the mapping reads that names or holds personal data, with why."""
    used = set(mapping.used_columns())
    refused = [f"« {column.name} » ({column.nominative})" for column in sample.columns
               if column.name in used and column.nominative]  # fmt: skip
    if refused:
        msg = (f"colonnes refusées, données nominatives interdites dans l'observatoire : {', '.join(refused)}. "
               "Choisissez d'autres colonnes.")  # fmt: skip
        raise InvalidInputError(msg)


def labels(sample: Sample, mapping: Mapping) -> list[dict[str, Any]]:
    """Every distinct label of the sample, most frequent first, with its rows and its category (None: unknown)."""
    table = mapping.label_table()
    counts = Counter(value.strip() for value in sample.frame[mapping.label].astype(str) if value.strip())
    return [{"label": label, "rows": count, "category": table.get(name_key(label))}
            for label, count in counts.most_common()]  # fmt: skip


def _row(line: Any, row: Any, label: str, timezone: str) -> dict[str, Any]:
    """One checked row for the page: its verdict and, when accepted, its local moment and place."""
    ok = pd.isna(row.reason)
    moment = pd.Timestamp(int(row.occurred_epoch), unit="s", tz="UTC").tz_convert(timezone).isoformat() if ok else None
    category = None if pd.isna(row.category) else row.category
    return {"line": int(line), "ok": bool(ok), "label": label, "category": category,
            "occurred_at": moment, "lon": float(row.lon) if ok else None, "lat": float(row.lat) if ok else None,
            "reason": None if ok else row.reason, "message": None if ok else row.message}  # fmt: skip


def trial(connection: Connection, path: Path, draft: dict[str, Any], limits: IngestLimits) -> dict[str, Any]:
    """The sample read with the draft as the ingest would: its labels, its first rows with their verdicts, counts."""
    sample = read_sample(path, limits)
    mapping = to_mapping(draft)
    refuse_nominative(sample, mapping)
    table = read_file(path, mapping, limits)
    screening = screen(file_name(path), table, mapping)
    context = load_context(connection, screening.mapping, limits)
    checked = validate_chunks([screening.table], screening.mapping, context)
    rows = pd.concat([screening.verdicts(validated, 0) for _, validated in checked])
    texts = screening.table.frame[mapping.label].astype(str).str.strip().to_numpy()
    first = rows.head(SHOWN_ROWS)
    shown = [_row(row.line, row, texts[index], context.timezone) for index, row in enumerate(first.itertuples())]
    reasons = Counter(reason for reason in rows["reason"] if isinstance(reason, str))
    return {"sample": sample.as_dict(), "labels": labels(sample, mapping), "rows": shown,
            "counts": {"read": len(rows), "accepted": len(rows) - sum(reasons.values()),
                       "rejected": {REASONS.get(reason, reason): count for reason, count in reasons.items()}},
            "refused_columns": {c.name: c.nominative for c in sample.columns if c.nominative},
            "ingest_refuses_file": [c.name for c in sample.columns if nominative_header(c.name)]}  # fmt: skip


def save(folder: Path, draft: dict[str, Any], *, sample: Sample | None = None) -> Path:
    """Write the draft as ``<folder>/<name>.yaml`` (a shipped name refused, an own one replaced); its path."""
    mapping = to_mapping(draft)
    if not OWN_NAME.match(mapping.name):
        msg = f"nom de correspondance invalide « {mapping.name} » : lettres minuscules, chiffres, - et _ (64 au plus)"
        raise InvalidInputError(msg)
    if mapping.name in builtin_mappings():
        raise InvalidInputError(f"« {mapping.name} » est le nom d'une correspondance livrée : choisissez-en un autre")
    if sample is not None:
        refuse_nominative(sample, mapping)
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{mapping.name}.yaml"
    text = yaml.safe_dump(mapping.model_dump(mode="json", exclude_defaults=True), allow_unicode=True, sort_keys=False)
    path.write_text(f"# Correspondance faite dans l'assistant de l'espace de travail (/correspondances).\n{text}",
                    encoding="utf-8")  # fmt: skip
    load_mapping(path)  # the file reads back as the ingest will read it
    return path


def _fit(header: set[str], mapping: Mapping) -> tuple[int, list[str]]:
    keys = {name_key(name) for name in header}
    used = mapping.used_columns()
    missing = [column for column in used if column not in header and name_key(column) not in keys]
    return len(used) - len(missing), missing


def suggest(path: Path, limits: IngestLimits, folder: Path) -> dict[str, Any]:
    """The known mappings ranked by how many of their columns the sample has, the best complete one, and a draft."""
    sample = read_sample(path, limits)
    header = {column.name for column in sample.columns}
    own = set(known_mappings(folder)) - set(builtin_mappings())
    candidates: list[dict[str, Any]] = []
    for name, mapping_path in sorted(known_mappings(folder).items()):
        mapping = load_mapping(mapping_path)
        matched, missing = _fit(header, mapping)
        candidates.append({"name": name, "description": mapping.description, "own": name in own,
                           "format": mapping.format, "matched": matched, "needed": matched + len(missing),
                           "missing": missing})  # fmt: skip
    candidates.sort(key=lambda item: (len(item["missing"]), -int(item["matched"])))
    complete = [item for item in candidates if not item["missing"] and item["format"] == sample.format]
    return {"sample": sample.as_dict(), "best": complete[0] if complete else None, "candidates": candidates[:5],
            "draft": draft_of(sample)}  # fmt: skip
