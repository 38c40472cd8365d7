"""Readers of the published benchmark instances (OR-Library CAP, TSCFLP)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from clusterloc.bench import (
    BenchmarkFileError,
    cap_inputs,
    read_best_known,
    read_cap,
    read_cap_optima,
    read_lower_bounds,
    read_tscflp,
    tscflp_inputs,
)
from clusterloc.errors import InputError


def test_cap41_is_read_with_sizes_totals_and_first_numbers(cap_dir: Path) -> None:
    inst = read_cap(cap_dir / "cap41.txt")
    assert inst.name == "cap41" and inst.capacity is None
    assert inst.costs.shape == (16, 50)
    assert (inst.capacities == 5000).all()
    assert inst.demands.sum() == 58268  # SOURCES.md: total demand of every cap4x-cap13x
    assert inst.fixed_costs[0] == 7500.0
    assert sorted(inst.fixed_costs)[0] == 0.0  # one warehouse with fixed cost 0


def test_cap_inputs_use_per_unit_costs(cap_dir: Path) -> None:
    inst = read_cap(cap_dir / "cap41.txt")
    inputs = cap_inputs(inst)
    lanes = inputs.lanes.set_index(["origin", "destination"])["cost_per_unit"]
    # customer 1 from warehouse 1: the file's cost is for the whole demand
    assert lanes[("w1", "c1")] == pytest.approx(inst.costs[0, 0] / inst.demands[0])
    assert lanes[("w16", "c50")] == pytest.approx(inst.costs[15, 49] / inst.demands[49])
    assert len(inputs.facilities) == 16 and len(inputs.markets) == 50
    assert inputs.markets["demand"].sum() == 58268


def test_capa_needs_a_capacity(cap_dir: Path) -> None:
    with pytest.raises(BenchmarkFileError, match="capacity") as err:
        read_cap(cap_dir / "capa.txt")
    assert "8000" in str(err.value)  # the message lists the published values
    assert isinstance(err.value, InputError)


def test_capa_rejects_an_unpublished_capacity(cap_dir: Path) -> None:
    with pytest.raises(BenchmarkFileError, match="9000 is not one of the published"):
        read_cap(cap_dir / "capa.txt", capacity=9000)


def test_capacity_on_a_numeric_file_is_an_error(cap_dir: Path) -> None:
    with pytest.raises(BenchmarkFileError, match="numeric capacities"):
        read_cap(cap_dir / "cap41.txt", capacity=8000)


def test_capb_with_capacity(cap_dir: Path) -> None:
    inst = read_cap(cap_dir / "capb.txt", capacity=5000)
    assert inst.costs.shape == (100, 1000)
    assert (inst.capacities == 5000).all()
    assert inst.demands.sum() == 51406
    assert inst.label == "capb-5000"


def test_truncated_and_garbled_files(tmp_path: Path, cap_dir: Path) -> None:
    text = (cap_dir / "cap41.txt").read_text().split("\n")
    short = tmp_path / "short.txt"
    short.write_text("\n".join(text[:30]))
    with pytest.raises(BenchmarkFileError, match="expected 884"):
        read_cap(short)
    bad = tmp_path / "bad.txt"
    bad.write_text((cap_dir / "cap41.txt").read_text().replace("7500.", "x7500", 1))
    with pytest.raises(BenchmarkFileError, match="fixed cost of warehouse 1"):
        read_cap(bad)
    with pytest.raises(BenchmarkFileError, match="cannot read"):
        read_cap(tmp_path / "missing.txt")


def test_capopt_lists_all_49_optima(cap_dir: Path) -> None:
    optima = read_cap_optima(cap_dir / "capopt.txt")
    assert len(optima) == 37 + 12
    assert optima["cap41"] == 1040444.375
    assert optima["capa-8000"] == 19240822.449
    assert optima["capc-7250"] == 11505767.394


def test_tscflp_reader_and_mapping(tscflp_dir: Path) -> None:
    inst = read_tscflp(tscflp_dir / "PSC1-C1-50.txt")
    assert inst.plant_depot_costs.shape == (50, 100)
    assert inst.depot_customer_costs.shape == (100, 200)
    assert inst.demands.sum() == 3008  # SOURCES.md example
    assert inst.plant_capacities.sum() == 10805
    assert inst.depot_capacities.sum() == 10424
    assert inst.plant_depot_costs.min() >= 35 and inst.plant_depot_costs.max() <= 45
    inputs = tscflp_inputs(inst)
    assert set(inputs.facilities["type"]) == {"plant", "depot"}
    lanes = inputs.lanes.set_index(["origin", "destination"])["cost_per_unit"]
    assert lanes[("p1", "d1")] == inst.plant_depot_costs[0, 0]
    assert lanes[("d100", "k200")] == inst.depot_customer_costs[99, 199]


def test_tscflp_wrong_token_count(tmp_path: Path, tscflp_dir: Path) -> None:
    bad = tmp_path / "PSC1-C1-50.txt"
    bad.write_text((tscflp_dir / "PSC1-C1-50.txt").read_text() + " 17\n")
    with pytest.raises(BenchmarkFileError, match="expected 25503"):
        read_tscflp(bad)


def test_best_known_and_lower_bounds(tscflp_dir: Path) -> None:
    bks = read_best_known(tscflp_dir / "bks-50.txt")
    lbs = read_lower_bounds(tscflp_dir / "lb-50.txt")
    assert len(bks) == 25 and len(lbs) == 25
    assert bks["PSC1-C1-50"] == 722178
    assert bks["PSC2-C3-50"] == 2697803.8
    assert lbs["PSC1-C1-50"] == 721209.6
    assert all(lbs[k] <= bks[k] for k in bks)
    assert np.isfinite(list(bks.values())).all()
