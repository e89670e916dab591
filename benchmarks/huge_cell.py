"""Peak memory of ingesting a CSV that holds one huge cell, under the file size limit.

A partner CSV of five police_uk rows, one of whose labels is ``--mb`` megabytes of one letter (the
file stays under ``OLS_MAX_FILE_MB``), is ingested by ``etl.ingest.ingest_file`` in a child
process, on a fresh database of the configured server (or the embedded cluster), dropped at exit.
The child reports its resident memory (``resource.getrusage``, its peak reset on Linux) once
imported and connected, then its peak after the ingest, and what became of the file; the
difference is what the huge cell cost.
Usage: ``.venv/bin/python benchmarks/huge_cell.py [--mb 150]``.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import uuid
from pathlib import Path

from shapely.geometry import MultiPolygon, box
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from ols.reference.territories import Boundary, save_territory
from ols.store import db

ROOT = Path(__file__).resolve().parents[1]
HEADER = "Crime ID,Month,Reported by,Falls within,Longitude,Latitude,Location,LSOA code,LSOA name,Crime type,"
HEADER += "Last outcome category,Context\n"
CHILD = """
import json, resource, sys, time
from pathlib import Path
from sqlalchemy import create_engine, text
from etl.ingest import ingest_file
from etl.mapping import load_mapping
from ols.errors import InvalidInputError

engine = create_engine(sys.argv[1])
with engine.connect() as connection:
    connection.execute(text("SELECT 1"))
mapping = load_mapping("police_uk")
try:
    with open("/proc/self/clear_refs", "w") as marks:
        marks.write("5")  # Linux: the peak of the imports forgotten, the ingest's own is measured
except OSError:
    pass
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
started = time.perf_counter()
try:
    outcome = ingest_file(engine, Path(sys.argv[2]), source_code="police-uk", mapping=mapping).as_dict()
except InvalidInputError as error:
    outcome = {"refused": str(error)[:300]}
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print(json.dumps({"before_mb": before / 1024, "peak_mb": peak / 1024, "seconds": time.perf_counter() - started,
                  "outcome": outcome}))
"""


def write_file(path: Path, megabytes: int) -> None:
    """Five police_uk rows in Mons-en-Barœul, the third labelled with ``megabytes`` MB of "V"."""
    with path.open("w", encoding="utf-8") as handle:
        handle.write(HEADER)
        for index in range(5):
            label = "Burglary"
            if index == 2:
                handle.write(f"HC-{index},2024-01,Test,Test,3.11,50.64,On or near Rue Test,E01,Mons 001,")
                block = "V" * (1 << 20)
                for _ in range(megabytes):
                    handle.write(block)
                handle.write(",Under investigation,\n")
                continue
            handle.write(f"HC-{index},2024-01,Test,Test,3.11,50.64,On or near Rue Test,E01,Mons 001,{label},"
                         "Under investigation,\n")  # fmt: skip


def fresh_database(server: str) -> tuple[str, str]:
    """A new migrated database with a territory around the rows; its URL and name."""
    name = f"ols_bench_{uuid.uuid4().hex[:8]}"
    admin = create_engine(make_url(server).set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f"CREATE DATABASE {name}"))
    admin.dispose()
    url = make_url(server).set(database=name).render_as_string(hide_password=False)
    engine = create_engine(url)
    with engine.begin() as connection:
        connection.execute(text("CREATE EXTENSION IF NOT EXISTS postgis"))
    db.migrate(url)
    with engine.begin() as connection:
        save_territory(connection, code="T", name="T", boundary=Boundary(MultiPolygon([box(3.0, 50.5, 3.2, 50.7)])),
                       source="bench")  # fmt: skip
    engine.dispose()
    return url, name


def drop_database(server: str, name: str) -> None:
    """Remove the benchmark's database."""
    admin = create_engine(make_url(server).set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
    admin.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--mb", type=int, default=150)
    args = parser.parse_args()
    server = db.database_url()
    url, name = fresh_database(server)
    try:
        with tempfile.TemporaryDirectory() as folder:
            path = Path(folder) / "huge_cell.csv"
            write_file(path, args.mb)
            env = dict(os.environ, PYTHONPATH=str(ROOT))
            child = subprocess.run([sys.executable, "-c", CHILD, url, str(path)], env=env, capture_output=True,
                                   text=True, check=True)  # fmt: skip
            result = json.loads(child.stdout.splitlines()[-1])
            size = path.stat().st_size / (1 << 20)
    finally:
        drop_database(server, name)
    print(f"file: {size:.0f} MB, one cell of {args.mb} MB")
    print(f"peak RSS: {result['before_mb']:.0f} MB before the ingest, {result['peak_mb']:.0f} MB after "
          f"(+{result['peak_mb'] - result['before_mb']:.0f} MB), {result['seconds']:.1f} s")  # fmt: skip
    print(f"outcome: {json.dumps(result['outcome'], ensure_ascii=False)}")


if __name__ == "__main__":
    main()
