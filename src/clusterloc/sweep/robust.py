"""A robust plan: ``clusterloc solve SCENARIO --samples N --seed S``.

The scenario's ``uncertainty`` section says what varies (the ``samples`` block of a sweep
file without ``n``/``seed``). :func:`robust_plan` draws ``N`` futures exactly as a sweep
does (:func:`clusterloc.sweep.spec.draw_future`), builds each on the scenario's road
network and lanes (built once), and solves

- the **deterministic plan**: the scenario as written (one future: the scenario itself —
  the same model ``clusterloc solve`` solves);
- the **robust plan**: the two-stage stochastic model over the futures
  (:func:`clusterloc.model.stochastic.solve_stochastic`);
- the deterministic plan **evaluated** on each future (sites fixed, flows re-optimised).

The value of the stochastic solution is the deterministic plan's mean cost over the
futures minus the robust plan's expected cost (``None`` when the deterministic plan
cannot serve some future).
"""

from __future__ import annotations

import json
import logging
import math
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from clusterloc.errors import ScenarioError
from clusterloc.model.stochastic import StochasticResult, solve_stochastic
from clusterloc.scenario.build import build_scenario
from clusterloc.scenario.load import _describe, load_scenario
from clusterloc.scenario.schema import MARKET, SUPPLIER, Scenario
from clusterloc.sweep.spec import UncertaintySpec, draw_future, parse_uncertainty

log = logging.getLogger(__name__)

__all__ = ["RobustPlan", "robust_plan", "uncertainty_of", "write_robust"]


@dataclass
class RobustPlan:
    """Robust and deterministic plans over the same futures.

    Attributes
    ----------
    scenario
        Scenario name.
    futures
        The scenario keys of each future.
    robust, deterministic
        The two plans (``deterministic.future_costs`` has the one scenario's cost).
    deterministic_on_futures
        Cost of the deterministic plan in each future (``None``: it cannot serve it).
    sites
        The facility table (site_id, name, type) for the plan table.
    """

    scenario: str
    samples: int
    seed: int
    futures: list[dict[str, Any]]
    robust: StochasticResult
    deterministic: StochasticResult
    deterministic_on_futures: list[float | None]
    sites: pd.DataFrame

    @property
    def deterministic_expected(self) -> float | None:
        """Mean cost of the deterministic plan over the futures (None if one is infeasible)."""
        costs = self.deterministic_on_futures
        if not costs or any(c is None for c in costs):
            return None
        return math.fsum(c for c in costs if c is not None) / len(costs)

    @property
    def vss(self) -> float | None:
        """Value of the stochastic solution."""
        det = self.deterministic_expected
        if det is None or self.robust.expected_cost is None:
            return None
        return det - self.robust.expected_cost

    def summary(self) -> dict[str, Any]:
        """Plain dict for ``robust.json``.

        Returns
        -------
        dict
        """
        return {
            "scenario": self.scenario,
            "samples": self.samples,
            "seed": self.seed,
            "status": self.robust.status,
            "expected_cost": self.robust.expected_cost,
            "fixed_cost": self.robust.fixed_cost,
            "gap": self.robust.gap,
            "open_sites": self.robust.open_sites,
            "deterministic": {
                "objective": (
                    self.deterministic.future_costs[0] if self.deterministic.future_costs else None
                ),
                "open_sites": self.deterministic.open_sites,
                "expected_cost_on_futures": self.deterministic_expected,
                "infeasible_futures": [
                    i for i, c in enumerate(self.deterministic_on_futures) if c is None
                ],
            },
            "vss": self.vss,
            "seconds": self.robust.seconds,
        }

    def futures_table(self) -> pd.DataFrame:
        """One row per future: its keys, the robust and the deterministic plan's cost.

        Returns
        -------
        pandas.DataFrame
        """
        return pd.DataFrame(
            {
                "future": [f"s{i:04d}" for i in range(len(self.futures))],
                "robust_cost": self.robust.future_costs,
                "deterministic_cost": self.deterministic_on_futures,
                "keys": [json.dumps(f, sort_keys=True) for f in self.futures],
            }
        )

    def plan_table(self) -> pd.DataFrame:
        """One row per facility: open in the robust / the deterministic plan.

        Returns
        -------
        pandas.DataFrame
        """
        fac = self.sites[~self.sites["type"].isin([SUPPLIER, MARKET])]
        table = fac[[c for c in ("site_id", "name", "type", "status") if c in fac.columns]].copy()
        table["robust_open"] = table["site_id"].isin(self.robust.open_sites)
        table["deterministic_open"] = table["site_id"].isin(self.deterministic.open_sites)
        table["robust_level"] = table["site_id"].map(self.robust.levels)
        table["deterministic_level"] = table["site_id"].map(self.deterministic.levels)
        return table.reset_index(drop=True)


def uncertainty_of(scenario: Scenario, path: str | os.PathLike[str]) -> UncertaintySpec:
    """The checked ``uncertainty`` section of a scenario.

    Parameters
    ----------
    scenario
        The loaded scenario.
    path
        Its file (for messages).

    Returns
    -------
    UncertaintySpec

    Raises
    ------
    ScenarioError
        The scenario has none, a distribution is bad, or it varies fixed costs.
    """
    where = _describe(Path(path))
    if scenario.uncertainty is None:
        raise ScenarioError(
            f"scenario {where} has no 'uncertainty' section; --samples needs one "
            "(see docs/scenario.md, 'Robust plans')."
        )
    spec = parse_uncertainty(scenario.uncertainty, where)
    if "fixed" in spec.costs:
        raise ScenarioError(
            f"scenario {where}: uncertainty.costs.fixed: fixed costs are paid before the "
            "future is known and cannot vary in a robust plan."
        )
    return spec


