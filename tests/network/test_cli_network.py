"""`clusterloc network build|info|distance` through the real entry point (in-process)."""

from __future__ import annotations

import json
from pathlib import Path

import geopandas as gpd
import networkx as nx
import pytest
import shapely

from clusterloc.cli.main import main
from clusterloc.network import attach_points, graph_from_file, graph_info, load_graph


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    """Run the CLI like a user; return (exit code, stdout, stderr)."""
    try:
        main(list(args))
        code = 0
    except SystemExit as exc:
        code = int(exc.code or 0)
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture(autouse=True)
def _private_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CLUSTERLOC_CACHE", str(tmp_path / "cache"))


@pytest.fixture(scope="module")
def kz_network(osm_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("kz") / "kz.graph"
    try:
        main(
            [
                "network",
                "build",
                str(osm_dir / "kz_republic_roads_KAZ01-23.geojson"),
                "--out",
                str(out),
                "--no-cache",
                "--quiet",
            ]
        )
    except SystemExit as exc:
        assert not exc.code
    return out


def test_build_writes_a_network_file_equal_to_the_library_graph(
    capsys: pytest.CaptureFixture[str], osm_dir: Path, tmp_path: Path
) -> None:
    source = osm_dir / "fixtures" / "aguascalientes.osm.pbf"
    out = tmp_path / "nets" / "ags.graph"
    code, stdout, _ = run(capsys, "network", "build", str(source), "--out", str(out))
    assert code == 0
    assert "wrote" in stdout and out.name in stdout
    G = load_graph(out)
    ref = graph_from_file(source)
    assert set(G) == set(ref)
    assert G.graph["clusterloc"]["settings"] == ref.graph["clusterloc"]["settings"]


def test_build_options_become_settings(
    capsys: pytest.CaptureFixture[str], osm_dir: Path, tmp_path: Path
) -> None:
    source = osm_dir / "fixtures" / "aguascalientes.osm.pbf"
    out = tmp_path / "ags.graph"
    code, _, err = run(
        capsys,
        "network",
        "build",
        str(source),
        "--out",
        str(out),
        "--classes",
        "primary,secondary,tertiary,residential",
        "--speed",
        "primary=33",
        "--max-weight",
        "20",
        "--no-oneway",
        "--quiet",
    )
    assert code == 0, err
    settings = load_graph(out).graph["clusterloc"]["settings"]
    assert settings["road_classes"] == ["primary", "secondary", "tertiary", "residential"]
    assert settings["speeds_kph"]["primary"] == 33.0
    assert settings["max_weight_t"] == 20.0 and settings["respect_oneway"] is False


def test_info_json(capsys: pytest.CaptureFixture[str], kz_network: Path) -> None:
    code, stdout, _ = run(capsys, "network", "info", str(kz_network), "--json")
    assert code == 0
    data = json.loads(stdout)
    assert set(data) == {
        "nodes",
        "edges",
        "components",
        "dropped_nodes",
        "dropped_km",
        "km_by_class",
        "restricted",
        "bbox",
    }
    G = load_graph(kz_network)
    assert data["nodes"] == G.number_of_nodes() and data["edges"] == G.number_of_edges()
    assert data["components"] == 1 and data["dropped_nodes"] == 0
    assert data["km_by_class"] == graph_info(G)["km_by_class"]
    west, south, east, north = data["bbox"]
    assert 46 < west < 50 and 42 < south < 43 and 85 < east < 88 and 55 < north < 56


def test_info_table(capsys: pytest.CaptureFixture[str], kz_network: Path) -> None:
    code, stdout, _ = run(capsys, "network", "info", str(kz_network))
    assert code == 0
    assert "km trunk" in stdout and "nodes" in stdout


def test_distance_astana_almaty(capsys: pytest.CaptureFixture[str], kz_network: Path) -> None:
    code, stdout, err = run(
        capsys,
        "network",
        "distance",
        str(kz_network),
        "71.44598,51.1801",
        "76.9115,43.25249",
        "--json",
    )
    assert code == 0, err
    data = json.loads(stdout)
    assert set(data) == {"km", "hours", "snap_m"}
    assert data["km"] == pytest.approx(1207.95, rel=0.05)
    assert 10 < data["hours"] < 25
    assert len(data["snap_m"]) == 2 and all(0 <= m < 10_000 for m in data["snap_m"])
    # the same number as a plain networkx Dijkstra over the saved graph with both points
    # attached at their nearest road point
    G, (o, t) = attach_points(load_graph(kz_network), [71.44598, 76.9115], [51.1801, 43.25249])
    km = nx.shortest_path_length(G, o, t, weight="length") / 1000
    assert data["km"] == pytest.approx(km, rel=1e-6)


def test_distance_with_negative_longitudes_and_text_output(
    capsys: pytest.CaptureFixture[str], osm_dir: Path, tmp_path: Path
) -> None:
    out = tmp_path / "ags.graph"
    source = osm_dir / "fixtures" / "aguascalientes.osm.pbf"
    assert run(capsys, "network", "build", str(source), "--out", str(out), "-q")[0] == 0
    code, stdout, err = run(
        capsys, "network", "distance", str(out), "-102.2700,21.8700", "-102.2650,21.8720"
    )
    assert code == 0, err
    assert "road distance" in stdout and "km" in stdout


# ------------------------------------------------------------------ bad input: exit 2


def _bad_build(
    capsys: pytest.CaptureFixture[str], source: Path | str, out: Path, *extra: str
) -> str:
    code, _, err = run(capsys, "network", "build", str(source), "--out", str(out), *extra)
    assert code == 2, err
    assert "error:" in err and "Traceback" not in err
    assert len(err.strip().splitlines()) <= 3
    assert not out.exists()
    assert not list(out.parent.glob(f".{out.name}*"))
    return err


def test_bad_sources_exit_2_and_write_nothing(
    capsys: pytest.CaptureFixture[str], osm_dir: Path, tmp_path: Path
) -> None:
    out = tmp_path / "out.graph"
    assert "not found" in _bad_build(capsys, tmp_path / "missing.osm.pbf", out)

    unknown = tmp_path / "roads.txt"
    unknown.write_text("hello")
    assert "unknown road source type" in _bad_build(capsys, unknown, out)

    empty = tmp_path / "empty.osm"
    empty.write_text('<?xml version="1.0"?>\n<osm version="0.6"></osm>\n')
    assert "no roads" in _bad_build(capsys, empty, out)

    garbage = tmp_path / "garbage.osm.pbf"
    garbage.write_bytes(bytes(range(256)) * 16)
    assert "cannot read this OSM file" in _bad_build(capsys, garbage, out)

    ags = osm_dir / "fixtures" / "aguascalientes.osm.pbf"
    assert "no road a truck may use" in _bad_build(capsys, ags, out, "--classes", "motorway")

    shp = tmp_path / "nocrs.shp"
    with pytest.warns(UserWarning):
        gpd.GeoDataFrame(geometry=[shapely.LineString([(0, 0), (1, 1)])], crs=None).to_file(shp)
    assert "no coordinate reference system" in _bad_build(capsys, shp, out)

    assert "expected CLASS=KPH" in _bad_build(capsys, ags, out, "--speed", "trunk")


def test_far_site_and_bad_points_exit_2(
    capsys: pytest.CaptureFixture[str], kz_network: Path, tmp_path: Path
) -> None:
    code, _, err = run(capsys, "network", "distance", str(kz_network), "71.44,51.18", "10,10")
    assert code == 2 and "target" in err and "Traceback" not in err
    code, _, err = run(capsys, "network", "distance", str(kz_network), "71.44", "10,10")
    assert code == 2 and "LON,LAT" in err
    code, _, err = run(capsys, "network", "distance", str(kz_network), "200,51", "71.4,51.1")
    assert code == 2 and "longitude" in err
    not_network = tmp_path / "x.graph"
    not_network.write_text("hello")
    code, _, err = run(capsys, "network", "info", str(not_network))
    assert code == 2 and "not a clusterloc network file" in err
