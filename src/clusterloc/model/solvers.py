"""Solver construction and honest status reading.

:func:`make_solver` returns a PuLP solver object: HiGHS in-process (highspy) by
default, CBC (a ``cbc`` binary on ``PATH`` through :class:`pulp.COIN_CMD`, else the
binary PuLP 3 bundles), or any other solver PuLP knows by name.

:func:`read_result` reads what the solver actually proved. PuLP reports a run that
stopped at its time limit with an incumbent as ``prob.status == 1`` ("Optimal") with
``prob.sol_status == 2`` (pulp#649, #711); here such a run is ``"feasible"`` with its
gap and best bound, never ``"optimal"``.
"""

from __future__ import annotations

import contextlib
import logging
import math
import os
import re
import shutil
import signal
import sys
import tempfile
import time
import warnings
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pulp

from clusterloc.constants import SolveStatus
from clusterloc.errors import SolverUnavailableError

__all__ = [
    "CANCEL_WAIT",
    "OPTIMAL_GAP",
    "STATUSES",
    "SUBMIP_HEURISTICS",
    "CbcSolver",
    "SolveResult",
    "available_solvers",
    "find_cbc",
    "focus_on_bound",
    "make_solver",
    "run_highs",
    "run_solver",
    "set_start",
    "solver_label",
]

log = logging.getLogger(__name__)

#: Relative gap at or below which a MIP proven by the solver is called optimal
#: (HiGHS's and CBC's default optimality tolerance).
OPTIMAL_GAP = 1e-4

STATUSES = tuple(SolveStatus)

_CBC_HELP = (
    "install a CBC binary (Debian/Ubuntu: 'apt-get install coinor-cbc'; or "
    "'pip install cbcbox' / 'pip install pulp[cbc]') so that 'cbc' is on PATH"
)


@contextlib.contextmanager
def _stdout_fd_silenced() -> Any:
    """Send file descriptor 1 to /dev/null (C libraries print there, bypassing Python)."""
    sys.stdout.flush()
    saved = os.dup(1)
    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(devnull, 1)
        yield
    finally:
        os.dup2(saved, 1)
        os.close(saved)
        os.close(devnull)


try:  # highspy is a hard dependency, but keep the import error readable
    import highspy

    _HIGHS_OK = True
except ImportError:  # pragma: no cover - exercised only without highspy
    _HIGHS_OK = False

if _HIGHS_OK:
    # HiGHS >= 1.16 prints a copyright banner on stdout when the first model of a process is
    # created, whatever output_flag says; swallow it once here so that stdout stays clean
    # (e.g. the one JSON line of `clusterloc bench`). Solver logs still follow `msg`.
    with _stdout_fd_silenced():
        highspy.Highs()  # type: ignore[no-untyped-call]


@dataclass
class SolveResult:
    """What one solver run proved.

    Attributes
    ----------
    status
        A :class:`~clusterloc.constants.SolveStatus` (a string given is converted):
        ``optimal``, ``feasible`` (a solution, optimality not proven), ``infeasible``
        or ``no_solution`` (stopped at a limit without any solution).
    objective
        Objective of the solution found (``None`` without one).
    best_bound
        Proven lower bound on the optimum (``None`` when unknown).
    gap
        Relative gap ``(objective - best_bound) / max(|objective|, 1e-9)``.
    solver
        ``{"name": ..., "version": ...}``.
    message
        The solver's own status words.
    """

    status: SolveStatus
    objective: float | None = None
    best_bound: float | None = None
    gap: float | None = None
    solver: dict[str, str] = field(default_factory=dict)
    message: str = ""

    def __post_init__(self) -> None:
        self.status = SolveStatus(self.status)


