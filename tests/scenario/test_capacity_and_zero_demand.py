"""An empty capacity cell means unlimited; a zero-demand market changes nobody's cost."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest

from clusterloc.cli.main import main
from clusterloc.errors import ModelInputError
from clusterloc.model import LocationModel, make_solver

KZ_SMALL = Path(__file__).resolve().parents[1] / "data" / "kz_small"
ALMATY = "plant_almaty,Almaty assembly,plant,76.9115,43.25249,2000000000,40000,"


def _copy(tmp_path: Path, name: str) -> Path:
    folder = tmp_path / name
    shutil.copytree(KZ_SMALL, folder)
    return folder


def _set_almaty_capacity(folder: Path, capacity: str) -> None:
    path = folder / "sites.csv"
    text = path.read_text(encoding="utf-8")
    assert ALMATY in text
    path.write_text(text.replace(ALMATY, ALMATY.replace(",40000,", f",{capacity},")), "utf-8")


def _cli(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    with pytest.raises(SystemExit) as stop:
        main(args)
    code = stop.value.code
    return (code if isinstance(code, int) else 0), capsys.readouterr().err


def _solve(folder: Path, out: Path, capsys: pytest.CaptureFixture[str]) -> dict[str, object]:
    code, err = _cli(["solve", str(folder / "lanes.yaml"), "--out", str(out), "--no-maps"], capsys)
    assert code == 0, err
    summary: dict[str, object] = json.loads((out / "summary.json").read_text())
    return summary


def test_empty_capacity_is_unlimited_in_validate_and_solve(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    blank = _copy(tmp_path, "blank")
    _set_almaty_capacity(blank, "")
    huge = _copy(tmp_path, "huge")
    _set_almaty_capacity(huge, "100000000")
    for flags in (["--no-network"], []):
        code, err = _cli(["validate", str(blank / "lanes.yaml"), *flags], capsys)
        assert code == 0, err
    a = _solve(blank, tmp_path / "runs" / "blank", capsys)
    b = _solve(huge, tmp_path / "runs" / "huge", capsys)
    assert a["status"] == b["status"] == "optimal"
    assert a["objective"] == pytest.approx(b["objective"], rel=1e-9)
    # the 40,000 of the other plants bound the clean scenario: unlimited Almaty is cheaper
    clean = _solve(_copy(tmp_path, "clean"), tmp_path / "runs" / "clean", capsys)
    assert float(a["objective"]) < float(clean["objective"])  # type: ignore[arg-type]


def test_zero_demand_market_does_not_change_the_cost(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    zero = _copy(tmp_path, "zero")
    path = zero / "demand.csv"
    path.write_text(path.read_text().replace("mkt_semey,vehicle,3000", "mkt_semey,vehicle,0"))
    without = _copy(tmp_path, "without")  # Semey left out of every table
    for name in ("sites.csv", "demand.csv", "lanes_straight.csv"):
        path = without / name
        lines = path.read_text().splitlines(keepends=True)
        path.write_text("".join(line for line in lines if "mkt_semey" not in line))
    for single in ("false", "true"):
        args = ["--set", f"policy.single_sourcing={single}"]
        runs = []
        for folder in (zero, without):
            out = tmp_path / "runs" / f"{folder.name}-{single}"
            code, err = _cli(
                ["solve", str(folder / "lanes.yaml"), "--out", str(out), "--no-maps", *args],
                capsys,
            )
            assert code == 0, err
            runs.append(json.loads((out / "summary.json").read_text())["objective"])
        assert runs[0] == pytest.approx(runs[1], rel=1e-9)


def test_zero_demand_customer_with_total_costs_is_refused_not_dropped() -> None:
    cost = np.array([[4.0, 2.0, 8.0], [3.0, 5.0, 1.0]])
    args = (cost, [1.0, 1.0], [10.0, 10.0], [2.0, 3.0, 0.0])
    with pytest.raises(ModelInputError, match=r"customer 'C3' has demand 0: with cost_basis="):
        LocationModel.from_cost_matrix(*args, cost_basis="total", single_sourcing=True)
    # without single sourcing a customer with nothing to receive costs nothing: C3 is free
    sol = LocationModel.from_cost_matrix(*args, cost_basis="total").solve(make_solver(gap=0))
    best = min(f + sum(cost[i, j] for j in (0, 1)) for i, f in enumerate((1.0, 1.0)))
    both = 2.0 + min(cost[0, 0], cost[1, 0]) + min(cost[0, 1], cost[1, 1])
    assert sol.objective == pytest.approx(min(best, both))
