"""The run folder says exactly what was solved (issue 9, part B: provenance)."""

from __future__ import annotations

import json
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import yaml

KZ_SMALL = Path(__file__).resolve().parents[1] / "data" / "kz_small"
Runner = Callable[..., subprocess.CompletedProcess[str]]


def solve(run_cli: Runner, out: Path, *args: str | Path) -> dict[str, Any]:
    proc = run_cli("solve", *args, "--no-maps", "--out", out)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    summary: dict[str, Any] = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    return summary


def test_a_set_override_is_visible_in_the_run_folder(run_cli: Runner, tmp_path: Path) -> None:
    scenario = KZ_SMALL / "lanes.yaml"
    base = solve(run_cli, tmp_path / "base", scenario)
    single = solve(
        run_cli, tmp_path / "single", scenario, "--set", "policy.single_sourcing=true",
        "--time-limit", "30",
    )  # fmt: skip
    assert base["scenario"] == single["scenario"]  # same name, same input files ...
    assert base["inputs"] == single["inputs"]
    assert base["overrides"] == []  # ... but the folders tell the runs apart
    assert single["overrides"] == ["policy.single_sourcing=true", "solver.time_limit=30.0"]
    assert base["scenario_sha256"] != single["scenario_sha256"]
    text = (tmp_path / "single" / "scenario.resolved.yaml").read_text(encoding="utf-8")
    assert "#   policy.single_sourcing=true" in text
    resolved = yaml.safe_load(text)
    assert resolved["policy"]["single_sourcing"] is True
    assert resolved["solver"]["time_limit"] == 30.0
    assert "extends" not in resolved  # the parent is merged in
    assert Path(resolved["sites"]).is_absolute()
    for path, digest in single["inputs"].items():
        assert f"{digest}  {path}" in text


def test_the_resolved_scenario_solves_to_the_same_answer(run_cli: Runner, tmp_path: Path) -> None:
    first = solve(
        run_cli, tmp_path / "first", KZ_SMALL / "lanes.yaml", "--set", "policy.max_open.plant=2"
    )
    again = solve(run_cli, tmp_path / "again", tmp_path / "first" / "scenario.resolved.yaml")
    assert again["objective"] == first["objective"]
    assert again["open_sites"] == first["open_sites"]
    assert again["scenario_sha256"] == first["scenario_sha256"]
    marker = json.loads((tmp_path / "first" / ".clusterloc-run").read_text())
    assert "scenario.resolved.yaml" in marker["files"]
