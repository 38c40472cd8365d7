"""Routing over a truck road graph: snapping, many-to-many matrices and route geometry.

:class:`RoadNetwork` turns an osmnx-compatible ``MultiDiGraph`` into two compressed sparse
row (CSR) matrices, one for ``length`` (m) and one for ``travel_time`` (s), built once.
Parallel edges keep the **minimum** weight of each kind (``networkx.to_scipy_sparse_array``
on a multigraph would *sum* them). Many-to-many matrices then come from one
:func:`scipy.sparse.csgraph.dijkstra` call per weight (run in forked processes side by side
for large jobs), and route geometry from the predecessor tree of a single-source call.
Sites snap to their nearest node through a k-d tree on geocentric unit vectors, exact for a
network of any extent.
"""

from __future__ import annotations

import contextlib
import logging
import math
import mmap
import os
import signal
import sys
import threading
from collections.abc import Hashable, Iterable, Sequence
from typing import Any

import networkx as nx
import numpy as np
import pandas as pd
from scipy.sparse import csr_array
from scipy.sparse.csgraph import dijkstra
from scipy.spatial import cKDTree
from shapely import LineString

from clusterloc.errors import InputError, NetworkError, SnapError
from clusterloc.network.dropped import explain_far_site

__all__ = [
    "DEFAULT_MAX_SNAP_M",
    "EARTH_RADIUS_M",
    "PARALLEL_MIN_ENTRIES",
    "WEIGHTS",
    "RoadNetwork",
    "available_cpus",
    "idle_cpus",
]

log = logging.getLogger(__name__)

#: Mean Earth radius (m), the one osmnx uses for great-circle edge lengths.
EARTH_RADIUS_M = 6_371_009.0

#: Snap limit used when neither the call nor the settings give one (m).
DEFAULT_MAX_SNAP_M = 20_000.0

WEIGHTS = ("length", "travel_time")

#: Matrices with fewer entries than this (per weight) are solved in this process alone.
PARALLEL_MIN_ENTRIES = 4_000_000

_MAX_LISTED = 10


def _unit_vectors(lon: np.ndarray, lat: np.ndarray) -> np.ndarray:
    """Geocentric unit vectors (n × 3) of lon/lat points on a sphere."""
    lon_r = np.radians(lon)
    lat_r = np.radians(lat)
    cos_lat = np.cos(lat_r)
    return np.column_stack([cos_lat * np.cos(lon_r), cos_lat * np.sin(lon_r), np.sin(lat_r)])


def _chord_to_metres(chord: np.ndarray) -> np.ndarray:
    """Great-circle distance (m) from the chord length between unit vectors."""
    return 2.0 * EARTH_RADIUS_M * np.arcsin(np.clip(chord / 2.0, 0.0, 1.0))


def available_cpus() -> int:
    """CPUs this process may run on.

    Returns
    -------
    int
    """
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - not Linux
        return os.cpu_count() or 1


def idle_cpus() -> int:
    """CPUs free for matrix workers: available CPUs minus the 1-minute load of others.

    The load average counts this (running) process too, so one CPU is added back. On a
    machine busy with other jobs this gives 1, and matrices stay in one process: a second
    process then only competes for the same CPUs.

    Returns
    -------
    int
        At least 1.
    """
    n = available_cpus()
    try:
        load = os.getloadavg()[0]
    except (AttributeError, OSError):  # pragma: no cover - no load average on this platform
        return n
    return max(1, min(n, math.floor(n - load + 1.0)))


def _can_fork() -> bool:
    """Forking is used on Linux, and only from a single-threaded process.

    A fork copies one thread; a lock another thread held at that moment (a logging
    handler, a progress display) would stay locked in the child. The child only runs
    scipy/numpy and leaves with ``os._exit``, but a multi-threaded caller still gets the
    single-process path, to be safe.
    """
    return (
        sys.platform.startswith("linux") and hasattr(os, "fork") and threading.active_count() == 1
    )


def _format_distance(metres: float) -> str:
    if metres >= 1000.0:
        return f"{metres / 1000.0:.1f} km"
    return f"{metres:.0f} m"


def _format_limit(metres: float) -> str:
    if metres >= 1000.0:
        return f"{metres / 1000.0:g} km"
    return f"{metres:g} m"


