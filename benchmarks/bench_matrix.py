"""Road-matrix benchmark: clusterloc vs a networkx Dijkstra loop vs bare scipy, one process.

Usage::

    python benchmarks/bench_matrix.py [--nodes N] [--origins K] [--repeat R] [--seed S]
    python benchmarks/bench_matrix.py --graph PATH [--classes a,b,...]  # a real road source

All three methods compute the same thing: for ``K`` origins and every node of the graph,
the shortest road length (m) **and** the shortest travel time (s), i.e. two single-source
searches per origin.

* networkx: ``nx.single_source_dijkstra_path_length(G, s, weight=...)`` on the
  ``MultiDiGraph`` (networkx takes the minimum over parallel edges for a string weight).
  Only the calls are timed; copying each result dict into the comparison matrix is not.
* scipy: ``scipy.sparse.csgraph.dijkstra(csr, indices=origins)`` once per weight on the
  CSR matrices clusterloc built (node ids already mapped to indices).
* clusterloc: ``RoadNetwork.matrices(origin_nodes, all_nodes)`` as a user calls it,
  including its per-call work (node id → index mapping, duplicate handling, unit
  conversion, and - for a job this size, when CPUs are idle - forking workers that run the
  Dijkstra calls side by side); the once-per-graph CSR build is timed and reported
  separately. ``matrices(..., workers=1)`` (one process) is timed too.

scipy and the two clusterloc variants are timed ``--repeat`` times, interleaved (best of
each kept); networkx once. The JSON ``seconds_*`` are wall-clock seconds
(``time.perf_counter``); CPU seconds of the single-process methods are printed beside
them, with the load average, since other jobs on a shared machine stretch wall time. Without
``--graph`` the graph is a synthetic road network (see :func:`make_road_graph`). Peak
memory is the process's peak resident set size (``resource.getrusage().ru_maxrss``).

The last line printed is one JSON object with the keys ``nodes``, ``origins``,
``seconds_networkx``, ``seconds_scipy``, ``seconds_clusterloc``, ``speedup_vs_networkx``,
``overhead_vs_scipy``, ``max_rel_diff``, ``peak_mb``.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import resource
import sys
import time
import tracemalloc
from pathlib import Path
from typing import Any

import networkx as nx
import numpy as np
from scipy.sparse.csgraph import dijkstra

from clusterloc.network.routing import RoadNetwork, available_cpus, idle_cpus

#: Truck speeds (km/h) per class of the synthetic graph (clusterloc's defaults).
CLASS_SPEED_KPH = {
    "motorway": 80.0,
    "primary": 60.0,
    "secondary": 50.0,
    "tertiary": 40.0,
    "residential": 20.0,
}

EARTH_RADIUS_M = 6_371_009.0


def haversine_m(lon1: np.ndarray, lat1: np.ndarray, lon2: np.ndarray, lat2: np.ndarray) -> Any:
    """Great-circle distance (m), the formula osmnx uses for edge lengths."""
    p1, p2 = np.radians(lat1), np.radians(lat2)
    dp = p2 - p1
    dl = np.radians(lon2 - lon1)
    a = np.sin(dp / 2) ** 2 + np.cos(p1) * np.cos(p2) * np.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_M * np.arcsin(np.sqrt(a))


def _road_class(index: np.ndarray) -> np.ndarray:
    """Class of a grid line by its row/column number: a sparse arterial hierarchy."""
    cls = np.full(index.shape, "residential", dtype=object)
    cls[index % 4 == 0] = "tertiary"
    cls[index % 12 == 0] = "secondary"
    cls[index % 36 == 0] = "primary"
    cls[index % 108 == 0] = "motorway"
    return cls


def make_road_graph(min_nodes: int, seed: int = 0) -> nx.MultiDiGraph:
    """A synthetic, road-like osmnx-style ``MultiDiGraph`` with at least ``min_nodes`` nodes.

    Construction (all random draws from ``numpy.random.default_rng(seed)``):

    1. A square grid of junctions around Astana (51.1 N, 71.4 E), ~650 m apart, each
       moved by up to ±35 % of the spacing in x and y (irregular blocks).
    2. Links between grid neighbours, plus one diagonal in 10 % of the cells. Each grid
       line carries a road class by its number - every 108th a motorway, 36th primary,
       12th secondary, 4th tertiary, the rest residential - so a coarse arterial mesh
       sits over a dense local one.
    3. 30 % of the local (tertiary / residential / diagonal) links are removed, giving a
       mean junction degree near 3 as in real simplified OSM graphs.
    4. Edge length = great-circle distance × a curvature factor ~ 1 + |N(0, 0.08)|;
       speed by class (80/60/50/40/20 km/h); ``travel_time`` = length / speed.
    5. 8 % of local links are one-way (random direction); the rest are two-way.
    6. 3 % of links get a parallel edge between the same junctions, 5 - 60 % longer and
       of another class (so the shortest and the fastest edge can differ).
    7. The largest strongly connected component is kept, as the truck loader does; the
       grid is sized up until that component has ``min_nodes`` nodes.
    """
    rng = np.random.default_rng(seed)
    side = math.ceil(math.sqrt(min_nodes / 0.9))
    while True:
        G = _grid_graph(side, rng)
        if G.number_of_nodes() >= min_nodes:
            return G
        side += max(2, side // 50)


def _grid_graph(side: int, rng: np.random.Generator) -> nx.MultiDiGraph:
    d_lat = 0.00585  # ~650 m
    d_lon = d_lat / math.cos(math.radians(51.1))
    rows, cols = np.divmod(np.arange(side * side), side)
    lat = 51.1 + (rows - side / 2) * d_lat + rng.uniform(-0.35, 0.35, rows.size) * d_lat
    lon = 71.4 + (cols - side / 2) * d_lon + rng.uniform(-0.35, 0.35, cols.size) * d_lon
    node_id = 10**9 + rng.permutation(side * side).astype(np.int64) * 7  # OSM-like ids

    ids = np.arange(side * side).reshape(side, side)
    # horizontal links run along row r; vertical ones along column c
    h_u, h_v = ids[:, :-1].ravel(), ids[:, 1:].ravel()
    v_u, v_v = ids[:-1, :].ravel(), ids[1:, :].ravel()
    h_cls = _road_class(np.repeat(np.arange(side), side - 1))
    v_cls = _road_class(np.tile(np.arange(side), side - 1))
    diag = rng.random((side - 1) * (side - 1)) < 0.10
    d_u = ids[:-1, :-1].ravel()[diag]
    d_v = ids[1:, 1:].ravel()[diag]
    d_cls = np.full(d_u.size, "residential", dtype=object)

    u = np.concatenate([h_u, v_u, d_u])
    v = np.concatenate([h_v, v_v, d_v])
    cls = np.concatenate([h_cls, v_cls, d_cls])
    local = (cls == "residential") | (cls == "tertiary")
    keep = ~local | (rng.random(u.size) >= 0.30)
    u, v, cls, local = u[keep], v[keep], cls[keep], local[keep]

    straight = haversine_m(lon[u], lat[u], lon[v], lat[v])
    length = straight * (1.0 + np.abs(rng.normal(0.0, 0.08, u.size)))
    oneway = local & (rng.random(u.size) < 0.08)
    flip = oneway & (rng.random(u.size) < 0.5)
    u, v = np.where(flip, v, u), np.where(flip, u, v)

    arcs_u = [u, v[~oneway]]
    arcs_v = [v, u[~oneway]]
    arcs_len = [length, length[~oneway]]
    arcs_cls = [cls, cls[~oneway]]
    arcs_oneway = [oneway, oneway[~oneway]]
    par = rng.random(u.size) < 0.03
    par_cls = np.array(list(CLASS_SPEED_KPH))[rng.integers(0, len(CLASS_SPEED_KPH), par.sum())]
    par_len = length[par] * rng.uniform(1.05, 1.60, par.sum())
    arcs_u += [u[par], v[par & ~oneway]]
    arcs_v += [v[par], u[par & ~oneway]]
    arcs_len += [par_len, par_len[~oneway[par]]]
    arcs_cls += [par_cls.astype(object), par_cls[~oneway[par]].astype(object)]
    arcs_oneway += [oneway[par], oneway[par & ~oneway]]

    au = np.concatenate(arcs_u)
    av = np.concatenate(arcs_v)
    alen = np.concatenate(arcs_len)
    acls = np.concatenate(arcs_cls)
    aone = np.concatenate(arcs_oneway)
    speed = np.array([CLASS_SPEED_KPH[c] for c in acls])
    seconds = alen / (speed / 3.6)

    G = nx.MultiDiGraph(crs="epsg:4326", name=f"synthetic road grid {side}x{side}")
    G.add_nodes_from(
        (int(node_id[i]), {"x": float(lon[i]), "y": float(lat[i])}) for i in range(side * side)
    )
    G.add_edges_from(
        (
            int(node_id[a]),
            int(node_id[b]),
            {
                "length": float(m),
                "speed_kph": float(s),
                "travel_time": float(t),
                "highway": str(c),
                "oneway": bool(o),
            },
        )
        for a, b, m, s, t, c, o in zip(
            au.tolist(),
            av.tolist(),
            alen.tolist(),
            speed.tolist(),
            seconds.tolist(),
            acls.tolist(),
            aone.tolist(),
            strict=True,
        )
    )
    largest = max(nx.strongly_connected_components(G), key=len)
    return G.subgraph(largest).copy()


def load_real_graph(path: Path, classes: str | None) -> nx.MultiDiGraph:
    """A real road source through clusterloc's loader (truck settings, optional classes)."""
    from clusterloc.network import TruckSettings, graph_from_file

    if not classes:
        return graph_from_file(path)
    road_classes = tuple(c.strip() for c in classes.split(",") if c.strip())
    return graph_from_file(path, TruckSettings(road_classes=road_classes))


