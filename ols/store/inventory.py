"""Every embedded cluster of the machine: whose it is, whether that observatory still exists, its size.

As root, each ``OLS_HOME`` ever started has its cluster under :data:`~ols.store.cluster.ROOT_CLUSTERS`,
and deleting the ``OLS_HOME`` folder leaves it there, facts included. This inventory lets
``ols db status --all`` show them all and ``ols db destroy --orphan`` remove one whose
observatory is gone, never one that an existing ``OLS_HOME`` still names as its own.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Literal

from ols.errors import InvalidInputError, NotFoundError
from ols.settings import DatabaseSettings
from ols.store.cluster import ROOT_CLUSTERS, Cluster, Status, home_digest

Standing = Literal["owned", "orphan", "unknown"]
CLUSTER_ID = re.compile(r"[0-9a-f]{12}")


@dataclass(frozen=True)
class ClusterEntry:
    """One cluster as ``ols db status --all`` shows it.

    ``standing`` is ``owned`` when its ``OLS_HOME`` exists and names it, ``orphan`` when that
    folder is gone or was recreated since, ``unknown`` for a cluster made before the ownership
    markers whose ``OLS_HOME`` cannot be told.
    """

    cluster: Cluster
    home: Path | None
    home_exists: bool
    standing: Standing
    status: Status
    size: int

    @property
    def id(self) -> str:
        """The name of its data directory, what ``ols db destroy --orphan`` takes."""
        return self.cluster.datadir.name

    def as_dict(self) -> dict[str, Any]:
        """The entry as JSON-ready values."""
        return {
            "id": self.id,
            "datadir": str(self.cluster.datadir),
            "home": str(self.home) if self.home else None,
            "home_exists": self.home_exists,
            "standing": self.standing,
            "status": self.status,
            "size": self.size,
        }


def describe(cluster: Cluster, current_home: Path | None = None) -> ClusterEntry:
    """Whose ``cluster`` is and in what state; ``current_home`` names a pre-marker cluster that hashes from it."""
    owner = cluster.owner()
    home = owner.home if owner else None
    if home is None and current_home is not None and cluster.datadir.name == home_digest(current_home):
        home = current_home
    if home is None:
        standing: Standing = "unknown"
    else:
        standing = "owned" if home.is_dir() and cluster.belongs_to(home) else "orphan"
    return ClusterEntry(
        cluster=cluster,
        home=home,
        home_exists=home is not None and home.is_dir(),
        standing=standing,
        status=cluster.status(),
        size=cluster.disk_usage(),
    )


def every_cluster(settings: DatabaseSettings) -> list[ClusterEntry]:
    """Every cluster of the machine (as root) or this user's only one (kept inside ``OLS_HOME``)."""
    home = settings.home.expanduser().resolve()
    current = Cluster.from_settings(settings)
    if current.run_as is None:
        return [describe(current, home)] if current.datadir.is_dir() else []
    folders = sorted(path for path in ROOT_CLUSTERS.iterdir() if path.is_dir()) if ROOT_CLUSTERS.is_dir() else []
    return [describe(replace(current, datadir=folder), home) for folder in folders]


def find_orphan(settings: DatabaseSettings, cluster_id: str, *, force: bool = False) -> ClusterEntry:
    """The cluster ``cluster_id`` if no existing ``OLS_HOME`` names it as its own, else an error saying whose it is.

    A running cluster made before the ownership markers may well be some observatory's live
    database: it is given only with ``force``.
    """
    if not CLUSTER_ID.fullmatch(cluster_id):
        msg = f"« {cluster_id} » n'est pas un identifiant de cluster (12 chiffres hexadécimaux : ols db status --all)"
        raise InvalidInputError(msg)
    current = Cluster.from_settings(settings)
    if current.run_as is None:
        msg = "hors du compte root, chaque base vit dans son OLS_HOME et disparaît avec lui : il n'y a pas d'orphelin"
        raise InvalidInputError(msg)
    datadir = ROOT_CLUSTERS / cluster_id
    if not datadir.is_dir():
        msg = f"aucun cluster {cluster_id} sous {ROOT_CLUSTERS} (voir ols db status --all)"
        raise NotFoundError(msg)
    entry = describe(replace(current, datadir=datadir), settings.home.expanduser().resolve())
    if entry.standing == "owned":
        msg = (
            f"le cluster {cluster_id} appartient à {entry.home}, qui existe et le désigne encore : ce n'est pas un "
            f"orphelin. Pour supprimer cet observatoire : OLS_HOME={entry.home} ols db destroy"
        )
        raise InvalidInputError(msg)
    if entry.standing == "unknown" and entry.status == "running" and not force:
        msg = (
            f"le cluster {cluster_id} tourne et ne dit pas à quel OLS_HOME il appartient : il sert peut-être "
            "encore. Lancez ols db start avec son OLS_HOME pour le rattacher, ou relancez avec --force pour "
            "l'effacer malgré tout"
        )
        raise InvalidInputError(msg)
    return entry
