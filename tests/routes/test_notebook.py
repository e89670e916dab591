"""The coordinator's semester-review notebook runs from top to bottom on the demo database."""

from __future__ import annotations

import os
from pathlib import Path

import nbformat
from nbclient import NotebookClient
from sqlalchemy import Engine

NOTEBOOK = Path(__file__).resolve().parents[2] / "notebooks" / "revue_semestrielle.ipynb"


def test_notebook_executes(api_engine: Engine) -> None:
    notebook = nbformat.read(NOTEBOOK, as_version=4)
    os.environ["OLS_DATABASE_URL"] = api_engine.url.render_as_string(hide_password=False)
    try:
        NotebookClient(notebook, timeout=300, kernel_name="python3").execute()
    finally:
        del os.environ["OLS_DATABASE_URL"]
    outputs = [output for cell in notebook.cells if cell.cell_type == "code" for output in cell.outputs]
    assert not [output for output in outputs if output.output_type == "error"]
    text = " ".join(
        str(output.get("text", "")) + str(output.get("data", {}).get("text/plain", "")) for output in outputs
    )
    assert "zones de vigilance calculées" in text and "hot_" in text
    markdown = " ".join(str(output.get("data", {}).get("text/markdown", "")) for output in outputs)
    assert "Ce que ces chiffres ne disent pas" in markdown and "la réalité de la délinquance" in markdown
    assert "point chaud très marqué" in text and "sur 100 que ce regroupement soit dû au hasard" in text