class RoadNetwork:
    """A road graph prepared for fast snapping, matrices and routes.

    The CSR matrices (one per weight) and the snapping index are built once, in the
    constructor; every later call reuses them.

    Parameters
    ----------
    G
        osmnx-compatible ``networkx.MultiDiGraph``: node ``x``/``y`` in lon/lat, edge
        ``length`` (m) and ``travel_time`` (s); optional edge ``geometry`` (LineString).
        An edge without ``travel_time`` but with ``speed_kph`` gets
        ``length / speed_kph``.
    workers
        Processes :meth:`matrices` may use (default: the CPUs that are idle at the time of
        the call, see :func:`idle_cpus`); 1 keeps all work in this process.

    Raises
    ------
    NetworkError
        If the graph is empty, a node has no coordinates, or an edge has no usable
        ``length`` / ``travel_time`` (missing, negative or not a number).

    Examples
    --------
    >>> net = RoadNetwork(G)                                        # doctest: +SKIP
    >>> sites = net.snap([51.2, 76.9], [43.6, 43.2], names=["Aktau", "Almaty"])
    >>> km, hours = net.matrices(sites["node"], sites["node"])      # doctest: +SKIP
    """

    def __init__(self, G: nx.MultiDiGraph, workers: int | None = None) -> None:
        if G.number_of_nodes() == 0:
            raise NetworkError("the road graph has no nodes.")
        self.graph = G
        self.workers = workers
        self.nodes: np.ndarray = np.asarray(list(G.nodes))
        self._index = pd.Index(self.nodes)
        n = len(self.nodes)

        xy = np.empty((n, 2), dtype=float)
        for i, (node, data) in enumerate(G.nodes(data=True)):
            try:
                xy[i, 0] = data["x"]
                xy[i, 1] = data["y"]
            except KeyError:
                raise NetworkError(f"road graph node {node} has no x/y coordinates.") from None
        if not np.isfinite(xy).all():
            bad = self.nodes[~np.isfinite(xy).all(axis=1)][0]
            raise NetworkError(f"road graph node {bad} has non-numeric coordinates.")
        self.lon: np.ndarray = xy[:, 0]
        self.lat: np.ndarray = xy[:, 1]

        m = G.number_of_edges()
        u_idx = np.empty(m, dtype=np.int64)
        v_idx = np.empty(m, dtype=np.int64)
        weights = {w: np.empty(m, dtype=float) for w in WEIGHTS}
        self._edge_keys: list[tuple[Hashable, Hashable, Any]] = []
        pos = {node: i for i, node in enumerate(G.nodes)}
        for j, (u, v, k, data) in enumerate(G.edges(keys=True, data=True)):
            u_idx[j] = pos[u]
            v_idx[j] = pos[v]
            self._edge_keys.append((u, v, k))
            length = data.get("length")
            seconds = data.get("travel_time")
            if seconds is None and length is not None and data.get("speed_kph"):
                seconds = float(length) / (float(data["speed_kph"]) / 3.6)
            for name, value in (("length", length), ("travel_time", seconds)):
                try:
                    value = float(value)
                except (TypeError, ValueError):
                    raise NetworkError(
                        f"road graph edge ({u}, {v}, {k}) has no numeric '{name}'."
                    ) from None
                if not (value >= 0.0 and np.isfinite(value)):
                    raise NetworkError(
                        f"road graph edge ({u}, {v}, {k}) has an invalid '{name}' ({value})."
                    )
                weights[name][j] = value

        # Self-loops never lie on a shortest path with non-negative weights.
        keep = u_idx != v_idx
        self._csr: dict[str, csr_array] = {}
        self._csr_edge: dict[str, np.ndarray] = {}
        for name in WEIGHTS:
            self._csr[name], self._csr_edge[name] = _min_weight_csr(
                u_idx[keep], v_idx[keep], weights[name][keep], np.flatnonzero(keep), n
            )
        self._tree: cKDTree | None = None
        log.debug(
            "RoadNetwork: %d nodes, %d edges, %d arcs after merging parallel edges",
            n,
            m,
            self._csr["length"].nnz,
        )

    # ------------------------------------------------------------------ basics
    def __len__(self) -> int:
        return len(self.nodes)

    def __repr__(self) -> str:
        return f"RoadNetwork({len(self.nodes)} nodes, {self._csr['length'].nnz} arcs)"

    def csr(self, weight: str = "length") -> csr_array:
        """The CSR matrix of one weight (``"length"`` in m or ``"travel_time"`` in s).

        Row/column ``i`` is node ``net.nodes[i]``; each arc holds the minimum weight over
        the parallel edges it stands for.

        Parameters
        ----------
        weight
            ``"length"`` or ``"travel_time"``.

        Returns
        -------
        scipy.sparse.csr_array
        """
        return self._csr[_check_weight(weight)]

    def indices(self, nodes: Iterable[Hashable]) -> np.ndarray:
        """Matrix indices of graph node ids.

        Parameters
        ----------
        nodes
            Graph node ids.

        Returns
        -------
        numpy.ndarray
            Row/column indices, in the order given.

        Raises
        ------
        InputError
            If a node id is not in the graph (the message names it).
        """
        values = np.asarray(list(nodes) if not isinstance(nodes, np.ndarray) else nodes)
        if values.ndim != 1:
            values = values.ravel()
        idx = np.asarray(self._index.get_indexer(values), dtype=np.int64)
        if (idx < 0).any():
            missing = values[idx < 0][0]
            raise InputError(f"node {missing} is not in the road graph.")
        return idx

    # ------------------------------------------------------------------ snapping
    def snap(
        self,
        lon: Sequence[float] | np.ndarray | pd.Series,
        lat: Sequence[float] | np.ndarray | pd.Series,
        names: Sequence[Any] | np.ndarray | pd.Series | None = None,
        max_snap_m: float | None = None,
    ) -> pd.DataFrame:
        """Snap lon/lat sites to their nearest road node (after :func:`attach_points`: the
        nearest point of the nearest road).

        Nearest nodes come from a k-d tree on geocentric unit vectors (x, y, z on the
        sphere): the straight-line (chord) distance in that Cartesian space grows
        monotonically with the great-circle distance, so the nearest node is exact for
        any extent - a whole country across several UTM zones, or across the antimeridian
        - with no choice of a local projection. ``snap_m`` is the great-circle distance
        on the same sphere osmnx uses for edge ``length``.

        Parameters
        ----------
        lon, lat
            Site coordinates in degrees (EPSG:4326), equal lengths.
        names
            Site names used in messages and in the ``name`` column (default ``"0"``,
            ``"1"``, ...).
        max_snap_m
            Largest allowed distance from a site to its node (m). Default: 20 km.

        Returns
        -------
        pandas.DataFrame
            One row per site: ``name``, ``node`` (graph node id), ``snap_m`` (m),
            ``lon``, ``lat`` (the site), ``node_lon``, ``node_lat``.

        Raises
        ------
        InputError
            If the coordinates are missing, not numbers or out of range (names the site).
        SnapError
            If any site lies farther than ``max_snap_m`` from every node; the message
            names each such site and its distance to the nearest road point, and, when a
            road dropped from the network (``G.graph["dropped_roads"]``) lies nearer, says
            so and how to keep it (:func:`clusterloc.network.dropped.explain_far_site`).
        """
        lon_a = np.asarray(lon, dtype=object)
        lat_a = np.asarray(lat, dtype=object)
        if lon_a.shape != lat_a.shape or lon_a.ndim != 1:
            raise InputError("snap: lon and lat must be two sequences of equal length.")
        label = (
            [str(i) for i in range(len(lon_a))]
            if names is None
            else [str(x) for x in np.asarray(names, dtype=object)]
        )
        if len(label) != len(lon_a):
            raise InputError("snap: names must have one entry per site.")
        lon_f = _coerce_coordinates(lon_a, label, "longitude", 180.0)
        lat_f = _coerce_coordinates(lat_a, label, "latitude", 90.0)
        limit = DEFAULT_MAX_SNAP_M if max_snap_m is None else float(max_snap_m)

        if self._tree is None:
            self._tree = cKDTree(_unit_vectors(self.lon, self.lat))
        if len(lon_f):
            chord, idx = self._tree.query(_unit_vectors(lon_f, lat_f))
            idx = np.asarray(idx, dtype=np.int64)
            snap_m = _chord_to_metres(np.asarray(chord, dtype=float))
        else:
            idx = np.zeros(0, dtype=np.int64)
            snap_m = np.zeros(0)

        far = np.flatnonzero(snap_m > limit)
        if len(far):
            parts = []
            for i in far[:_MAX_LISTED]:
                text = (
                    f"site '{label[i]}' is {_format_distance(float(snap_m[i]))} from the "
                    "nearest road point"
                )
                why = explain_far_site(self.graph, float(lon_f[i]), float(lat_f[i]), snap_m[i])
                parts.append(text if why is None else f"{text}: {why}")
            more = f" (and {len(far) - _MAX_LISTED} more)" if len(far) > _MAX_LISTED else ""
            raise SnapError(f"{'; '.join(parts)}{more} (limit {_format_limit(limit)}).")

        return pd.DataFrame(
            {
                "name": label,
                "node": self.nodes[idx],
                "snap_m": snap_m,
                "lon": lon_f,
                "lat": lat_f,
                "node_lon": self.lon[idx],
                "node_lat": self.lat[idx],
            }
        )

    # ------------------------------------------------------------------ matrices
    def matrices(
        self,
        origin_nodes: Iterable[Hashable],
        target_nodes: Iterable[Hashable],
        *,
        origin_names: Sequence[Any] | None = None,
        target_names: Sequence[Any] | None = None,
        warn: bool = True,
        workers: int | None = None,
    ) -> tuple[np.ndarray, np.ndarray]:
        """Shortest road distance (km) and travel time (h) from origins to targets.

        ``km`` and ``hours`` are each their own shortest path: the fastest route may be
        longer than the shortest one. Each is one :func:`scipy.sparse.csgraph.dijkstra`
        call over the distinct origins on the prebuilt CSR. For large jobs (at least
        ``PARALLEL_MIN_ENTRIES`` matrix entries per weight) on Linux, called from a
        single-threaded process, the calls run in forked worker processes - the two
        weights side by side, and the origins split further when more CPUs are free -
        writing straight into shared memory; the results are identical to the
        single-process ones.

        Parameters
        ----------
        origin_nodes, target_nodes
            Graph node ids (repeats allowed; each distinct origin is solved once).
        origin_names, target_names
            Optional names for the log message about unreachable pairs (default: the
            node ids). See :meth:`unreachable_pairs`.
        warn
            Log a warning naming the unreachable pairs (default True).
        workers
            Processes to use for this call (default: the network's ``workers``, else the
            idle CPUs by the 1-minute load average); 1 solves in this process.

        Returns
        -------
        km, hours
            Float arrays of shape ``(len(origins), len(targets))``; ``inf`` where the
            target cannot be reached.
        """
        o_idx = self.indices(origin_nodes)
        t_idx = self.indices(target_nodes)
        if len(o_idx) == 0 or len(t_idx) == 0:
            return np.zeros((len(o_idx), len(t_idx))), np.zeros((len(o_idx), len(t_idx)))
        uniq, inverse = np.unique(o_idx, return_inverse=True)
        repeated = len(uniq) != len(o_idx)
        if not repeated:  # keep the caller's order: no reordering copy afterwards
            uniq = o_idx
        all_targets = len(t_idx) == len(self.nodes) and np.array_equal(
            t_idx, np.arange(len(self.nodes))
        )
        cols = None if all_targets else t_idx

        n_workers = workers if workers is not None else self.workers
        n_workers = idle_cpus() if n_workers is None else max(1, int(n_workers))
        if n_workers > 1 and len(uniq) * len(t_idx) >= PARALLEL_MIN_ENTRIES and _can_fork():
            out = self._solve_forked(uniq, cols, len(t_idx), n_workers)
        else:
            out = {w: self._solve(w, uniq, cols) for w in WEIGHTS}
        km, hours = out["length"], out["travel_time"]
        if repeated:
            km, hours = km[inverse], hours[inverse]
        km /= 1000.0
        hours /= 3600.0

        n_bad = int(np.isinf(km).sum()) if warn else 0
        if n_bad:
            o_lab = self.nodes[o_idx] if origin_names is None else origin_names
            t_lab = self.nodes[t_idx] if target_names is None else target_names
            pairs = self.unreachable_pairs(km, o_lab, t_lab)
            shown = ", ".join(f"{a} → {b}" for a, b in pairs[:_MAX_LISTED])
            log.warning(
                "%d origin-target pair(s) have no road path: %s%s",
                n_bad,
                shown,
                " ..." if n_bad > _MAX_LISTED else "",
            )
        return km, hours

    def _solve(self, weight: str, rows: np.ndarray, cols: np.ndarray | None) -> np.ndarray:
        """Dijkstra from ``rows`` (matrix indices) to every node, or to ``cols`` only."""
        dist = np.atleast_2d(dijkstra(self._csr[weight], directed=True, indices=rows))
        if cols is not None:
            dist = dist[:, cols]
        return dist

    def _solve_forked(
        self, uniq: np.ndarray, cols: np.ndarray | None, n_cols: int, n_workers: int
    ) -> dict[str, np.ndarray]:
        """Split the Dijkstra calls over forked processes writing into shared memory."""
        chunks = np.array_split(np.arange(len(uniq)), max(1, math.ceil(n_workers / 2)))
        tasks = [(w, c[0], c[-1] + 1) for w in WEIGHTS for c in chunks if len(c)]
        out: dict[str, np.ndarray] = {}
        for w in WEIGHTS:
            buffer = mmap.mmap(-1, len(uniq) * n_cols * 8)  # anonymous, shared on fork
            out[w] = np.frombuffer(buffer, dtype=float).reshape(len(uniq), n_cols)

        def fill(weight: str, start: int, stop: int) -> None:
            out[weight][start:stop] = self._solve(weight, uniq[start:stop], cols)

        children: list[tuple[int, tuple[str, int, int]]] = []
        try:
            for task in tasks[1:]:
                pid = os.fork()
                if pid == 0:  # child: compute its share, then leave at once (no cleanup)
                    code = 1
                    try:
                        fill(*task)
                        code = 0
                    finally:
                        os._exit(code)
                children.append((pid, task))
            fill(*tasks[0])
        except BaseException:  # interrupted or failed: the workers' results are not wanted
            for pid, _ in children:
                with contextlib.suppress(OSError):
                    os.kill(pid, signal.SIGKILL)
            raise
        finally:
            failed = []
            for pid, task in children:
                _, status = os.waitpid(pid, 0)
                if os.waitstatus_to_exitcode(status) != 0:  # pragma: no cover - e.g. OOM kill
                    failed.append(task)
        for task in failed:  # pragma: no cover
            log.warning("a matrix worker process failed; redoing its share in this process")
            fill(*task)
        log.debug("matrices: %d Dijkstra calls in %d processes", len(tasks), len(tasks))
        return out

    @staticmethod
    def unreachable_pairs(
        matrix: np.ndarray, origin_names: Sequence[Any], target_names: Sequence[Any]
    ) -> list[tuple[Any, Any]]:
        """Name the ``(origin, target)`` pairs whose matrix entry is ``inf``.

        Parameters
        ----------
        matrix
            A ``km`` or ``hours`` matrix from :meth:`matrices`.
        origin_names, target_names
            One name per matrix row / column.

        Returns
        -------
        list of (origin, target)
        """
        rows, cols = np.nonzero(np.isinf(matrix))
        o = list(origin_names)
        t = list(target_names)
        return [(o[r], t[c]) for r, c in zip(rows.tolist(), cols.tolist(), strict=True)]

    # ------------------------------------------------------------------ routes
    def path(self, origin: Hashable, target: Hashable, weight: str = "length") -> list[Hashable]:
        """Node ids along the shortest path by ``weight`` (``"length"`` or ``"travel_time"``).

        Parameters
        ----------
        origin, target
            Graph node ids.
        weight
            ``"length"`` or ``"travel_time"``.

        Returns
        -------
        list
            Node ids from ``origin`` to ``target``.

        Raises
        ------
        NetworkError
            If the target cannot be reached from the origin.
        """
        arcs = self._path_arcs(origin, target, weight)
        if not arcs:
            return [origin]
        return [self._edge_keys[arcs[0]][0]] + [self._edge_keys[j][1] for j in arcs]

    def route(self, origin: Hashable, target: Hashable, weight: str = "length") -> LineString:
        """Road geometry of the shortest path from ``origin`` to ``target`` (graph node ids).

        Each edge contributes its ``geometry`` (turned around when it is stored the other
        way) or, without one, the straight segment between its end nodes. The edge chosen
        among parallel edges is the one with the minimum ``weight``, the one the matrices
        use.

        Parameters
        ----------
        origin, target
            Graph node ids.
        weight
            ``"length"`` or ``"travel_time"``.

        Returns
        -------
        shapely.LineString
            lon/lat coordinates; a zero-length line at the node if origin == target.

        Raises
        ------
        NetworkError
            If the target cannot be reached from the origin.
        """
        arcs = self._path_arcs(origin, target, weight)
        if not arcs:
            i = int(self.indices([origin])[0])
            p = (float(self.lon[i]), float(self.lat[i]))
            return LineString([p, p])
        coords: list[tuple[float, float]] = []
        for j in arcs:
            part = self._edge_coords(j)
            coords.extend(part if not coords else part[1:])
        return LineString(coords)

    def _path_arcs(self, origin: Hashable, target: Hashable, weight: str) -> list[int]:
        weight = _check_weight(weight)
        o, t = (int(i) for i in self.indices([origin, target]))
        if o == t:
            return []
        _, pred = dijkstra(self._csr[weight], directed=True, indices=o, return_predecessors=True)
        if pred[t] < 0:
            raise NetworkError(f"there is no road path from node {origin} to node {target}.")
        csr = self._csr[weight]
        arcs: list[int] = []
        node = t
        while node != o:
            prev = int(pred[node])
            row = slice(csr.indptr[prev], csr.indptr[prev + 1])
            slot = int(np.flatnonzero(csr.indices[row] == node)[0]) + row.start
            arcs.append(int(self._csr_edge[weight][slot]))
            node = prev
        arcs.reverse()
        return arcs

    def _edge_coords(self, j: int) -> list[tuple[float, float]]:
        u, v, k = self._edge_keys[j]
        ui, vi = int(self._index.get_loc(u)), int(self._index.get_loc(v))
        pu = (float(self.lon[ui]), float(self.lat[ui]))
        pv = (float(self.lon[vi]), float(self.lat[vi]))
        geom = self.graph.edges[u, v, k].get("geometry")
        if geom is None or geom.is_empty:
            return [pu, pv]
        pts = [(float(x), float(y)) for x, y in np.asarray(geom.coords)[:, :2]]
        first, last = pts[0], pts[-1]

        def d2(a: tuple[float, float], b: tuple[float, float]) -> float:
            return (a[0] - b[0]) ** 2 + (a[1] - b[1]) ** 2

        if d2(first, pv) + d2(last, pu) < d2(first, pu) + d2(last, pv):
            pts.reverse()
        pts[0], pts[-1] = pu, pv
        return pts


