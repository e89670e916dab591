"""Patrol planning for the police municipale: where to go, in which order, how long, on which streets.

For a weekday and time window, candidate places are scored from the facts of that window (hot
cells), near-repeat burglary risk, declared vigilance zones and sensitive places at their sensitive
hours, or taken from a file the user supplies. Stops are drawn with randomness (seed) in
proportion to their score, kept apart so teams do not overlap, and the places visited in the last
plans weigh less (rotation: the same blocks are not patrolled every night). Each team's visiting
order is solved as a TSP on shortest street paths (OR-Tools), with 10–16 minute stops (Koper
curve), within the shift, returning to the start. Every stop says why it was chosen. Without a
street network the plan uses straight lines and says so.
"""

from __future__ import annotations

import itertools
import math
import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import networkx as nx
import numpy as np
from ortools.constraint_solver import pywrapcp, routing_enums_pb2
from pyproj import Geod
from scipy.spatial import cKDTree
from shapely.geometry import LineString

from ols.errors import InvalidInputError
from ols.reference.streets import MODES

GEOD = Geod(ellps="WGS84")
WEEKDAYS = {"lun": 0, "mar": 1, "mer": 2, "jeu": 3, "ven": 4, "sam": 5, "dim": 6}
WINDOW = re.compile(
    r"^(lun|mar|mer|jeu|ven|sam|dim)\w*\s+(\d{1,2})[:h](\d{2})\s*-\s*(\d{1,2})[:h](\d{2})$", re.IGNORECASE
)
DWELL_RANGE = (10, 16)
ROTATION_DECAY = 0.5
MIN_SPACING_M = 150.0
STRAIGHT_LINE_NOTE = "itinéraire à vol d'oiseau : aucun réseau de rues chargé"


@dataclass(frozen=True)
class Window:
    """A weekday and a time window (the shift)."""

    weekday: int
    start: tuple[int, int]
    end: tuple[int, int]
    text: str

    @property
    def minutes(self) -> int:
        """Length of the shift in minutes (a window past midnight wraps)."""
        start, end = self.start[0] * 60 + self.start[1], self.end[0] * 60 + self.end[1]
        return (end - start) % (24 * 60) or 24 * 60

    def hours(self) -> set[int]:
        """The clock hours the window touches."""
        return {(self.start[0] + h) % 24 for h in range(math.ceil(self.minutes / 60))}


def parse_window(text_value: str) -> Window:
    """``"ven 18:00-23:00"`` → a window (clear error otherwise)."""
    match = WINDOW.match(text_value.strip())
    if match is None:
        msg = f"créneau illisible « {text_value} » : écrivez-le comme « ven 18:00-23:00 » (lun mar mer jeu ven sam dim)"
        raise InvalidInputError(msg)
    day, h1, m1, h2, m2 = match.groups()
    return Window(WEEKDAYS[day.lower()[:3]], (int(h1), int(m1)), (int(h2), int(m2)), text_value.strip())


@dataclass
class Candidate:
    """A place worth a stop, with its score and the reason shown to the team."""

    key: str
    lon: float
    lat: float
    weight: float
    reason: str


@dataclass
class Stop:
    """A planned stop."""

    candidate: Candidate
    node: int | None
    team: int = 0
    position: int = 0
    arrival: str = ""
    dwell_min: int = 0


@dataclass
class TeamRoute:
    """One team's route: ordered stops, the street path between them, its length and duration."""

    team: int
    stops: list[Stop]
    nodes: list[int]
    line: LineString
    distance_m: float
    duration_min: float


@dataclass
class Plan:
    """A whole plan, with what the outputs need to explain it."""

    window: Window
    mode: str
    start: tuple[float, float]
    routes: list[TeamRoute]
    straight_line: bool
    notes: list[str] = field(default_factory=list)

    def share_by(self, label_of: Any) -> dict[str, float]:
        """Share of the stop time spent in each area (label_of maps a candidate to an area name)."""
        totals: dict[str, float] = {}
        for route in self.routes:
            for stop in route.stops:
                area = label_of(stop.candidate)
                totals[area] = totals.get(area, 0) + stop.dwell_min
        whole = sum(totals.values()) or 1
        return {area: round(minutes / whole, 3) for area, minutes in sorted(totals.items())}


def rotate(candidates: list[Candidate], recent_visits: dict[str, int]) -> list[Candidate]:
    """Lower the score of places visited in the last plans (halved for each visit)."""
    for candidate in candidates:
        visits = recent_visits.get(candidate.key, 0)
        if visits:
            candidate.weight *= ROTATION_DECAY**visits
            candidate.reason += f" (poids réduit : visité {visits} fois récemment)"
    return candidates