def robust_plan(
    path: str | os.PathLike[str],
    overrides: list[str] | None,
    samples: int,
    seed: int,
) -> RobustPlan:
    """Solve the robust plan of a scenario over ``samples`` futures.

    Parameters
    ----------
    path
        The scenario file.
    overrides
        ``--set`` strings.
    samples
        Number of futures.
    seed
        Seed of the futures (future ``i`` draws from ``default_rng([seed, i])``).

    Returns
    -------
    RobustPlan

    Raises
    ------
    ScenarioError
        The scenario has no ``uncertainty`` section, or it varies fixed costs.
    """
    overrides = list(overrides or [])
    scenario = load_scenario(path, overrides)
    spec = uncertainty_of(scenario, path)
    if samples < 1:
        raise ScenarioError("--samples must be at least 1.")
    from clusterloc.model import make_solver

    base = build_scenario(scenario)
    futures: list[dict[str, Any]] = []
    inputs = []
    for i in range(samples):
        keys = draw_future(spec, seed, i)
        futures.append(keys)
        extra = [f"{k}={json.dumps(v)}" for k, v in keys.items()]
        built = build_scenario(load_scenario(path, overrides + extra), reuse=base)
        inputs.append(built.inputs)
    s = scenario.solver
    solver = make_solver(s.name, time_limit=s.time_limit, gap=s.gap, threads=s.threads, seed=s.seed)
    deterministic = solve_stochastic(base.inputs, [base.inputs], solver)
    robust = solve_stochastic(base.inputs, inputs, solver)
    on_futures: list[float | None] = []
    if deterministic.plan:
        for future in inputs:
            priced = solve_stochastic(base.inputs, [future], solver, fixed_plan=deterministic.plan)
            on_futures.append(priced.future_costs[0] if priced.future_costs else None)
    log.info("robust plan of %s: %s", scenario.name, robust.status)
    return RobustPlan(
        scenario=scenario.name,
        samples=samples,
        seed=seed,
        futures=futures,
        robust=robust,
        deterministic=deterministic,
        deterministic_on_futures=on_futures,
        sites=base.tables.sites,
    )


def _fmt(value: float | None) -> str:
    return "–" if value is None else f"{value:,.0f}"


def report_text(plan: RobustPlan) -> str:
    """The Markdown of the robust plan's ``report.md``.

    Parameters
    ----------
    plan
        The solved plan.

    Returns
    -------
    str
    """
    s = plan.summary()
    lines = [
        f"# Robust plan: {plan.scenario}",
        "",
        f"Two-stage stochastic model (sample average approximation) over {plan.samples} "
        f"futures (seed {plan.seed}); status {s['status']}.",
        "",
        "| | robust plan | deterministic plan |",
        "|---|---|---|",
        f"| expected cost over the futures | {_fmt(s['expected_cost'])} | "
        f"{_fmt(s['deterministic']['expected_cost_on_futures'])} |",
        f"| open sites | {len(plan.robust.open_sites)} | {len(plan.deterministic.open_sites)} |",
        "",
        f"Value of the stochastic solution: **{_fmt(plan.vss)}**"
        + (
            ""
            if plan.vss is not None
            else " (the deterministic plan cannot serve futures "
            f"{s['deterministic']['infeasible_futures']})"
        ),
        "",
        "## Sites that differ",
        "",
    ]
    table = plan.plan_table()
    diff = table[table["robust_open"] != table["deterministic_open"]]
    if len(diff):
        lines += ["| site | type | robust | deterministic |", "|---|---|---|---|"]
        for r in diff.to_dict("records"):
            lines.append(
                f"| {r['site_id']} | {r['type']} | {'open' if r['robust_open'] else '–'} | "
                f"{'open' if r['deterministic_open'] else '–'} |"
            )
    else:
        lines.append("None: both plans open the same sites.")
    lines += ["", "## Each future", "", "| future | robust | deterministic |", "|---|---|---|"]
    for r in plan.futures_table().to_dict("records"):
        det = r["deterministic_cost"]
        det_text = "infeasible" if det is None or pd.isna(det) else _fmt(det)
        lines.append(f"| {r['future']} | {_fmt(r['robust_cost'])} | {det_text} |")
    lines.append("")
    return "\n".join(lines)


def write_robust(plan: RobustPlan, out: str | os.PathLike[str], *, force: bool = False) -> Path:
    """Write ``robust.json``, ``futures.csv``, ``plan.csv`` and ``report.md`` atomically.

    Parameters
    ----------
    plan
        The solved plan.
    out
        The folder to write.
    force
        Replace ``out`` if it exists.

    Returns
    -------
    pathlib.Path
        The folder.
    """
    from clusterloc.outputs.runfolder import atomic_run_dir

    with atomic_run_dir(out, force=force) as tmp:
        (tmp / "robust.json").write_text(
            json.dumps(plan.summary(), indent=2, default=float) + "\n", encoding="utf-8"
        )
        plan.futures_table().to_csv(tmp / "futures.csv", index=False)
        plan.plan_table().to_csv(tmp / "plan.csv", index=False)
        (tmp / "report.md").write_text(report_text(plan), encoding="utf-8")
    return Path(out).absolute()
