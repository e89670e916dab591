"""The mapping assistant's API: the known mappings, a suggestion from a file's header, a draft tried on a sample, saved.

Every call is the coordinator's (``Layer.MANAGE``). A sample file comes with each call that reads
it (the assistant keeps no upload between calls); a draft is the assistant's form as JSON
(:func:`etl.trial.to_mapping` says its fields). A saved mapping is a YAML file of
``OLS_MAPPINGS_DIR`` that the ingest (API and ``ols ingest --mapping``) reads by its name; the save
is audited.
"""

from __future__ import annotations

import json
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, File, Form, HTTPException, UploadFile

from api.deps import CurrentManager, EngineDep, SettingsDep
from api.routers.admin import CHUNK, upload_name
from api.schemas import ERRORS
from etl.assistant import read_sample
from etl.mapping import builtin_mappings, known_mappings, load_mapping
from etl.trial import save, suggest, trial
from ols.access import audit
from ols.errors import InvalidInputError
from ols.nomenclature import CATEGORIES, FAMILIES
from ols.settings import ApiSettings, ingest_limits

router = APIRouter(responses=ERRORS)
SampleFile = Annotated[UploadFile, File(description="A sample of the partner's file (CSV or XLSX)")]
DraftForm = Annotated[str, Form(max_length=200_000, description="The assistant's draft mapping, as JSON")]


@contextmanager
def received(file: UploadFile, settings: ApiSettings) -> Iterator[Path]:
    """The upload written to a temporary file under a harmless name, within ``OLS_MAX_UPLOAD_MB`` (413 beyond)."""
    limit = settings.max_upload_mb * CHUNK
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / upload_name(file.filename)
        size = 0
        with path.open("wb") as handle:
            while block := file.file.read(CHUNK):
                size += len(block)
                if size > limit:
                    detail = f"fichier de plus de {settings.max_upload_mb} Mo (OLS_MAX_UPLOAD_MB) : découpez-le"
                    raise HTTPException(status_code=413, detail=detail)
                handle.write(block)
        yield path


def _draft(text: str) -> dict[str, Any]:
    try:
        value = json.loads(text)
    except json.JSONDecodeError:
        value = None
    if not isinstance(value, dict):
        raise InvalidInputError("correspondance illisible : le brouillon doit être un objet JSON")
    return value


@router.get("/mappings")
def mappings(settings: SettingsDep, _: CurrentManager) -> dict[str, Any]:
    """The known mappings (shipped, then own) and the nomenclature's categories a label may be mapped to."""
    shipped = builtin_mappings()
    listed = [{"name": name, "description": load_mapping(path).description, "own": name not in shipped}
              for name, path in sorted(known_mappings(settings.mappings_dir).items())]  # fmt: skip
    families = {family.code: family.label for family in FAMILIES}
    categories = [{"code": c.code, "label": c.label, "family": families[c.family]} for c in CATEGORIES]
    return {"mappings": listed, "categories": categories}


@router.post("/mappings/suggest")
def suggest_mapping(settings: SettingsDep, _: CurrentManager, file: SampleFile) -> dict[str, Any]:
    """The best known mapping for the file's header (None when none has all its columns) and a draft for it."""
    with received(file, settings) as path:
        return suggest(path, ingest_limits(), settings.mappings_dir)


@router.post("/mappings/check")
def check_mapping(engine: EngineDep, settings: SettingsDep, _: CurrentManager, file: SampleFile,
                  draft: DraftForm) -> dict[str, Any]:  # fmt: skip
    """The sample read with the draft as the ingest would read it: labels, rows with their verdicts, counts."""
    with received(file, settings) as path, engine.connect() as connection:
        return trial(connection, path, _draft(draft), ingest_limits())


@router.post("/mappings", status_code=201)
def save_mapping(engine: EngineDep, settings: SettingsDep, audience: CurrentManager, file: SampleFile,
                 draft: DraftForm) -> dict[str, Any]:  # fmt: skip
    """Save the draft as the own mapping ``<name>.yaml`` (checked against its sample again); audited."""
    values = _draft(draft)
    with received(file, settings) as path:
        written = save(settings.mappings_dir, values, sample=read_sample(path, ingest_limits()))
    with engine.begin() as connection:
        audit.record(connection, user=audience.name, role=audience.role, action="save", resource="mappings",
                     parameters={"name": written.stem, "categories": len(values.get("categories") or {})})  # fmt: skip
    return {"name": written.stem, "file": written.name}
