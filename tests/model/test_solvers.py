"""Solvers by name, and an honest status when a run stops at its time limit."""

from __future__ import annotations

import json
from collections.abc import Callable

import highspy
import numpy as np
import pytest

from clusterloc.errors import NoSolutionError, SolverUnavailableError
from clusterloc.model import LocationModel, ModelInputs, available_solvers, find_cbc, make_solver
from clusterloc.model.solvers import SUBMIP_HEURISTICS, focus_on_bound

needs_cbc = pytest.mark.skipif(find_cbc() is None, reason="no CBC binary")


def test_unknown_solver_lists_available() -> None:
    with pytest.raises(SolverUnavailableError) as info:
        make_solver("gurobi-9000")
    assert "highs" in str(info.value)
    assert "highs" in available_solvers()


def test_solver_known_to_pulp_but_not_installed() -> None:
    with pytest.raises(SolverUnavailableError, match=r"not installed|cannot be created"):
        make_solver("CPLEX_CMD")


def test_time_limited_run_is_never_called_optimal(
    cap_instance: Callable[..., tuple[np.ndarray, ...]],
) -> None:
    # single-sourcing instance that HiGHS cannot prove within one second
    model = LocationModel.from_cost_matrix(*cap_instance(), single_sourcing=True)
    sol = model.solve(make_solver("highs", time_limit=1.0, threads=1, seed=1))
    assert sol.status in ("feasible", "no_solution")
    assert sol.status != "optimal"
    if sol.status == "feasible":
        # PuLP itself would report this run as "Optimal" (status 1, sol_status 2)
        assert model.problem is not None
        assert (model.problem.status, model.problem.sol_status) == (1, 2)
        info = model.problem.solverModel.getInfo()
        assert sol.gap == pytest.approx(info.mip_gap, rel=1e-6)
        assert sol.best_bound == pytest.approx(info.mip_dual_bound)
        assert sol.best_bound is not None and sol.objective is not None
        assert sol.gap is not None and sol.gap > 1e-4
        assert sol.best_bound < sol.objective
        assert sol.summary()["status"] == "feasible"
    else:
        with pytest.raises(NoSolutionError):
            sol.raise_for_status()


def test_warm_start_gives_a_solution_under_a_tight_limit(
    cap_instance: Callable[..., tuple[np.ndarray, ...]],
) -> None:
    model = LocationModel.from_cost_matrix(*cap_instance(), single_sourcing=True)
    model.build()
    sol = model.solve(
        make_solver("highs", time_limit=4, threads=1, seed=1), initial_open=set(model.open_vars)
    )
    assert sol.status == "feasible"
    assert sol.objective is not None and sol.objective > 0
    assert len(sol.open_sites) > 0


def test_warm_start_rejects_unknown_site(chain: Callable[..., ModelInputs]) -> None:
    from clusterloc.errors import ModelInputError

    with pytest.raises(ModelInputError, match="X9"):
        LocationModel.from_inputs(chain()).solve(initial_open={"X9"})


@needs_cbc
def test_cbc_time_limit_is_feasible_not_optimal(
    cap_instance: Callable[..., tuple[np.ndarray, ...]],
) -> None:
    model = LocationModel.from_cost_matrix(*cap_instance(30, 150, 7), single_sourcing=True)
    model.build()
    sol = model.solve(
        make_solver("cbc", time_limit=2, threads=1), initial_open=set(model.open_vars)
    )
    assert sol.status in ("feasible", "no_solution")
    if sol.status == "feasible":
        assert sol.best_bound is not None and sol.objective is not None
        assert sol.best_bound < sol.objective
        assert sol.gap is not None and sol.gap > 1e-4
    assert sol.solver["name"] == "cbc"


