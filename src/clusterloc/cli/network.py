"""`clusterloc network build|info|distance`: build truck road networks and query them.

``build`` turns a road source (OSM extract, road line layer, or ``place:`` / ``bbox:`` for
an online download) into a network file; ``info`` summarises a network file; ``distance``
snaps two lon/lat points to a network and prints the road distance and time between them.
Errors are raised as :class:`clusterloc.errors.ClusterlocError` subclasses;
:mod:`clusterloc.cli.main` turns them into one line and an exit code.
"""

from __future__ import annotations

import contextlib
import json
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from clusterloc.cli.text import plain
from clusterloc.errors import InputError, NetworkError
from clusterloc.network.settings import DEFAULT_ROAD_CLASSES, TruckSettings

if TYPE_CHECKING:
    import networkx as nx

__all__ = [
    "STEP_LABELS",
    "build",
    "distance",
    "info",
]

app = typer.Typer(no_args_is_help=True)
console = Console()
err_console = Console(stderr=True)

STEP_LABELS = {
    "hashing source": "Hashing the source file",
    "reading ways": "Reading roads (ways)",
    "reading nodes": "Reading road nodes",
    "reading lines": "Reading road lines",
    "joining line ends": "Noding crossings and joining line ends",
    "building graph": "Building the truck graph",
    "writing cache": "Writing the network cache",
    "downloading": "Downloading OpenStreetMap roads",
    "loading": "Loading the network",
    "writing": "Writing the network file",
}


@contextlib.contextmanager
def _status(quiet: bool) -> Iterator[Callable[[str], None]]:
    """A rich spinner whose text follows the build steps; yields the step callback."""
    if quiet:
        yield lambda step: None
        return
    started = time.perf_counter()
    with err_console.status("Starting...") as status:

        def step(name: str) -> None:
            elapsed = time.perf_counter() - started
            status.update(f"{STEP_LABELS.get(name, name)}... [dim]{elapsed:.1f} s[/]")

        yield step


def _parse_point(text: str, what: str) -> tuple[float, float]:
    parts = text.replace(" ", "").split(",")
    try:
        if len(parts) != 2:
            raise ValueError
        lon, lat = float(parts[0]), float(parts[1])
    except ValueError:
        raise InputError(
            f"{what} '{text}': expected LON,LAT in degrees, e.g. 71.45,51.18."
        ) from None
    if not (-180.0 <= lon <= 180.0 and -90.0 <= lat <= 90.0):
        raise InputError(
            f"{what} '{text}': longitude must be in [-180, 180], latitude in [-90, 90]."
        )
    return lon, lat


def _settings_from_options(
    classes: str | None,
    speeds: list[str] | None,
    max_weight: float | None,
    join_tolerance: float | None,
    no_oneway: bool,
    profile: dict[str, Any] | None = None,
) -> TruckSettings:
    data: dict[str, Any] = {k: v for k, v in (profile or {}).items() if v is not None}
    if classes:
        data["road_classes"] = tuple(c.strip() for c in classes.split(",") if c.strip())
    if speeds:
        parsed: dict[str, float] = {}
        for item in speeds:
            name, _, value = item.partition("=")
            try:
                parsed[name.strip()] = float(value)
            except ValueError:
                raise InputError(
                    f"--speed '{item}': expected CLASS=KPH, e.g. --speed trunk=70."
                ) from None
        data["speeds_kph"] = parsed
    if max_weight is not None:
        data["max_weight_t"] = max_weight
    if join_tolerance is not None:
        data["join_tolerance_m"] = join_tolerance
    if no_oneway:
        data["respect_oneway"] = False
    return TruckSettings.from_dict(data)


def _load_network(path: Path, step: Callable[[str], None]) -> nx.MultiDiGraph:
    """A network file written by ``network build``, or a road source built on the fly."""
    from clusterloc.network.cache import default_cache_dir
    from clusterloc.network.io import MAGIC, load_graph
    from clusterloc.network.sources import SUPPORTED, graph_from_file

    if not path.is_file():
        raise NetworkError(f"{path}: network file not found.")
    with path.open("rb") as fh:
        is_network = fh.read(len(MAGIC)) == MAGIC
    if is_network or not path.name.lower().endswith(SUPPORTED):
        step("loading")
        return load_graph(path)
    return graph_from_file(path, cache_dir=default_cache_dir(), progress=step)


