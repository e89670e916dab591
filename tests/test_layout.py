"""The layout tells the architecture: what each package may import, and how large its parts may grow.

Data flows one way (``etl/`` → PostGIS → ``ols/`` → ``api/`` → ``web/``, the ``cli/`` composing them): the
core never imports the layers above it, the API and the command line call the same services instead of
re-assembling a pipeline, and ``ols/``/``etl/`` log instead of printing. Read from the source (AST), so that
an import hidden inside a function counts too.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("ols", "etl", "api", "cli")
MAX_MODULE_LINES = 400
MAX_FUNCTION_LINES = 50
PATROL_INTERNALS = {"plan", "rotate", "save_plan", "from_observatory", "recent_visits"}


def _modules(*packages: str) -> Iterator[Path]:
    for package in packages:
        yield from sorted((ROOT / package).rglob("*.py"))


def _imports(path: Path) -> Iterator[tuple[str, set[str]]]:
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            yield from ((alias.name, set()) for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            yield node.module, {alias.name for alias in node.names}


def _is_migration(path: Path) -> bool:
    return "migrations" in path.relative_to(ROOT).parts


@pytest.mark.parametrize("path", list(_modules("ols")), ids=lambda p: str(p.relative_to(ROOT)))
def test_core_imports_no_outer_layer(path: Path) -> None:
    outer = {module for module, _ in _imports(path) if module.split(".")[0] in ("api", "etl", "cli", "fastapi")}
    assert not outer, f"{path.relative_to(ROOT)} imports {sorted(outer)}"


def test_every_subpackage_says_what_it_holds() -> None:
    for init in ROOT.joinpath("ols").rglob("__init__.py"):
        if _is_migration(init):
            continue
        docstring = ast.get_docstring(ast.parse(init.read_text(encoding="utf-8")))
        assert docstring and len(docstring) > 120, f"{init.relative_to(ROOT)} needs a paragraph saying what it holds"


def test_api_and_cli_plan_patrols_through_the_one_service() -> None:
    for path in _modules("api", "cli"):
        for module, names in _imports(path):
            if module.startswith("ols.patrols"):
                assert not names & PATROL_INTERNALS, f"{path.relative_to(ROOT)} re-assembles the patrol pipeline"


def test_core_and_etl_log_instead_of_printing() -> None:
    for path in _modules("ols", "etl"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        calls = [node for node in ast.walk(tree) if isinstance(node, ast.Call)
                 and isinstance(node.func, ast.Name) and node.func.id == "print"]  # fmt: skip
        assert not calls, f"{path.relative_to(ROOT)} prints (line {calls[0].lineno}); use logging"


def test_modules_and_functions_stay_small() -> None:
    too_long = []
    for path in _modules(*PACKAGES):
        if _is_migration(path):
            continue
        source = path.read_text(encoding="utf-8")
        if source.count("\n") > MAX_MODULE_LINES:
            too_long.append(f"{path.relative_to(ROOT)}: {source.count(chr(10))} lines")
        for node in ast.walk(ast.parse(source)):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                length = (node.end_lineno or node.lineno) - node.lineno + 1
                if length > MAX_FUNCTION_LINES:
                    too_long.append(f"{path.relative_to(ROOT)}:{node.lineno} {node.name}: {length} lines")
    assert not too_long, "\n".join(too_long)


def test_the_image_holds_every_package() -> None:
    """The Docker image copies each top-level package (the CLI's move out of ``ols/`` once left it behind)."""
    dockerfile = (ROOT / "Dockerfile").read_text(encoding="utf-8")
    missing = [package for package in (*PACKAGES, "web") if f"COPY {package} {package}" not in dockerfile]
    assert not missing, f"Dockerfile does not copy {missing}"
