"""Issue 16 through the real ``clusterloc`` command: a site whose road was dropped, and
small extracts that keep little or nothing of their roads."""

from __future__ import annotations

import re
import subprocess
from collections.abc import Callable
from pathlib import Path

Runner = Callable[..., subprocess.CompletedProcess[str]]

#: Rudnyy (GeoNames), 1.1 km from KAZ19 but 40.4 km from the rest of the KZ layer when
#: the layer is built without joining line ends (KAZ19 is then a piece of its own).
RUDNYY = "mkt_rudnyy,Rudnyy,market,63.11055,52.97244,,,,,\n"


def add_rudnyy(folder: Path) -> None:
    with (folder / "sites.csv").open("a", encoding="utf-8") as fh:
        fh.write(RUDNYY)
    with (folder / "demand.csv").open("a", encoding="utf-8") as fh:
        fh.write("mkt_rudnyy,vehicle,1000\n")


def test_solve_says_the_nearest_road_was_dropped_and_how_to_keep_it(
    run_cli: Runner, scenario_dir: Path, tmp_path: Path
) -> None:
    add_rudnyy(scenario_dir)
    scenario = scenario_dir / "scenario.yaml"
    out = tmp_path / "run"
    res = run_cli("solve", scenario, "--set", "network.truck.join_tolerance_m=0", "--out", out)
    assert res.returncode == 2, res.stdout + res.stderr
    errors = [line for line in res.stderr.splitlines() if line.startswith("error:")]
    assert len(errors) == 1 and "Traceback" not in res.stderr
    message = errors[0]
    assert "site 'mkt_rudnyy' is 40.4 km from the nearest road point" in message
    assert "its nearest road, 1.1 km away (KAZ19, a piece of 218.4 km), was dropped" in message
    assert "join_tolerance_m (--join-tolerance) of at least 100 m joins it" in message
    assert "road node" not in message
    assert not out.exists()
    # the fix the message names works: a 100 m tolerance joins KAZ19 and Rudnyy snaps
    ok = run_cli("validate", scenario, "--set", "network.truck.join_tolerance_m=100")
    assert ok.returncode == 0, ok.stderr


def test_empty_small_extract_names_the_options_that_help(
    run_cli: Runner, osm_dir: Path, tmp_path: Path
) -> None:
    """West Oakland keeps no truck road with the defaults: the error says which options
    would help, and they do."""
    west_oakland = osm_dir / "fixtures" / "West-Oakland.osm.bz2"
    out = tmp_path / "wo.graph"
    res = run_cli("network", "build", west_oakland, "--out", out, "--no-cache", "-q")
    assert res.returncode == 2 and not out.exists()
    message = " ".join(res.stderr.split())
    assert "--classes / network.truck.road_classes" in message
    assert "the file also has residential 9" in message
    assert "--no-oneway / respect_oneway: false" in message
    assert "a larger extract" in message
    classes = "secondary,unclassified,residential,service"
    fixed = run_cli(
        "network", "build", west_oakland, "--out", out, "--no-cache", "-q",
        "--classes", classes, "--no-oneway",
    )  # fmt: skip
    assert fixed.returncode == 0, fixed.stderr
    assert "7.0 km of road" in fixed.stdout


def test_small_extract_build_warns_with_the_same_hint(
    run_cli: Runner, osm_dir: Path, tmp_path: Path
) -> None:
    """Aguascalientes keeps 13.7 of its 30.6 km of truck road: the build says so."""
    pbf = osm_dir / "fixtures" / "aguascalientes.osm.pbf"
    res = run_cli("network", "build", pbf, "--out", tmp_path / "a.graph", "--no-cache", "-q")
    assert res.returncode == 0, res.stderr
    warning = " ".join(res.stderr.split())
    assert "only 13.7 of 30.6 km of truck road are strongly connected" in warning
    assert "--classes" in warning and "--no-oneway" in warning and "larger extract" in warning


def test_build_help_lists_the_default_classes(run_cli: Runner) -> None:
    res = run_cli("network", "build", "--help")
    assert res.returncode == 0
    text = re.sub(r"[│╭╮╰╯─\s]+", " ", res.stdout)
    assert (
        "[default: motorway, motorway_link, trunk, trunk_link, primary, primary_link, "
        "secondary, secondary_link, tertiary, tertiary_link]" in text
    )
    for option in ("--height", "--width", "--length", "--axle-load", "--keep-closures"):
        assert option in text
