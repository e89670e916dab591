"""Patrol benchmark: 2 teams × 10 stops on the Maisons-Laffitte graph and on the Montréal island network.

Times the plan (scoring input given, street graph built: shortest paths, OR-Tools order, routes),
and separately the import of each street file. Usage: ``.venv/bin/python benchmarks/patrol.py``.
"""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np

from ols.patrols.planning import Candidate, Shift, parse_window, plan
from ols.reference.streets import graph_of, read_edges
from ols.settings import data_settings

NETWORKS = {
    "Maisons-Laffitte (974 nodes)": ("street_network/maisons_laffitte_osmnx.graphml", None, 1.0),
    "Montréal island (16,188 segments)": ("street_network/montreal_spnetwork/networks.gpkg", "main_network_mtl", 5.0),
}


def main() -> None:
    for name, (relative, layer, target) in NETWORKS.items():
        path = Path(data_settings().shared_data) / relative
        started = time.perf_counter()
        edges = read_edges(path, layer=layer)
        graph = graph_of(edges, "vehicule")
        loaded = time.perf_counter() - started
        nodes = list(graph.nodes)
        rng = np.random.default_rng(1)
        picks = rng.choice(len(nodes), 80, replace=False)
        candidates = [Candidate(f"c{i}", *graph.nodes[nodes[p]]["xy"], float(rng.uniform(1, 10)), "bench")
                      for i, p in enumerate(picks)]  # fmt: skip
        centre = tuple(np.mean([graph.nodes[nodes[p]]["xy"] for p in picks], axis=0))
        started = time.perf_counter()
        result = plan(candidates, Shift(parse_window("ven 18:00-23:59"), 2, "vehicule", centre, 10, seed=3), graph)
        planned = time.perf_counter() - started
        stops = [len(route.stops) for route in result.routes]
        print(
            f"{name}: plan 2 teams x 10 stops {planned:.2f} s (target <= {target:.0f} s), stops {stops}; "
            f"import + graph {loaded:.2f} s"
        )


if __name__ == "__main__":
    main()