def _metres(a: tuple[float, float], b: tuple[float, float]) -> float:
    return float(GEOD.inv(a[0], a[1], b[0], b[1])[2])


def choose(candidates: list[Candidate], count: int, rng: np.random.Generator) -> list[Candidate]:
    """Draw ``count`` candidates in proportion to their score, at least 150 m apart."""
    pool = [c for c in candidates if c.weight > 0]
    chosen: list[Candidate] = []
    while pool and len(chosen) < count:
        weights = np.array([c.weight for c in pool], dtype=float)
        pick = pool.pop(int(rng.choice(len(pool), p=weights / weights.sum())))
        if all(_metres((pick.lon, pick.lat), (c.lon, c.lat)) >= MIN_SPACING_M for c in chosen):
            chosen.append(pick)
    return chosen


def split_teams(stops: list[Candidate], teams: int, start: tuple[float, float]) -> list[list[Candidate]]:
    """Sectors around the start, one per team, so that teams do not cross each other's ground."""
    ordered = sorted(stops, key=lambda c: math.atan2(c.lat - start[1], c.lon - start[0]))
    size = math.ceil(len(ordered) / teams) if ordered else 0
    return [ordered[i * size : (i + 1) * size] for i in range(teams)]


class Network:
    """Shortest paths on a street graph, or straight lines when there is none."""

    def __init__(self, graph: nx.DiGraph | None, mode: str) -> None:
        self.graph = graph
        self.speed = MODES[mode] * 1000 / 60  # metres per minute
        if graph is not None:
            self.nodes = list(graph.nodes)
            self.tree = cKDTree(np.array([graph.nodes[n]["xy"] for n in self.nodes]) * [math.cos(math.radians(48)), 1])

    def snap(self, lon: float, lat: float) -> int | None:
        """Nearest node of the network's largest strongly connected part."""
        if self.graph is None:
            return None
        _, index = self.tree.query([lon * math.cos(math.radians(48)), lat], k=8)
        candidates = [self.nodes[i] for i in np.atleast_1d(index)]
        found: int = next((n for n in candidates if n in self.core), candidates[0])
        return found

    def prepare(self) -> None:
        """Keep to the part of the graph where every node can reach every other."""
        if self.graph is not None:
            parts: list[set[int]] = list(nx.strongly_connected_components(self.graph))
            self.core = max(parts, key=len)

    def distances(self, points: list[tuple[float, float]], nodes: list[int | None]) -> np.ndarray:
        """Travel distances in metres between all points (street paths or straight lines)."""
        size = len(points)
        matrix = np.zeros((size, size))
        for i in range(size):
            if self.graph is None:
                matrix[i] = [_metres(points[i], points[j]) for j in range(size)]
                continue
            lengths = nx.single_source_dijkstra_path_length(self.graph, nodes[i], weight="length")
            matrix[i] = [lengths.get(nodes[j], 1e9) for j in range(size)]
        return matrix

    def path(
        self, a: int | None, b: int | None, pa: tuple[float, float], pb: tuple[float, float]
    ) -> tuple[list[int], list[tuple[float, float]]]:
        """Nodes and coordinates of the shortest path from a to b."""
        if self.graph is None or a is None or b is None:
            return [], [pa, pb]
        nodes = nx.shortest_path(self.graph, a, b, weight="length")
        coords: list[tuple[float, float]] = [self.graph.nodes[nodes[0]]["xy"]]
        for u, v in itertools.pairwise(nodes):
            coords += list(self.graph[u][v]["geom"].coords)[1:]
        return nodes, coords


def solve_order(matrix: np.ndarray, *, seconds: float = 1.0) -> list[int]:
    """A round trip from index 0 through every other index (OR-Tools TSP, guided local search)."""
    size = len(matrix)
    if size <= 2:
        return list(range(size))
    manager = pywrapcp.RoutingIndexManager(size, 1, 0)
    routing = pywrapcp.RoutingModel(manager)
    costs = np.rint(matrix).astype(int).tolist()
    callback = routing.RegisterTransitCallback(lambda i, j: costs[manager.IndexToNode(i)][manager.IndexToNode(j)])
    routing.SetArcCostEvaluatorOfAllVehicles(callback)
    parameters = pywrapcp.DefaultRoutingSearchParameters()
    parameters.first_solution_strategy = routing_enums_pb2.FirstSolutionStrategy.PATH_CHEAPEST_ARC
    parameters.local_search_metaheuristic = routing_enums_pb2.LocalSearchMetaheuristic.GUIDED_LOCAL_SEARCH
    parameters.time_limit.FromMilliseconds(int(seconds * 1000))
    solution = routing.SolveWithParameters(parameters)
    order, index = [], routing.Start(0)
    while not routing.IsEnd(index):
        order.append(manager.IndexToNode(index))
        index = solution.Value(routing.NextVar(index))
    return order