def _build(source: str, settings: TruckSettings, cache_dir: Path | None, step: Any) -> Any:
    from clusterloc.network.online import graph_from_bbox, graph_from_place
    from clusterloc.network.sources import graph_from_file

    if source.startswith("place:"):
        step("downloading")
        return graph_from_place(source[len("place:") :], settings)
    if source.startswith("bbox:"):
        try:
            west, south, east, north = (float(v) for v in source[len("bbox:") :].split(","))
        except ValueError:
            raise InputError(
                f"source '{source}': expected bbox:WEST,SOUTH,EAST,NORTH in degrees."
            ) from None
        step("downloading")
        return graph_from_bbox((west, south, east, north), settings)
    return graph_from_file(Path(source), settings, cache_dir=cache_dir, progress=step)


@app.command("build")
def build(
    source: Annotated[
        str,
        typer.Argument(
            help="Road source: .osm.pbf, .osm, .osm.bz2, .osm.gz, .geojson, .gpkg, .shp; "
            "or place:NAME / bbox:WEST,SOUTH,EAST,NORTH to download (needs internet).",
            show_default=False,
        ),
    ],
    out: Annotated[
        Path, typer.Option("--out", "-o", help="Network file to write.", show_default=False)
    ],
    classes: Annotated[
        str | None,
        typer.Option(
            help="Comma-separated OSM highway classes trucks may use; add e.g. "
            "unclassified,residential for a small city extract. "
            # escaped: rich would take a bare [default: ...] for markup and drop it
            f"\\[default: {', '.join(DEFAULT_ROAD_CLASSES)}]",
            show_default=False,
        ),
    ] = None,
    speed: Annotated[
        list[str] | None,
        typer.Option(
            help="Truck speed for a class, CLASS=KPH (repeatable), e.g. --speed trunk=70.",
            show_default=False,
        ),
    ] = None,
    max_weight: Annotated[
        float | None,
        typer.Option(help="Truck weight in tonnes; ways with a lower maxweight are dropped."),
    ] = None,
    join_tolerance: Annotated[
        float | None,
        typer.Option(help="Line layers: join line ends closer than this (m) to another line."),
    ] = None,
    no_oneway: Annotated[
        bool, typer.Option("--no-oneway", help="Ignore one-way tags (all roads two-way).")
    ] = False,
    height: Annotated[
        float | None,
        typer.Option(
            help="Truck height (m); ways with a lower maxheight are dropped.", show_default="4.0"
        ),
    ] = None,
    width: Annotated[
        float | None,
        typer.Option(
            help="Truck width (m); ways with a lower maxwidth are dropped.", show_default="2.55"
        ),
    ] = None,
    length: Annotated[
        float | None,
        typer.Option(
            help="Truck length (m); ways with a lower maxlength are dropped.", show_default="16.5"
        ),
    ] = None,
    axle_load: Annotated[
        float | None,
        typer.Option(
            help="Heaviest axle load (t); ways with a lower maxaxleload are dropped.",
            show_default="11.5",
        ),
    ] = None,
    keep_closures: Annotated[
        bool,
        typer.Option(
            "--keep-closures",
            help="Keep roads closed to trucks for part of the year (seasonal, winter roads).",
        ),
    ] = False,
    cache_dir: Annotated[
        Path | None,
        typer.Option(
            help="Network cache folder.",
            show_default="$CLUSTERLOC_CACHE or ~/.cache/clusterloc/networks",
        ),
    ] = None,
    no_cache: Annotated[bool, typer.Option("--no-cache", help="Build without the cache.")] = False,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress display.")] = False,
) -> None:
    """Build a truck road network from SOURCE and write it to --out."""
    from clusterloc.network.cache import default_cache_dir
    from clusterloc.network.info import graph_info, restriction_lines
    from clusterloc.network.io import save_graph

    closures = False if keep_closures else None
    profile = dict(height_m=height, width_m=width, length_m=length, axle_load_t=axle_load)
    profile["avoid_closures"] = closures
    settings = _settings_from_options(
        classes, speed, max_weight, join_tolerance, no_oneway, profile
    )
    if out.exists() and out.is_dir():
        raise InputError(f"--out {out}: is a folder; give a file name, e.g. {out / 'roads.graph'}.")
    cache = None if no_cache else (cache_dir or default_cache_dir())
    started = time.perf_counter()
    with _status(quiet) as step:
        G = _build(source, settings, cache, step)
        step("writing")
        save_graph(G, out)
    seconds = time.perf_counter() - started
    info = graph_info(G)
    meta = G.graph.get("clusterloc", {})
    console.print(
        f"[green]✓[/] wrote [bold]{plain(out)}[/]: {info['nodes']:,} nodes, "
        f"{info['edges']:,} edges, "
        f"{info['km_total']:,.1f} km of road in {seconds:.1f} s"
        + (" (from cache)" if meta.get("cache") else ""),
        highlight=False,
    )
    for why, amount in restriction_lines(G):
        console.print(f"  excluded {amount}: {why}", highlight=False)
    if info["dropped_nodes"]:
        console.print(
            f"  dropped {info['dropped_nodes']:,} nodes ({meta.get('dropped_km', 0):,.1f} km) "
            "outside the largest strongly connected part (roads a truck cannot both reach "
            f"and leave); weakly connected pieces before: {info['components']}",
            highlight=False,
        )