@needs_cbc
def test_cbc_and_highs_agree(cap_instance: Callable[..., tuple[np.ndarray, ...]]) -> None:
    args = cap_instance(8, 30, 11)
    a = LocationModel.from_cost_matrix(*args).solve(make_solver("highs", gap=0)).raise_for_status()
    b = LocationModel.from_cost_matrix(*args).solve(make_solver("cbc", gap=0)).raise_for_status()
    assert a.status == b.status == "optimal"
    assert a.objective == pytest.approx(b.objective, rel=1e-6)


def test_summary_is_plain_and_deterministic(chain: Callable[..., ModelInputs]) -> None:
    one = LocationModel.from_inputs(chain(co2_price=3.0)).solve().summary()
    two = LocationModel.from_inputs(chain(co2_price=3.0)).solve().summary()
    one.pop("seconds")
    two.pop("seconds")
    assert one == two
    assert json.loads(json.dumps(one)) == one
    assert set(one["costs"]) == {"fixed", "transport", "handling", "purchase", "co2", "unmet"}
    assert one["solver"]["name"] == "highs"


def test_seconds_reported(chain: Callable[..., ModelInputs]) -> None:
    sol = LocationModel.from_inputs(chain()).solve()
    assert set(sol.seconds) == {"build", "solve"}
    assert all(v >= 0 for v in sol.seconds.values())


def test_cbc_missing_says_how_to_install(monkeypatch: pytest.MonkeyPatch) -> None:
    # PuLP 4 bundles no CBC binary: with none on PATH either, the error says what to do
    import pulp

    from clusterloc.model import solvers

    monkeypatch.setattr(solvers.shutil, "which", lambda name: None)
    monkeypatch.setattr(pulp.apis.coin_api, "pulp_cbc_path", "/nonexistent/cbc", raising=False)
    assert solvers.find_cbc() is None
    with pytest.raises(SolverUnavailableError, match="coinor-cbc"):
        make_solver("cbc")
    assert "cbc" not in available_solvers()


@needs_cbc
def test_cbc_prefers_binary_on_path(monkeypatch: pytest.MonkeyPatch) -> None:
    import pulp

    from clusterloc.model import solvers

    path = find_cbc()
    monkeypatch.setattr(solvers.shutil, "which", lambda name: path if name == "cbc" else None)
    solver = make_solver("cbc", time_limit=5, gap=0.01, threads=1, seed=3)
    assert isinstance(solver, pulp.COIN_CMD)
    assert solver.path == path
    assert "randomCbcSeed 3" in solver.options


@pytest.mark.parametrize("solver", ["highs", pytest.param("cbc", marks=needs_cbc)])
def test_stopping_at_a_loose_gap_is_not_optimal(
    solver: str, cap_instance: Callable[..., tuple[np.ndarray, ...]]
) -> None:
    # the solver may stop once within 5 %: optimal only if the proven gap is <= 1e-4
    model = LocationModel.from_cost_matrix(*cap_instance(20, 80, 5), single_sourcing=True)
    sol = model.solve(make_solver(solver, gap=0.05, time_limit=30, threads=1))
    assert sol.status in ("optimal", "feasible")
    assert sol.gap is not None and sol.best_bound is not None and sol.objective is not None
    assert sol.gap <= 0.05 + 1e-9
    assert (sol.status == "optimal") == (sol.gap <= 1e-4)
    assert sol.best_bound <= sol.objective + 1e-6


def test_focus_on_bound_switches_off_highs_sub_mip_heuristics() -> None:
    solver = make_solver("highs")
    assert focus_on_bound(solver)
    assert all(solver.optionsDict[name] is False for name in SUBMIP_HEURISTICS)
    # HiGHS knows every option it is given (an unknown one is an error there)
    highs = highspy.Highs()
    for name in SUBMIP_HEURISTICS:
        status, value = highs.getOptionValue(name)
        assert status == highspy.HighsStatus.kOk and value is True


@needs_cbc
def test_focus_on_bound_leaves_other_solvers_alone() -> None:
    solver = make_solver("cbc")
    assert not focus_on_bound(solver)
    assert not set(SUBMIP_HEURISTICS) & set(getattr(solver, "optionsDict", {}))
