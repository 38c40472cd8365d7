"""Sweep files → runs: grid product, reproducible samples, stable ids, clear errors."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from clusterloc.errors import ScenarioError
from clusterloc.sweep import expand_runs, load_sweep
from conftest import write_sweep

SWEEP = """
name: small
base: scenario.yaml
grid:
  policy.co2_price: [0, 50000]
  policy.max_open.plant: [1, 2, 3]
samples:
  n: 3
  seed: 11
  demand:
    national: {dist: uniform, low: 0.8, high: 1.2}
    by_market: {mkt_almaty: {dist: normal, mean: 1.0, sd: 0.2}}
  costs:
    transport: {dist: triangular, low: 0.9, mode: 1.0, high: 1.5}
  events:
    - {close: sup_khorgos, probability: 0.5}
"""


def test_grid_times_samples_with_stable_ids(small_dir: Path) -> None:
    spec = load_sweep(write_sweep(small_dir, SWEEP))
    runs = expand_runs(spec)
    assert len(runs) == 2 * 3 * 3
    assert [r.run_id for r in runs[:4]] == [
        "g0000-s0000",
        "g0000-s0001",
        "g0000-s0002",
        "g0001-s0000",
    ]
    assert len({r.run_id for r in runs}) == len(runs)
    first = runs[0]
    assert first.overrides[0] == "solver.threads=1"
    assert "policy.co2_price=0" in first.overrides
    assert "policy.max_open.plant=1" in first.overrides
    assert 0.8 <= first.params["whatif.demand_scale"] <= 1.2
    assert first.params["closed.sup_khorgos"] in (0.0, 1.0)
    # The same sample is drawn for every grid point.
    same_sample = [r for r in runs if r.run_id.endswith("s0001")]
    scales = {r.params["whatif.demand_scale"] for r in same_sample}
    assert len(scales) == 1


def test_reproducible_and_adding_samples_keeps_earlier_ones(small_dir: Path) -> None:
    a = expand_runs(load_sweep(write_sweep(small_dir, SWEEP)))
    b = expand_runs(load_sweep(write_sweep(small_dir, SWEEP)))
    assert a == b
    more = expand_runs(load_sweep(write_sweep(small_dir, SWEEP.replace("n: 3", "n: 5"))))
    by_id = {r.run_id: r for r in more}
    assert all(by_id[r.run_id] == r for r in a)
    other_seed = expand_runs(load_sweep(write_sweep(small_dir, SWEEP.replace("11", "12"))))
    assert other_seed[0].params != a[0].params


def test_sampled_events_follow_their_probability(small_dir: Path) -> None:
    text = SWEEP.replace("n: 3", "n: 400").replace("probability: 0.5", "probability: 0.25")
    runs = [r for r in expand_runs(load_sweep(write_sweep(small_dir, text))) if r.run_id < "g0001"]
    closed = sum(r.params["closed.sup_khorgos"] for r in runs)
    assert 60 <= closed <= 140  # 100 expected of 400
    values = [json.loads(o.partition("=")[2]) for o in runs[0].overrides if "closed" in o]
    assert values and isinstance(values[0], list)


@pytest.mark.parametrize(
    ("text", "needle"),
    [
        (SWEEP.replace("low: 0.8, high: 1.2", "low: 1.2, high: 0.8"), "samples.demand.national"),
        (SWEEP.replace("dist: uniform", "dist: beta"), "samples.demand.national"),
        (SWEEP.replace("probability: 0.5", "probability: 1.5"), "samples.events.0.probability"),
        (SWEEP.replace("base: scenario.yaml", "base: nothere.yaml"), "nothere.yaml"),
        ("name: x\nbase: scenario.yaml\n", "give a 'grid', 'samples' or both"),
        (SWEEP + "extra: 1\n", "extra"),
    ],
)
def test_bad_sweep_file_names_the_key(small_dir: Path, text: str, needle: str) -> None:
    with pytest.raises(ScenarioError, match=None) as err:
        load_sweep(write_sweep(small_dir, text))
    message = str(err.value)
    assert needle in message
    assert "small.sweep.yaml" in message
    assert "\n" not in message