if _HIGHS_OK:
    _MS = highspy.HighsModelStatus

    class HighsSolver(pulp.HiGHS):  # type: ignore[misc]
        """PuLP's in-process HiGHS with a MIP start, a random seed, all model statuses
        mapped, and the model handed to HiGHS in one call (row-wise arrays)."""

        name = "HiGHS"

        def __init__(self, *args: Any, seed: int | None = None, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            self.seed = seed
            self.start: dict[pulp.LpVariable, float] = {}

        def createAndConfigureSolver(self, lp: pulp.LpProblem) -> None:  # noqa: N802
            if self.threads is not None:
                # HiGHS keeps one thread pool per process; a new thread count needs a new one
                highspy.Highs.resetGlobalScheduler(True)
            super().createAndConfigureSolver(lp)
            if self.seed is not None:
                lp.solverModel.setOptionValue("random_seed", int(self.seed))

        def callSolver(self, lp: pulp.LpProblem) -> None:  # noqa: N802
            run_highs(lp.solverModel)

        def actualSolve(self, lp: pulp.LpProblem) -> int:  # noqa: N802
            # as PuLP's, but the variable list is collected once (each lp.variables() call
            # scans every constraint and sorts)
            self.createAndConfigureSolver(lp)
            self.buildSolverModel(lp)
            self.callSolver(lp)
            status, sol_status = self.findSolutionValues(lp)
            for var in self._variables:
                var.modified = False
            for con in lp._constraints.values():
                con.modifier = False
            lp.assignStatus(status, sol_status)
            return int(status)

        def buildSolverModel(self, lp: pulp.LpProblem) -> None:  # noqa: N802
            variables = lp.variables()
            self._variables: list[pulp.LpVariable] = variables
            self.is_mip = self.mip and any(v.cat == pulp.LpInteger for v in variables)
            n = len(variables)
            for i, var in enumerate(variables):
                var.index = i
            obj = lp.objective or {}
            sign = -1.0 if lp.sense == pulp.LpMaximize else 1.0
            cost = np.zeros(n)
            for var, coef in obj.items():
                cost[var.index] = sign * coef
            inf = highspy.kHighsInf
            lower = np.array([-inf if v.lowBound is None else v.lowBound for v in variables], float)
            upper = np.array([inf if v.upBound is None else v.upBound for v in variables], float)
            constraints = list(lp._constraints.values())
            m = len(constraints)
            row_lo = np.empty(m)
            row_up = np.empty(m)
            counts = np.zeros(m, dtype=np.int64)
            col_l: list[int] = []
            val_l: list[float] = []
            for r, con in enumerate(constraints):
                con.index = r
                expr = con.expr if hasattr(con, "expr") else con
                counts[r] = len(expr)
                col_l.extend([v.index for v in expr])
                val_l.extend(expr.values())
                lb = con.getLb()
                ub = con.getUb()
                row_lo[r] = -inf if lb is None else lb
                row_up[r] = inf if ub is None else ub
            row_i = np.repeat(np.arange(m, dtype=np.int64), counts)
            col_i = np.asarray(col_l, dtype=np.int64)
            val_a = np.asarray(val_l, dtype=float)
            keep = val_a != 0
            row_i, col_i, val_a = row_i[keep], col_i[keep], val_a[keep]
            start = np.zeros(m + 1, dtype=np.int64)
            np.cumsum(np.bincount(row_i, minlength=m), out=start[1:])
            model = highspy.HighsLp()
            model.num_col_ = n
            model.num_row_ = m
            model.col_cost_ = cost
            model.col_lower_ = lower
            model.col_upper_ = upper
            model.row_lower_ = row_lo
            model.row_upper_ = row_up
            model.a_matrix_.format_ = highspy.MatrixFormat.kRowwise
            model.a_matrix_.start_ = start.astype(np.int32)
            model.a_matrix_.index_ = col_i.astype(np.int32)
            model.a_matrix_.value_ = val_a
            if self.is_mip:
                integrality = [
                    highspy.HighsVarType.kInteger
                    if v.cat == pulp.LpInteger
                    else highspy.HighsVarType.kContinuous
                    for v in variables
                ]
                model.integrality_ = integrality
            lp.solverModel.passModel(model)
            if self.start:
                known = [(v.index, float(x)) for v, x in self.start.items() if v.index is not None]
                if known:
                    index = np.array([i for i, _ in known], dtype=np.int32)
                    value = np.array([x for _, x in known], dtype=float)
                    lp.solverModel.setSolution(len(known), index, value)

        def findSolutionValues(self, lp: pulp.LpProblem) -> tuple[int, int]:  # noqa: N802
            h = lp.solverModel
            status = h.getModelStatus()
            info = h.getInfo()
            has_solution = int(info.primal_solution_status) == 2
            solution = h.getSolution()
            if has_solution:
                col_values = list(solution.col_value)
                col_duals = (
                    list(solution.col_dual) if solution.dual_valid else [None] * len(col_values)
                )
                for var in self._variables:
                    var.varValue = col_values[var.index]
                    var.dj = col_duals[var.index]
                if solution.dual_valid:
                    for con in lp._constraints.values():
                        con.pi = solution.row_dual[con.index]
            if status == _MS.kOptimal:
                return pulp.LpStatusOptimal, pulp.LpSolutionOptimal
            if status in (_MS.kInfeasible, _MS.kUnboundedOrInfeasible):
                return pulp.LpStatusInfeasible, pulp.LpSolutionInfeasible
            if status == _MS.kUnbounded:
                return pulp.LpStatusUnbounded, pulp.LpSolutionUnbounded
            if has_solution:
                return pulp.LpStatusOptimal, pulp.LpSolutionIntegerFeasible
            return pulp.LpStatusNotSolved, pulp.LpSolutionNoSolutionFound


def run_highs(h: Any, poll_seconds: float = 0.1) -> None:
    """Run a ``highspy.Highs`` model so that Ctrl-C and SIGTERM stop it at once.

    ``h.run()`` holds the calling thread inside HiGHS until the solve ends, so a signal
    handler only runs when the time limit is reached. Here HiGHS solves in highspy's
    solver thread with its interrupt callback switched on (``HandleUserInterrupt``), and
    the calling thread waits in slices of ``poll_seconds``; on any exception there
    (``KeyboardInterrupt``, the CLI's ``Interrupted``) the solve is cancelled through the
    callback, the solver thread is joined, and the exception goes on. The callback only
    reads a flag: the search, and so every result, is the same as with ``h.run()``.

    Parameters
    ----------
    h
        A ``highspy.Highs`` object with its model passed.
    poll_seconds
        How often the waiting thread wakes up (and so how soon a signal is handled).
    """
    h.HandleUserInterrupt = True
    thread = h.startSolve()
    try:
        while not h.wait(poll_seconds)[0]:
            pass
    except BaseException:
        h.cancelSolve()
        thread.join(timeout=CANCEL_WAIT)
        if thread.is_alive():  # e.g. in presolve, where HiGHS does not look at the callback
            log.info("HiGHS did not stop within %.1f s; its thread is left to finish", CANCEL_WAIT)
        else:
            log.info("HiGHS solve cancelled")
        raise


#: Seconds :func:`run_highs` waits for a cancelled HiGHS solve to stop before it lets the
#: interrupt go on anyway (the solver thread then ends on its own or with the process).
CANCEL_WAIT = 1.0


def _children_using(folder: str) -> list[int]:
    """Child processes of this process whose command line names ``folder`` (Linux /proc)."""
    me = os.getpid()
    found = []
    try:
        entries = os.listdir("/proc")
    except OSError:
        return []
    for entry in entries:
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat", "rb") as fh:
                stat = fh.read().decode(errors="replace")
            ppid = int(stat.rsplit(")", 1)[1].split()[1])
            if ppid != me:
                continue
            with open(f"/proc/{entry}/cmdline", "rb") as fh:
                cmdline = fh.read().decode(errors="replace")
        except (OSError, ValueError, IndexError):
            continue
        if folder in cmdline:
            found.append(int(entry))
    return found


def _signal_children(folder: str, sig: int) -> list[int]:
    pids = _children_using(folder)
    for pid in pids:
        with contextlib.suppress(OSError):
            os.kill(pid, sig)
    return pids


def _stop_children(folder: str, grace: float = 1.0) -> None:
    """SIGTERM the solver children using ``folder``; SIGKILL what still runs after ``grace``."""
    pids = _signal_children(folder, signal.SIGTERM)
    deadline = time.monotonic() + grace
    while pids and time.monotonic() < deadline:
        for pid in list(pids):
            with contextlib.suppress(ChildProcessError, OSError):
                done, _ = os.waitpid(pid, os.WNOHANG)
                if done:
                    pids.remove(pid)
        time.sleep(0.02)
    for pid in pids:
        with contextlib.suppress(OSError):
            os.kill(pid, signal.SIGKILL)
        with contextlib.suppress(ChildProcessError, OSError):
            os.waitpid(pid, 0)


class CbcSolver(pulp.COIN_CMD):  # type: ignore[misc]
    """PuLP's CBC command, kept inside its time limit and unable to outlive its run.

    * Every file of a solve (``.mps``, ``.sol``, start, log) lives in a private
      temporary folder, removed when the solve ends, however it ends.
    * If the run is interrupted (Ctrl-C, SIGTERM, any exception) while ``cbc`` runs,
      the child process is stopped (SIGTERM, SIGKILL after 1 s) before the exception
      goes on.

    CBC itself is not stopped at its time limit from outside: a CBC sent SIGINT before it
    has a solution writes "Infeasible" into its solution file, which would be a wrong answer.
    """

    def actualSolve(self, lp: pulp.LpProblem, **kwargs: Any) -> int:  # noqa: N802
        """Solve ``lp`` with ``cbc`` in a private temporary folder (see the class).

        Parameters
        ----------
        lp
            The problem.
        **kwargs
            Passed to :meth:`pulp.COIN_CMD.actualSolve`.

        Returns
        -------
        int
            PuLP's status code.
        """
        folder = tempfile.mkdtemp(prefix="clusterloc-cbc-")
        self.tmpDir = folder
        try:
            return int(super().actualSolve(lp, **kwargs))
        except BaseException:
            _stop_children(folder)
            raise
        finally:
            shutil.rmtree(folder, ignore_errors=True)


def _highs_version() -> str:
    if not _HIGHS_OK:
        return "unknown"
    return str(highspy.Highs().version())  # type: ignore[no-untyped-call]


def find_cbc() -> str | None:
    """Path of a usable CBC binary: ``cbc`` on ``PATH``, else the one PuLP 3 bundles.

    Returns
    -------
    str or None
        The path, or ``None`` when no CBC can run.
    """
    found = shutil.which("cbc")
    if found:
        return found
    bundled = getattr(pulp.apis.coin_api, "pulp_cbc_path", None)
    if bundled and os.path.isfile(bundled):
        if not os.access(bundled, os.X_OK):
            with contextlib.suppress(OSError):
                os.chmod(bundled, 0o755)
        if os.access(bundled, os.X_OK):
            return str(bundled)
    return None


def available_solvers() -> list[str]:
    """Names accepted by :func:`make_solver` that can run on this machine.

    Returns
    -------
    list of str
    """
    names = []
    if _HIGHS_OK:
        names.append("highs")
    if find_cbc():
        names.append("cbc")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        others = pulp.listSolvers(onlyAvailable=True)
    for other in others:
        if other not in ("HiGHS", "PULP_CBC_CMD", "COIN_CMD"):
            names.append(other)
    return names


def make_solver(
    name: str = "highs",
    time_limit: float | None = None,
    gap: float | None = None,
    threads: int | None = None,
    seed: int | None = None,
    msg: bool = False,
) -> pulp.LpSolver:
    """Create a PuLP solver.

    Parameters
    ----------
    name
        ``"highs"`` (in-process HiGHS, default), ``"cbc"``, or any solver name PuLP
        knows (``pulp.listSolvers()``, e.g. ``"GLPK_CMD"``, ``"HiGHS_CMD"``).
    time_limit
        Seconds; the run then ends with the best solution found so far.
    gap
        Relative MIP gap at which the solver may stop (e.g. ``0.01``).
    threads
        Number of threads the solver may use.
    seed
        Random seed (HiGHS ``random_seed``, CBC ``randomCbcSeed``).
    msg
        Show the solver log.

    Returns
    -------
    pulp.LpSolver

    Raises
    ------
    SolverUnavailableError
        The name is unknown or the solver is not installed; the message lists the
        available solvers or says how to install CBC.
    """
    key = name.strip()
    low = key.lower()
    if low in ("highs", "highspy"):
        if not _HIGHS_OK:
            raise SolverUnavailableError(
                "Solver 'highs' needs the highspy package: pip install highspy."
            )
        return HighsSolver(msg=msg, timeLimit=time_limit, gapRel=gap, threads=threads, seed=seed)
    if low in ("cbc", "coin", "coin_cmd", "pulp_cbc_cmd"):
        path = find_cbc()
        if path is None:
            raise SolverUnavailableError(f"Solver 'cbc' is not installed: {_CBC_HELP}.")
        options = [f"randomCbcSeed {int(seed)}"] if seed is not None else []
        return CbcSolver(
            path=path,
            msg=msg,
            timeLimit=time_limit,
            gapRel=gap,
            threads=threads,
            options=options,
        )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        known = pulp.listSolvers()
    match = next((s for s in known if s.lower() == low), None)
    if match is None:
        raise SolverUnavailableError(
            f"Unknown solver {name!r}; available: {', '.join(available_solvers())}."
        )
    kwargs: dict[str, Any] = {"msg": msg}
    if time_limit is not None:
        kwargs["timeLimit"] = time_limit
    if gap is not None:
        kwargs["gapRel"] = gap
    if threads is not None:
        kwargs["threads"] = threads
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            solver = pulp.getSolver(match, **kwargs)
    except (TypeError, pulp.PulpSolverError) as exc:
        raise SolverUnavailableError(f"Solver {name!r} cannot be created: {exc}.") from exc
    if not solver.available():
        raise SolverUnavailableError(
            f"Solver {name!r} is not installed here; available: {', '.join(available_solvers())}."
        )
    return solver


def solver_label(solver: pulp.LpSolver) -> str:
    """Short lower-case name of a solver object (``highs``, ``cbc``, ...).

    Parameters
    ----------
    solver
        A PuLP solver object.

    Returns
    -------
    str
    """
    if _HIGHS_OK and isinstance(solver, pulp.HiGHS):
        return "highs"
    if isinstance(solver, pulp.COIN_CMD):
        return "cbc"
    return str(getattr(solver, "name", type(solver).__name__))


def set_start(solver: pulp.LpSolver, values: dict[pulp.LpVariable, float]) -> None:
    """Give the solver a (partial) MIP start: ``values`` maps variables to values.

    Parameters
    ----------
    solver
        The solver that runs next (HiGHS reads the start; PuLP's ``warmStart`` otherwise).
    values
        ``{variable: value}``; variables left out have no start value.
    """
    if _HIGHS_OK and isinstance(solver, HighsSolver):
        solver.start = dict(values)
        return
    for var, value in values.items():
        var.setInitialValue(value)
    if hasattr(solver, "optionsDict"):
        solver.optionsDict["warmStart"] = True


#: HiGHS heuristics that solve sub-MIPs to find better solutions. Worth their time
#: when the solver starts without a good solution; wasted once the start is optimal or
#: nearly so (measured on a reduced OR-Library capb-6000: 35 of 71 s in sub-MIPs that
#: found nothing, see docs/performance.md).
SUBMIP_HEURISTICS = (
    "mip_heuristic_run_rins",
    "mip_heuristic_run_rens",
    "mip_heuristic_run_root_reduced_cost",
)


def focus_on_bound(solver: pulp.LpSolver) -> bool:
    """Make the solver spend its time on the bound, not on finding solutions.

    For use when a strong MIP start is given: HiGHS's sub-MIP heuristics
    (:data:`SUBMIP_HEURISTICS`) are switched off. Its other heuristics, and branching
    itself, still find better solutions if the start is not optimal, so the result
    stays exact; only the time split changes. The setting stays on ``solver``.

    Parameters
    ----------
    solver
        A solver from :func:`make_solver`; its options are changed in place.

    Returns
    -------
    bool
        Whether the solver took the setting (only in-process HiGHS does).
    """
    if not (_HIGHS_OK and isinstance(solver, HighsSolver)):
        return False
    for option in SUBMIP_HEURISTICS:
        solver.optionsDict[option] = False
    return True


def run_solver(problem: pulp.LpProblem, solver: pulp.LpSolver) -> SolveResult:
    """Solve ``problem`` with ``solver`` and read what was proven.

    Parameters
    ----------
    problem
        The PuLP problem.
    solver
        A solver from :func:`make_solver`.

    Returns
    -------
    SolveResult
    """
    label = solver_label(solver)
    log_path: str | None = None
    if isinstance(solver, pulp.COIN_CMD) and not solver.msg:
        fd, log_path = tempfile.mkstemp(prefix="clusterloc-cbc-", suffix=".log")
        os.close(fd)
        solver.optionsDict["logPath"] = log_path
    log.info("solver %s started: %d constraints", label, len(problem.constraints))
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            problem.solve(solver)
        if label == "highs":
            return _read_highs(problem, bool(getattr(solver, "is_mip", True)))
        log_text = ""
        if log_path:
            with open(log_path, encoding="utf-8", errors="replace") as fh:
                log_text = fh.read()
        return _read_generic(problem, solver, label, log_text)
    finally:
        if _HIGHS_OK and isinstance(solver, HighsSolver):
            solver.start = {}  # a start belongs to one run
        elif hasattr(solver, "optionsDict"):
            solver.optionsDict.pop("warmStart", None)
        if log_path:
            solver.optionsDict.pop("logPath", None)
            with contextlib.suppress(OSError):
                os.remove(log_path)


def _relative_gap(objective: float | None, bound: float | None) -> float | None:
    if objective is None or bound is None or not math.isfinite(bound):
        return None
    return max(0.0, (objective - bound) / max(abs(objective), 1e-9))


def _read_highs(problem: pulp.LpProblem, mip: bool) -> SolveResult:
    h = problem.solverModel
    status = h.getModelStatus()
    info = h.getInfo()
    words = h.modelStatusToString(status)
    solver = {"name": "highs", "version": _highs_version()}
    has_solution = int(info.primal_solution_status) == 2
    objective = float(info.objective_function_value) if has_solution else None
    if status in (_MS.kInfeasible, _MS.kUnboundedOrInfeasible):
        return SolveResult(SolveStatus.INFEASIBLE, solver=solver, message=words)
    if not has_solution:
        return SolveResult(SolveStatus.NO_SOLUTION, solver=solver, message=words)
    if mip:
        bound = float(info.mip_dual_bound)
        bound_v: float | None = bound if math.isfinite(bound) else None
        gap = _relative_gap(objective, bound_v)
    else:
        bound_v = objective if status == _MS.kOptimal else None
        gap = 0.0 if status == _MS.kOptimal else None
    proven = status == _MS.kOptimal and gap is not None and gap <= OPTIMAL_GAP * (1 + 1e-6)
    return SolveResult(
        SolveStatus.OPTIMAL if proven else SolveStatus.FEASIBLE,
        objective=objective,
        best_bound=bound_v,
        gap=gap,
        solver=solver,
        message=words,
    )


_CBC_NUM = r"([-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?)"


def _read_generic(
    problem: pulp.LpProblem, solver: pulp.LpSolver, label: str, log_text: str
) -> SolveResult:
    version = ""
    m = re.search(r"Version:\s*(\S+)", log_text)
    if m:
        version = m.group(1)
    info = {"name": label, "version": version}
    words = pulp.LpStatus.get(problem.status, str(problem.status))
    sol_status = getattr(problem, "sol_status", None)
    if problem.status == pulp.LpStatusInfeasible or sol_status == pulp.LpSolutionInfeasible:
        return SolveResult(SolveStatus.INFEASIBLE, solver=info, message=words)
    if problem.status != pulp.LpStatusOptimal or sol_status not in (
        pulp.LpSolutionOptimal,
        pulp.LpSolutionIntegerFeasible,
    ):
        return SolveResult(SolveStatus.NO_SOLUTION, solver=info, message=words)
    objective = pulp.value(problem.objective)
    objective = float(objective) if objective is not None else 0.0
    bound: float | None = None
    m = re.search(r"Lower bound:\s*" + _CBC_NUM, log_text)
    if m:
        bound = float(m.group(1))
    asked_gap = getattr(solver, "optionsDict", {}).get("gapRel")
    if sol_status == pulp.LpSolutionOptimal and bound is None and (asked_gap or 0) > OPTIMAL_GAP:
        # stopped within a loose requested gap, and no log to read the bound from
        return SolveResult(
            SolveStatus.FEASIBLE,
            objective=objective,
            solver=info,
            message=f"stopped within the requested gap {asked_gap:g}; bound not known",
        )
    if sol_status == pulp.LpSolutionOptimal:
        if bound is None:
            bound = objective
        gap = _relative_gap(objective, bound)
        proven = gap is not None and gap <= OPTIMAL_GAP * (1 + 1e-6)
        status = SolveStatus.OPTIMAL if proven else SolveStatus.FEASIBLE
    else:
        gap = _relative_gap(objective, bound)
        status = SolveStatus.FEASIBLE
        words = "stopped with a feasible solution (not proven optimal)"
    return SolveResult(
        status, objective=objective, best_bound=bound, gap=gap, solver=info, message=words
    )
