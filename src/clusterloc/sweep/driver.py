"""Run a sweep on Dask: the road network and lanes built once, one solve per task.

:func:`run_sweep` loads every run's resolved scenario on the driver (a run whose
overrides are invalid becomes a row with status ``invalid``), builds the base scenario's
road network and lane table once and scatters them to every worker, then submits one
:func:`solve_run` task per run. Each task calls :func:`clusterloc.solve` — the same path
as ``clusterloc solve`` — with ``reuse=`` the scattered network, one solver thread, and
no geometry. Rows are written as the futures complete (:class:`ResultStore`), so an
interrupted sweep keeps every finished run and ``resume=True`` skips them.

Without ``scheduler`` an embedded :class:`distributed.LocalCluster` runs ``workers``
single-threaded worker processes; with ``scheduler="tcp://host:port"`` the sweep runs
on that cluster (whose workers must see the scenario files at the same paths). A worker
that dies mid-run has its task re-run elsewhere by the scheduler.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from clusterloc.errors import ClusterlocError
from clusterloc.scenario.build import BuiltScenario, build_scenario
from clusterloc.scenario.load import load_scenario
from clusterloc.scenario.schema import Scenario
from clusterloc.sweep.results import ResultStore
from clusterloc.sweep.spec import Run, SweepSpec, common_overrides, expand_runs

log = logging.getLogger(__name__)

__all__ = ["SweepOutcome", "row_of_summary", "run_sweep", "solve_run"]

#: ``on_progress(done, total, failed)`` after each finished run.
ProgressCallback = Callable[[int, int, int], None]


@dataclass
class SweepOutcome:
    """What :func:`run_sweep` did.

    Attributes
    ----------
    folder
        The sweep folder.
    total
        Runs in the sweep file.
    ran
        Runs solved in this call.
    skipped
        Runs already finished (``resume``).
    failed
        Rows whose status is not optimal/feasible (this call and before).
    seconds
        Wall time of this call: ``prepare`` (scenarios, network, cluster) and ``runs``.
    workers
        Number of Dask workers used.
    """

    folder: Path
    total: int
    ran: int
    skipped: int
    failed: int
    seconds: dict[str, float]
    workers: int


def row_of_summary(run: Run, summary: dict[str, Any]) -> dict[str, Any]:
    """The results row of a solved run.

    Parameters
    ----------
    run
        The run.
    summary
        The ``summary`` of its :class:`~clusterloc.api.RunResult`.

    Returns
    -------
    dict
        Column to value.
    """
    row: dict[str, Any] = {"run_id": run.run_id, **run.params}
    row["status"] = summary.get("status")
    row["message"] = "; ".join(summary.get("diagnosis") or []) or None
    for key in ("objective", "best_bound", "gap", "co2_t"):
        value = summary.get(key)
        row[key] = None if value is None else float(value)
    for term, value in (summary.get("costs") or {}).items():
        row[f"cost_{term}"] = None if value is None else float(value)
    opened = list(summary.get("open_sites") or [])
    row["open_sites"] = ";".join(opened)
    row["n_open"] = len(opened)
    seconds = summary.get("seconds") or {}
    row["seconds"] = float(seconds.get("total") or 0.0)
    # Model build + solver: what a sweep cannot share between runs.
    row["seconds_model"] = float(seconds.get("build") or 0.0) + float(seconds.get("solve") or 0.0)
    row["overrides"] = json.dumps(list(run.overrides))
    return row


def _failed_row(run: Run, status: str, message: str) -> dict[str, Any]:
    return {
        "run_id": run.run_id,
        **run.params,
        "status": status,
        "message": message,
        "open_sites": "",
        "n_open": 0,
        "overrides": json.dumps(list(run.overrides)),
    }


def _worker_name() -> str:
    try:
        from distributed import get_worker

        return str(get_worker().name)
    except (ImportError, ValueError):
        return "local"


def solve_run(run: Run, scenario: Scenario, shared: BuiltScenario | None) -> dict[str, Any]:
    """Solve one run (a Dask task) and return its results row; never raises for a run.

    Parameters
    ----------
    run
        The run (id, overrides, parameters).
    scenario
        Its resolved scenario.
    shared
        The base scenario built once (road network and lanes reused when the sites match).

    Returns
    -------
    dict
        The row: status ``invalid`` for bad input, ``error`` for an unexpected failure.
    """
    from clusterloc.api import solve

    start = time.perf_counter()
    try:
        result = solve(scenario, check=False, reuse=shared, geometry=False)
        row = row_of_summary(run, result.summary)
    except ClusterlocError as exc:
        status = "invalid" if getattr(exc, "exit_code", 1) == 2 else "error"
        row = _failed_row(run, status, str(exc))
    except Exception as exc:  # a failed run is a row, never fatal to the sweep
        log.error("run %s failed: %s", run.run_id, traceback.format_exc())
        row = _failed_row(run, "error", f"{type(exc).__name__}: {exc}")
    row["seconds"] = round(time.perf_counter() - start, 6)
    row["worker"] = _worker_name()
    return row


def _file_sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _load_runs(spec: SweepSpec, runs: list[Run], store: ResultStore) -> list[tuple[Run, Scenario]]:
    """Resolved scenarios of the runs; invalid ones become rows at once."""
    base = spec.base_path()
    todo: list[tuple[Run, Scenario]] = []
    for run in runs:
        try:
            todo.append((run, load_scenario(base, list(run.overrides))))
        except ClusterlocError as exc:
            store.add(_failed_row(run, "invalid", str(exc)))
    return todo


def _connect(scheduler: str | None, workers: int | None) -> tuple[Any, Any, int]:
    from distributed import Client, LocalCluster

    if scheduler:
        client = Client(scheduler, timeout="30s")  # type: ignore[no-untyped-call]
        n = len(client.scheduler_info().get("workers", {}))
        if n == 0:
            client.wait_for_workers(1, timeout=60)
            n = len(client.scheduler_info().get("workers", {}))
        return client, None, n
    n = workers or os.cpu_count() or 1
    cluster = LocalCluster(  # type: ignore[no-untyped-call]
        n_workers=n,
        threads_per_worker=1,
        processes=True,
        dashboard_address=None,
        scheduler_kwargs={"dashboard": False},
        silence_logs=logging.ERROR,
    )
    return Client(cluster), cluster, n  # type: ignore[no-untyped-call]


def run_sweep(
    spec: SweepSpec,
    out: str | os.PathLike[str],
    *,
    workers: int | None = None,
    scheduler: str | None = None,
    resume: bool = False,
    on_progress: ProgressCallback | None = None,
    analyse: bool = True,
) -> SweepOutcome:
    """Run every run of a sweep and write its results (and the charts) into ``out``.

    Parameters
    ----------
    spec
        From :func:`~clusterloc.sweep.spec.load_sweep`.
    out
        The sweep folder.
    workers
        Worker processes of the embedded cluster (default: the number of CPUs).
    scheduler
        Address of an existing Dask scheduler instead of the embedded cluster.
    resume
        Keep the finished rows of ``out`` and run only the rest.
    on_progress
        Called after each finished run.
    analyse
        Write the robustness map, charts and ``report.md`` when every run has a row.

    Returns
    -------
    SweepOutcome

    Raises
    ------
    OutputExistsError
        ``out`` already holds results and ``resume`` is false.
    ScenarioError
        ``resume`` with a sweep file whose runs changed.
    """
    from distributed import as_completed

    from clusterloc.outputs.runfolder import OutputExistsError

    t0 = time.perf_counter()
    folder = Path(out)
    store = ResultStore(folder)
    if store.exists() and not resume:
        raise OutputExistsError(
            f"{folder} already holds sweep results; pass --resume to finish them or choose "
            "another --out."
        )
    runs = expand_runs(spec)
    store.load({r.run_id: r.overrides for r in runs})
    done = store.finished()
    pending = [r for r in runs if r.run_id not in done]
    skipped = len(runs) - len(pending)
    log.info("sweep %s: %d runs, %d already finished", spec.name, len(runs), skipped)
    todo = _load_runs(spec, pending, store)
    # The base scenario (with the file's common overrides, no grid or sample) is built
    # once: its network and lanes go to every worker, its sites to the robustness map.
    shared_built = build_scenario(load_scenario(spec.base_path(), common_overrides(spec)))
    _write_meta(spec, folder, len(runs))
    client, cluster, n_workers = (None, None, 0)
    ran = 0
    prepare = 0.0
    t_runs = time.perf_counter()
    try:
        if todo:
            client, cluster, n_workers = _connect(scheduler, workers)
            shared = client.scatter(shared_built, broadcast=True, hash=False)
            prepare = time.perf_counter() - t0
            t_runs = time.perf_counter()
            futures = [
                client.submit(solve_run, run, scen, shared, key=f"run-{run.run_id}", pure=False)
                for run, scen in todo
            ]
            by_key = {f.key: run for f, (run, _) in zip(futures, todo, strict=True)}
            for future in as_completed(futures):  # type: ignore[no-untyped-call]
                run = by_key[future.key]
                try:
                    row = future.result()
                except Exception as exc:  # e.g. KilledWorker after repeated worker deaths
                    row = _failed_row(run, "error", f"{type(exc).__name__}: {exc}")
                store.add(row)
                ran += 1
                if on_progress is not None:
                    on_progress(skipped + ran, len(runs), _count_failed(store))
                future.release()
    finally:
        if client is not None:
            client.close()
        if cluster is not None:
            cluster.close()
    if not todo and on_progress is not None:
        on_progress(skipped, len(runs), _count_failed(store))
    seconds = {"prepare": round(prepare, 3), "runs": round(time.perf_counter() - t_runs, 3)}
    if analyse and len(store.rows) >= len(runs):
        from clusterloc.sweep.analysis import write_analysis

        write_analysis(folder, store.table(), shared_built, spec)
    return SweepOutcome(
        folder=folder.absolute(),
        total=len(runs),
        ran=ran,
        skipped=skipped,
        failed=_count_failed(store),
        seconds=seconds,
        workers=n_workers,
    )


def _count_failed(store: ResultStore) -> int:
    return sum(1 for row in store.rows.values() if row.get("status") not in ("optimal", "feasible"))


def _write_meta(spec: SweepSpec, folder: Path, total: int) -> None:
    meta = {
        "sweep": spec.name,
        "file": str(spec.path) if spec.path else None,
        "file_sha256": _file_sha(spec.path) if spec.path else None,
        "base": str(spec.base_path()),
        "runs": total,
        "reproduce": "clusterloc solve BASE --set <each entry of a row's 'overrides'>",
    }
    tmp = folder / ".sweep.json.tmp"
    tmp.write_text(json.dumps(meta, indent=2) + "\n", encoding="utf-8")
    os.replace(tmp, folder / "sweep.json")