def peak_rss_mb() -> float:
    """Peak resident set size of this process so far (MB; Linux reports KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def timed(fn: Any) -> tuple[float, float, Any]:
    """(CPU seconds of this process, wall seconds, result) of one call."""
    c0, w0 = time.process_time(), time.perf_counter()
    result = fn()
    return time.process_time() - c0, time.perf_counter() - w0, result


def rel_diff(ours: np.ndarray, ref: np.ndarray) -> float:
    """Largest relative difference over finite entries (inf if the inf patterns differ)."""
    if not np.array_equal(np.isinf(ours), np.isinf(ref)):
        return math.inf
    ok = np.isfinite(ref) & (ref > 0)
    if not ok.any():
        return 0.0
    return float(np.max(np.abs(ours[ok] - ref[ok]) / ref[ok]))


def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--nodes", type=int, default=100_000, help="synthetic graph size")
    parser.add_argument("--origins", type=int, default=200, help="origins (targets: all nodes)")
    parser.add_argument("--repeat", type=int, default=3, help="timed runs of scipy/clusterloc")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--graph", type=Path, help="a real road source instead (graph_from_file)")
    parser.add_argument("--classes", help="with --graph: comma-separated OSM highway classes")
    args = parser.parse_args(argv)

    def say(text: str) -> None:
        print(text, flush=True)

    say(f"load average at start (1/5/15 min): {os.getloadavg()} on {os.cpu_count()} CPUs")
    t0 = time.perf_counter()
    if args.graph is not None:
        G = load_real_graph(args.graph, args.classes)
        source = str(args.graph)
    else:
        G = make_road_graph(args.nodes, seed=args.seed)
        source = G.graph["name"]
    n_parallel = sum(1 for _, _, k in G.edges(keys=True) if k > 0)
    say(
        f"graph: {source}: {G.number_of_nodes()} nodes, {G.number_of_edges()} edges "
        f"({n_parallel} parallel), built in {time.perf_counter() - t0:.1f} s"
    )

    t0 = time.perf_counter()
    net = RoadNetwork(G)
    csr_build = time.perf_counter() - t0
    say(f"RoadNetwork CSR build (once per graph): {csr_build:.2f} s")

    rng = np.random.default_rng(args.seed + 1)
    nodes = list(G.nodes)
    k = min(args.origins, len(nodes))
    origins = [nodes[i] for i in rng.choice(len(nodes), k, replace=False)]
    all_nodes = net.nodes

    # --- bare scipy on the same CSR (indices mapped beforehand, outside the timer),
    # and clusterloc's call from node ids
    o_idx = net.indices(origins)
    csr_len, csr_time = net.csr("length"), net.csr("travel_time")

    def bare_scipy() -> tuple[np.ndarray, np.ndarray]:
        return (
            dijkstra(csr_len, directed=True, indices=o_idx),
            dijkstra(csr_time, directed=True, indices=o_idx),
        )

    def clusterloc_matrices() -> tuple[np.ndarray, np.ndarray]:
        return net.matrices(origins, all_nodes)

    def clusterloc_one_process() -> tuple[np.ndarray, np.ndarray]:
        return net.matrices(origins, all_nodes, workers=1)

    methods = {
        "scipy": bare_scipy,
        "clusterloc": clusterloc_matrices,
        "clusterloc_1": clusterloc_one_process,
    }
    # Interleaved runs, so all methods see the same machine load; best of each kept.
    # Results of the previous run are dropped first, so at most one copy each is held.
    auto_before = idle_cpus()
    wall = dict.fromkeys(methods, math.inf)
    cpu = dict.fromkeys(methods, math.inf)
    results: dict[str, Any] = dict.fromkeys(methods)
    for _ in range(args.repeat):
        for name, fn in methods.items():
            results[name] = None
            c, w, results[name] = timed(fn)
            cpu[name], wall[name] = min(cpu[name], c), min(wall[name], w)
    sp_len, sp_time = results.pop("scipy")
    km, hours = results.pop("clusterloc")
    one_km, one_hours = results.pop("clusterloc_1")
    say(
        f"scipy csgraph.dijkstra x2 weights: {wall['scipy']:.2f} s "
        f"(CPU {cpu['scipy']:.2f} s; best of {args.repeat})"
    )
    say(
        f"clusterloc RoadNetwork.matrices: {wall['clusterloc']:.2f} s (default workers: "
        f"{auto_before} -> {idle_cpus()} idle of {available_cpus()} CPUs; best of {args.repeat})"
    )
    say(
        f"clusterloc RoadNetwork.matrices(workers=1): {wall['clusterloc_1']:.2f} s "
        f"(CPU {cpu['clusterloc_1']:.2f} s; best of {args.repeat})"
    )
    diff_scipy = max(
        rel_diff(km * 1000.0, sp_len),
        rel_diff(hours * 3600.0, sp_time),
        rel_diff(one_km * 1000.0, sp_len),
        rel_diff(one_hours * 3600.0, sp_time),
    )
    del sp_len, sp_time, one_km, one_hours

    # tracemalloc slows allocation-heavy code, so it gets its own untimed calls.
    traced = {}
    for name in ("scipy", "clusterloc_1"):
        tracemalloc.start()
        methods[name]()
        traced[name] = tracemalloc.get_traced_memory()[1] / 2**20
        tracemalloc.stop()
    say(
        f"peak traced allocation of one call (tracemalloc): scipy {traced['scipy']:.0f} MB, "
        f"clusterloc (workers=1) {traced['clusterloc_1']:.0f} MB"
    )

    # --- networkx single-source loop (both weights), every origin
    col = {node: i for i, node in enumerate(all_nodes.tolist())}
    nx_len = np.full((k, len(nodes)), np.inf)
    nx_time = np.full((k, len(nodes)), np.inf)
    seconds_nx = wall_nx = 0.0
    t_report = time.perf_counter()
    for r, s in enumerate(origins):
        for weight, out in (("length", nx_len), ("travel_time", nx_time)):
            c0, w0 = time.process_time(), time.perf_counter()
            dist = nx.single_source_dijkstra_path_length(G, s, weight=weight)
            seconds_nx += time.process_time() - c0
            wall_nx += time.perf_counter() - w0
            cols = np.fromiter((col[t] for t in dist), dtype=np.int64, count=len(dist))
            out[r, cols] = np.fromiter(dist.values(), dtype=float, count=len(dist))
        if time.perf_counter() - t_report > 30:
            say(f"  networkx: {r + 1}/{k} origins, {seconds_nx:.0f} s CPU so far")
            t_report = time.perf_counter()
    say(
        f"networkx single_source_dijkstra loop x2 weights: {seconds_nx:.1f} s CPU, "
        f"{wall_nx:.1f} s wall (all {k} origins)"
    )
    say(
        f"single-process ratios: networkx / clusterloc(workers=1) = "
        f"{wall_nx / wall['clusterloc_1']:.1f}x wall, {seconds_nx / cpu['clusterloc_1']:.1f}x CPU; "
        f"clusterloc(workers=1) / scipy = {wall['clusterloc_1'] / wall['scipy']:.3f} wall"
    )

    max_rel = max(rel_diff(km * 1000.0, nx_len), rel_diff(hours * 3600.0, nx_time))
    say(f"max relative difference clusterloc vs networkx: {max_rel:.3g}")
    say(f"max relative difference clusterloc vs bare scipy: {diff_scipy:.3g}")
    say(f"unreachable pairs: {int(np.isinf(km).sum())}")

    result = {
        "nodes": len(nodes),
        "origins": k,
        "seconds_networkx": round(wall_nx, 3),
        "seconds_scipy": round(wall["scipy"], 3),
        "seconds_clusterloc": round(wall["clusterloc"], 3),
        "speedup_vs_networkx": round(wall_nx / wall["clusterloc"], 1),
        "overhead_vs_scipy": round(wall["clusterloc"] / wall["scipy"], 3),
        "max_rel_diff": max_rel,
        "peak_mb": round(peak_rss_mb(), 1),
    }
    say(f"load average at end (1/5/15 min): {os.getloadavg()}")
    say(
        f"csr_build_seconds={csr_build:.2f} edges={G.number_of_edges()} "
        f"peak_mb is ru_maxrss of the whole process (graph + all three methods)"
    )
    print(json.dumps(result), flush=True)
    return result


if __name__ == "__main__":
    main(sys.argv[1:])