@app.command("info")
def info(
    file: Annotated[
        Path, typer.Argument(help="Network file from 'network build' (or a road source).")
    ],
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object.")] = False,
) -> None:
    """Nodes, edges, km of road by class, components, roads excluded and bounding box."""
    from clusterloc.network.info import graph_info, restriction_lines

    with _status(as_json) as step:
        G = _load_network(file, step)
    data = graph_info(G)
    if as_json:
        keys = (
            "nodes",
            "edges",
            "components",
            "dropped_nodes",
            "dropped_km",
            "km_by_class",
            "restricted",
            "bbox",
        )
        print(json.dumps({k: data[k] for k in keys}))
        return
    table = Table(title=plain(file), show_header=False)
    table.add_column("what")
    table.add_column("value", justify="right")
    table.add_row("nodes", f"{data['nodes']:,}")
    table.add_row("edges (directed)", f"{data['edges']:,}")
    table.add_row("components before cleaning", f"{data['components']:,}")
    table.add_row("nodes dropped (outside largest SCC)", f"{data['dropped_nodes']:,}")
    for cls, km in data["km_by_class"].items():
        table.add_row(f"km {plain(cls)}", f"{km:,.1f}")
    table.add_row("km total", f"{data['km_total']:,.1f}")
    for why, amount in restriction_lines(G):
        table.add_row(f"excluded, {why}", amount)
    west, south, east, north = data["bbox"]
    table.add_row("bbox (W S E N)", f"{west:.4f} {south:.4f} {east:.4f} {north:.4f}")
    console.print(table)
    if data.get("source"):
        console.print(f"source: {plain(data['source'])}", highlight=False)


@app.command(
    "distance",
    context_settings={"ignore_unknown_options": True, "allow_interspersed_args": True},
)
def distance(
    file: Annotated[
        Path, typer.Argument(help="Network file from 'network build' (or a road source).")
    ],
    origin: Annotated[str, typer.Argument(help="Origin as LON,LAT (degrees).")],
    target: Annotated[str, typer.Argument(help="Target as LON,LAT (degrees).")],
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object.")] = False,
    max_snap: Annotated[
        float | None,
        typer.Option(help="Largest allowed distance (m) from a point to the road network."),
    ] = None,
) -> None:
    """Road distance (km) and truck time (h) between two points, snapped to the network."""
    from clusterloc.network.attach import attach_points
    from clusterloc.network.routing import RoadNetwork

    o_lon, o_lat = _parse_point(origin, "origin")
    t_lon, t_lat = _parse_point(target, "target")
    with _status(as_json) as step:
        G = _load_network(file, step)
    settings = G.graph.get("clusterloc", {}).get("settings", {})
    limit = max_snap if max_snap is not None else settings.get("max_snap_m", 20_000.0)
    # Attach both points at the nearest point of their nearest road (not only junctions).
    G, _ = attach_points(G, [o_lon, t_lon], [o_lat, t_lat])
    net = RoadNetwork(G)
    snapped = net.snap([o_lon, t_lon], [o_lat, t_lat], ["origin", "target"], max_snap_m=limit)
    nodes = list(snapped["node"])
    km, hours = net.matrices([nodes[0]], [nodes[1]])
    road_km, road_h = float(km[0, 0]), float(hours[0, 0])
    if road_km == float("inf"):
        raise NetworkError(f"{file}: no road path from origin {origin} to target {target}.")
    snap_m = [round(float(m), 1) for m in snapped["snap_m"]]
    if as_json:
        print(json.dumps({"km": round(road_km, 3), "hours": round(road_h, 4), "snap_m": snap_m}))
        return
    console.print(
        f"road distance [bold]{road_km:,.2f} km[/], truck time [bold]{road_h:.2f} h[/] "
        f"(origin snapped {snap_m[0]:,.0f} m, target snapped {snap_m[1]:,.0f} m to the network)",
        highlight=False,
    )