def _check_weight(weight: str) -> str:
    if weight not in WEIGHTS:
        raise InputError(f"unknown weight '{weight}': use 'length' or 'travel_time'.")
    return weight


def _min_weight_csr(
    u: np.ndarray, v: np.ndarray, w: np.ndarray, edge_id: np.ndarray, n: int
) -> tuple[csr_array, np.ndarray]:
    """CSR matrix keeping the minimum weight per (u, v), and the edge each arc comes from.

    Arcs are sorted by (u, v, weight) and the first of each (u, v) run is kept, so the
    CSR holds no duplicates for scipy to sum.
    """
    order = np.lexsort((w, v, u))
    u_s, v_s = u[order], v[order]
    first = np.ones(len(order), dtype=bool)
    first[1:] = (u_s[1:] != u_s[:-1]) | (v_s[1:] != v_s[:-1])
    pick = order[first]
    indptr = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(np.bincount(u[pick], minlength=n), out=indptr[1:])
    # Index arrays as int32 when they fit: csgraph converts to int32 anyway.
    itype = np.int32 if max(n, len(pick)) < np.iinfo(np.int32).max else np.int64
    matrix = csr_array(
        (w[pick].astype(float), v[pick].astype(itype), indptr.astype(itype)), shape=(n, n)
    )
    matrix.has_sorted_indices = True
    return matrix, edge_id[pick]


def _coerce_coordinates(
    values: np.ndarray, names: list[str], what: str, bound: float
) -> np.ndarray:
    out = np.empty(len(values), dtype=float)
    for i, value in enumerate(values):
        try:
            out[i] = float(value)
        except (TypeError, ValueError):
            raise InputError(f"site '{names[i]}' has a non-numeric {what} ({value!r}).") from None
        if not np.isfinite(out[i]) or abs(out[i]) > bound:
            raise InputError(f"site '{names[i]}' has an invalid {what} ({value!r}).")
    return out