def dwell_minutes(rng: np.random.Generator, mean: int) -> int:
    """A stop length around ``mean``, randomised and kept within 10–16 minutes (Koper curve)."""
    return int(np.clip(mean + rng.integers(-3, 4), DWELL_RANGE[0], DWELL_RANGE[1]))


def _route_team(
    network: Network, team: int, start: tuple[float, float], members: list[Candidate], window: Window,
    rng: np.random.Generator, dwell_mean: int,
) -> TeamRoute:  # fmt: skip
    start_node = network.snap(*start)
    stops = [Stop(c, network.snap(c.lon, c.lat), team=team) for c in members]
    while True:
        points = [start] + [(s.candidate.lon, s.candidate.lat) for s in stops]
        nodes = [start_node] + [s.node for s in stops]
        matrix = network.distances(points, nodes)
        order = solve_order(matrix, seconds=0.2)
        if len(order) > 2 and rng.random() < 0.5:
            order = [order[0], *order[:0:-1]]  # the same loop the other way round: no fixed rounds
        dwell = [dwell_minutes(rng, dwell_mean) for _ in stops]
        travel = sum(matrix[a][b] for a, b in zip(order, [*order[1:], 0], strict=True)) / network.speed
        if travel + sum(dwell) <= window.minutes or not stops:
            break
        stops.remove(min(stops, key=lambda s: s.candidate.weight))
    clock = datetime(2000, 1, 1, *window.start)
    path_nodes: list[int] = []
    coords: list[tuple[float, float]] = []
    sequence = [*order[1:], 0]
    previous = 0
    visited = []
    for step, index in enumerate(sequence):
        leg_nodes, leg_coords = network.path(nodes[previous], nodes[index], points[previous], points[index])
        path_nodes += leg_nodes if not path_nodes else leg_nodes[1:]
        coords += leg_coords if not coords else leg_coords[1:]
        clock += timedelta(minutes=matrix[previous][index] / network.speed)
        if index != 0:
            stop = stops[index - 1]
            stop.position, stop.arrival, stop.dwell_min = step + 1, f"{clock:%H:%M}", dwell[index - 1]
            clock += timedelta(minutes=stop.dwell_min)
            visited.append(stop)
        previous = index
    distance = float(sum(matrix[a][b] for a, b in zip(order, sequence, strict=True)))
    line = LineString(coords if len(coords) > 1 else [points[0], points[0]])
    duration = distance / network.speed + sum(s.dwell_min for s in visited)
    return TeamRoute(team, visited, path_nodes, line, distance, duration)


@dataclass(frozen=True)
class Shift:
    """What the police municipale asks for: when, how many teams, how they move, from where, how many stops."""

    window: Window
    teams: int
    mode: str
    start: tuple[float, float]
    stops: int
    dwell: int = 12
    seed: int | None = None


def plan(candidates: list[Candidate], shift: Shift, graph: nx.DiGraph | None) -> Plan:
    """Choose, share out and route the stops of a shift."""
    window, teams, mode, start, stops, seed, dwell = (shift.window, shift.teams, shift.mode, shift.start, shift.stops,
                                                      shift.seed, shift.dwell)  # fmt: skip
    if teams < 1 or stops < 1:
        msg = "il faut au moins une équipe et un arrêt par équipe"
        raise InvalidInputError(msg)
    rng = np.random.default_rng(seed)
    network = Network(graph, mode)
    network.prepare()
    chosen = choose(candidates, stops * teams, rng)
    routes = [_route_team(network, team + 1, start, members, window, rng, dwell)
              for team, members in enumerate(split_teams(chosen, teams, start))]  # fmt: skip
    notes = [STRAIGHT_LINE_NOTE] if graph is None else []
    if len(chosen) < stops * teams:
        notes.append(
            f"{len(chosen)} lieux retenus sur {stops * teams} demandés (candidats trop proches ou trop peu nombreux)"
        )
    return Plan(window, mode, start, routes, graph is None, notes)
