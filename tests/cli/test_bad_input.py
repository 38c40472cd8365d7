"""Bad input: one clear line, exit code 2, nothing written (issue 3's list, one test each)."""

from __future__ import annotations

import re
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest

Runner = Callable[..., subprocess.CompletedProcess[str]]


def replace(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, f"{old!r} not in {path}"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def malformed_yaml(d: Path) -> None:
    (d / "scenario.yaml").write_text("name: broken\nsites: [sites.csv\nsupply: supply.csv\n")


def unknown_key(d: Path) -> None:
    replace(d / "scenario.yaml", "policy:\n", "policy:\n  max_opn: {plant: 2}\n")


def missing_table(d: Path) -> None:
    (d / "supply.csv").unlink()


def missing_column(d: Path) -> None:
    replace(d / "sites.csv", "site_id,name,type,lon,lat", "site_id,name,type,lon,latitude")


def wrong_type(d: Path) -> None:
    replace(d / "scenario.yaml", "max_open: {plant: 3}", "max_open: {plant: three}")


def latitude_95(d: Path) -> None:
    replace(d / "sites.csv", "71.44598,51.1801,2000000000", "71.44598,95,2000000000")


def nan_demand(d: Path) -> None:
    replace(d / "demand.csv", "mkt_pavlodar,vehicle,3000", "mkt_pavlodar,vehicle,NaN")


def duplicate_site_id(d: Path) -> None:
    replace(d / "sites.csv", "mkt_semey,Semey", "mkt_kostanay,Semey")


def extends_cycle(d: Path) -> None:
    replace(d / "scenario.yaml", "name: kz_small\n", "name: kz_small\nextends: lanes.yaml\n")


def missing_osm_file(d: Path) -> None:
    replace(
        d / "scenario.yaml",
        "${CLUSTERLOC_SHARED}/data/osm/kz_republic_roads_KAZ01-23.geojson",
        "${CLUSTERLOC_SHARED}/data/osm/kazakhstan-latest.osm.pbf",
    )


def unknown_solver_in_file(d: Path) -> None:
    replace(d / "scenario.yaml", "name: highs", "name: gurobi")


def unchanged(d: Path) -> None:
    pass


def misspelled_column(d: Path) -> None:
    replace(d / "sites.csv", "lat,fixed_cost,", "lat,fixed_costs,")


def misspelled_inline_column(d: Path) -> None:
    replace(
        d / "scenario.yaml", "weight_t: 1.2, rate_per_tkm: 25", "weight_t: 1.2, rate_per_km: 25"
    )


def latin1_table(d: Path) -> None:
    text = (d / "sites.csv").read_text(encoding="utf-8").replace("Kostanay", "Kóstanay")
    (d / "sites.csv").write_bytes(text.encode("latin-1"))


CASES: list[tuple[str, Callable[[Path], None], list[str], str]] = [
    ("malformed_yaml", malformed_yaml, [], r"scenario\.yaml line 3: malformed YAML"),
    (
        "unknown_key",
        unknown_key,
        [],
        r"scenario\.yaml line 28: unknown key 'policy\.max_opn' \(did you mean 'max_open'\?\); "
        r"allowed keys: budget,",
    ),
    ("missing_table", missing_table, [], r"table file .*supply\.csv not found"),
    (
        "missing_column",
        missing_column,
        [],
        r"sites\.csv line 1, column 5: unknown sites column 'latitude'; did you mean 'lat'\?",
    ),
    (
        "wrong_type",
        wrong_type,
        [],
        r"scenario\.yaml line 28: policy\.max_open\.plant: input should be a valid integer",
    ),
    ("latitude_95", latitude_95, [], r"sites\.csv line 6: sites column 'lat' must be <= 90"),
    ("nan_demand", nan_demand, [], r"demand\.csv line 7: demand column 'demand' is empty or NaN"),
    (
        "duplicate_site_id",
        duplicate_site_id,
        [],
        r"sites\.csv line 18: duplicate site_id 'mkt_kostanay' \(first at .*line 17\)",
    ),
    (
        "extends_cycle",
        extends_cycle,
        [],
        r"'extends' cycle: .*scenario\.yaml -> .*lanes\.yaml -> .*scenario\.yaml",
    ),
    (
        "missing_osm_file",
        missing_osm_file,
        [],
        r"network\.source: road file .*kazakhstan-latest\.osm\.pbf not found",
    ),
    (
        "misspelled_column",
        misspelled_column,
        [],
        r"sites\.csv line 1, column 6: unknown sites column 'fixed_costs'; did you mean "
        r"'fixed_cost'\?",
    ),
    (
        "misspelled_inline_column",
        misspelled_inline_column,
        [],
        r"scenario\.yaml line 15 commodities\[0\]: unknown commodities column 'rate_per_km'; "
        r"did you mean 'rate_per_tkm'\?",
    ),
    (
        "misspelled_set_into_list_item",
        unchanged,
        ["--set", "commodities.0.weght=1.3"],
        r"--set commodities\.0\.weght=1\.3: commodities\[0\]: unknown commodities column "
        r"'weght'; did you mean 'weight_t'\?",
    ),
    (
        "latin1_table",
        latin1_table,
        [],
        r"sites\.csv line 4: byte 0xf3 is not UTF-8",
    ),
    (
        "unknown_solver_option",
        unchanged,
        ["--solver", "gurobi"],
        r"--solver: unknown solver 'gurobi'; choose one of: highs, cbc",
    ),
    (
        "unknown_solver_in_file",
        unknown_solver_in_file,
        [],
        r"solver\.name: unknown solver 'gurobi'; choose one of: highs, cbc",
    ),
    (
        "bad_override",
        unchanged,
        ["--set", "policy.co2_price=cheap"],
        r"--set policy\.co2_price=cheap: policy\.co2_price: input should be a valid number",
    ),
]


#: validate runs the same checks as solve; a few cases confirm it reports them too.
VALIDATE_CASES = (
    "malformed_yaml",
    "unknown_key",
    "latitude_95",
    "extends_cycle",
    "missing_osm_file",
    "misspelled_column",
)
PARAMS = [pytest.param("solve", *c[1:], id=f"solve-{c[0]}") for c in CASES] + [
    pytest.param("validate", *c[1:], id=f"validate-{c[0]}") for c in CASES if c[0] in VALIDATE_CASES
]


@pytest.mark.parametrize(("command", "mutate", "extra", "pattern"), PARAMS)
def test_bad_input_exits_2_with_one_line_and_writes_nothing(
    run_cli: Runner,
    scenario_dir: Path,
    tmp_path: Path,
    command: str,
    mutate: Callable[[Path], None],
    extra: list[str],
    pattern: str,
) -> None:
    mutate(scenario_dir)
    before = sorted(p.relative_to(tmp_path) for p in tmp_path.rglob("*"))
    args: list[str | Path] = [command, scenario_dir / "scenario.yaml", *extra]
    if command == "solve":
        args += ["--out", tmp_path / "runs" / "out"]
    proc = run_cli(*args, cwd=tmp_path)
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert "Traceback" not in proc.stderr
    errors = [line for line in proc.stderr.splitlines() if line.startswith("error:")]
    assert len(errors) == 1, proc.stderr
    assert re.search(pattern, proc.stderr.replace("\n", " ")), proc.stderr
    after = sorted(p.relative_to(tmp_path) for p in tmp_path.rglob("*"))
    assert after == before  # no run folder, no temporary folder, no parent created
