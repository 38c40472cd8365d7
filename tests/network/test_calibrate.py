"""Road corrections on line layers: replaced and calibrated roads, sourced connectors."""

from __future__ import annotations

import json
from pathlib import Path

import networkx as nx
import pytest

from clusterloc.errors import NetworkError
from clusterloc.network import TruckSettings, graph_from_file
from clusterloc.network.calibrate import read_corrections

# Three roads meeting at (1, 0): A runs west-east along the equator, B north and C east
# from its end (so (1, 0) is a junction and every road end is a graph node).
ROADS = {
    "type": "FeatureCollection",
    "crs": {"type": "name", "properties": {"name": "urn:ogc:def:crs:OGC:1.3:CRS84"}},
    "features": [
        {
            "type": "Feature",
            "properties": {"ref": "A", "name": "road A"},
            "geometry": {"type": "LineString", "coordinates": [[0, 0], [0.5, 0], [1, 0]]},
        },
        {
            "type": "Feature",
            "properties": {"ref": "B", "name": "road B"},
            "geometry": {"type": "LineString", "coordinates": [[1, 0], [1, 1]]},
        },
        {
            "type": "Feature",
            "properties": {"ref": "C", "name": "road C"},
            "geometry": {"type": "LineString", "coordinates": [[1, 0], [2, 0]]},
        },
    ],
}


def _write(path: Path, data: dict) -> Path:
    path.write_text(json.dumps(data), encoding="utf-8")
    return path


def _fix(kind: str, ref: str, km: float, coords: list, source: str = "a cited page") -> dict:
    return {
        "type": "Feature",
        "properties": {"kind": kind, "ref": ref, "km": km, "source": source, "name": ref},
        "geometry": {"type": "LineString", "coordinates": coords},
    }


def _graph(tmp_path: Path, fixes: list[dict] | None) -> nx.MultiDiGraph:
    roads = _write(tmp_path / "roads.geojson", ROADS)
    corr = None
    if fixes is not None:
        corr = _write(tmp_path / "fix.geojson", {"type": "FeatureCollection", "features": fixes})
    return graph_from_file(roads, TruckSettings(join_tolerance_m=0), corrections=corr)


def _km(G: nx.MultiDiGraph, a: tuple[float, float], b: tuple[float, float]) -> float:
    nodes = {(round(d["x"], 6), round(d["y"], 6)): n for n, d in G.nodes(data=True)}
    return nx.shortest_path_length(G, nodes[a], nodes[b], weight="length") / 1000.0


def test_calibrated_section_totals_the_sourced_km(tmp_path: Path) -> None:
    """Only the section between the two points is scaled; the rest keeps its length."""
    plain = _graph(tmp_path, None)
    G = _graph(tmp_path, [_fix("calibrate", "A", 100.0, [[0.5, 0], [1, 0]])])
    half = _km(plain, (0, 0), (1, 0)) / 2
    assert _km(G, (0, 0), (1, 0)) == pytest.approx(half + 100.0, rel=1e-3)
    assert _km(G, (1, 0), (1, 1)) == pytest.approx(_km(plain, (1, 0), (1, 1)), rel=1e-9)
    applied = G.graph["clusterloc"]["corrections"]["applied"]
    assert applied[0]["kind"] == "calibrate" and applied[0]["km"] == 100.0


def test_replaced_road_follows_the_new_line_at_the_sourced_km(tmp_path: Path) -> None:
    """A replaced road is drawn through the new points and totals the sourced km."""
    G = _graph(tmp_path, [_fix("replace", "A", 150.0, [[0, 0], [0.5, 0.2], [1, 0]])])
    assert _km(G, (0, 0), (1, 0)) == pytest.approx(150.0, rel=1e-6)
    ys = [y for *_, d in G.edges(data=True) if "geometry" in d for _, y in d["geometry"].coords]
    assert any(abs(y - 0.2) < 1e-9 for y in ys)


def test_connector_reaches_a_dead_end_at_the_sourced_km(tmp_path: Path) -> None:
    """A connector from a road vertex to a free point is a road of the sourced length."""
    plain = _graph(tmp_path, None)
    G = _graph(tmp_path, [_fix("connector", "X", 42.0, [[1, 1], [1.3, 1.3]])])
    b_km = _km(plain, (1, 0), (1, 1))
    assert _km(G, (1, 0), (1.3, 1.3)) == pytest.approx(b_km + 42.0, rel=1e-9)


@pytest.mark.parametrize(
    ("feature", "message"),
    [
        (_fix("move", "A", 1.0, [[0, 0], [1, 0]]), "feature 1: property 'kind'"),
        (_fix("connector", "", 1.0, [[0, 0], [1, 0]]), "property 'ref' is empty"),
        (_fix("connector", "C", -3.0, [[0, 0], [1, 0]]), "property 'km' must be a number > 0"),
        (_fix("connector", "C", 3.0, [[0, 0], [1, 0]], source=""), "property 'source' is empty"),
        (_fix("connector", "C", 3.0, [[0, 0]]), "LineString of >= 2 points"),
    ],
)
def test_bad_corrections_name_file_feature_and_property(
    tmp_path: Path, feature: dict, message: str
) -> None:
    """A bad feature is an error naming the file, the feature and the property."""
    path = _write(tmp_path / "fix.geojson", {"type": "FeatureCollection", "features": [feature]})
    with pytest.raises(NetworkError, match=message) as info:
        read_corrections(path)
    assert "fix.geojson" in str(info.value)


def test_corrections_change_the_cache_key(tmp_path: Path) -> None:
    """Editing the corrections file rebuilds the network instead of reusing the cache."""
    roads = _write(tmp_path / "roads.geojson", ROADS)
    cache = tmp_path / "cache"
    corr = tmp_path / "fix.geojson"
    _write(
        corr,
        {"type": "FeatureCollection", "features": [_fix("connector", "X", 10.0, [[1, 1], [2, 2]])]},
    )
    G1 = graph_from_file(
        roads, TruckSettings(join_tolerance_m=0), cache_dir=cache, corrections=corr
    )
    _write(
        corr,
        {"type": "FeatureCollection", "features": [_fix("connector", "X", 20.0, [[1, 1], [2, 2]])]},
    )
    G2 = graph_from_file(
        roads, TruckSettings(join_tolerance_m=0), cache_dir=cache, corrections=corr
    )
    assert _km(G2, (1, 0), (2, 2)) - _km(G1, (1, 0), (2, 2)) == pytest.approx(10.0)
