"""Sweeps on a real Dask cluster: separate scheduler/worker processes, a killed worker,
and an interrupted sweep that is resumed."""

from __future__ import annotations

import signal
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest

import clusterloc
from conftest import Runner, exe, write_sweep


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _sweep_text(n: int) -> str:
    return f"""
name: samples
base: scenario.yaml
samples:
  n: {n}
  seed: 5
  demand:
    national: {{dist: uniform, low: 0.7, high: 1.6}}
  set:
    policy.co2_price: {{dist: uniform, low: 0, high: 90000}}
"""


def _rows(folder: Path) -> pd.DataFrame:
    path = folder / "results.parquet"
    if not path.exists():
        return pd.DataFrame(columns=["run_id"])
    return pd.read_parquet(path)


def _wait_rows(folder: Path, n: int, proc: subprocess.Popen[str], timeout: float = 300) -> int:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        count = len(_rows(folder))
        if count >= n:
            return count
        if proc.poll() is not None:
            pytest.fail(f"sweep ended early: {proc.communicate()}")
        time.sleep(0.2)
    pytest.fail(f"no {n} rows in {folder} after {timeout} s")


class Cluster:
    """A scheduler and workers started as separate processes."""

    def __init__(self, env: dict[str, str], log_dir: Path) -> None:
        self.env = env
        self.port = _free_port()
        self.address = f"tcp://127.0.0.1:{self.port}"
        self.log_dir = log_dir
        self.procs: dict[str, subprocess.Popen[str]] = {}
        self._start(
            "scheduler",
            ["scheduler", "--host", "127.0.0.1", "--port", str(self.port), "--no-dashboard"],
        )

    def _start(self, name: str, args: list[str]) -> None:
        log = (self.log_dir / f"{name}.log").open("w")
        self.procs[name] = subprocess.Popen(
            [exe("dask"), *args], env=self.env, stdout=log, stderr=subprocess.STDOUT, text=True
        )

    def add_worker(self, name: str) -> None:
        args = ["worker", self.address, "--name", name, "--nthreads", "1", "--no-nanny"]
        self._start(name, [*args, "--no-dashboard"])

    def wait_for_workers(self, n: int) -> None:
        from distributed import Client

        with Client(self.address, timeout="60s") as client:
            client.wait_for_workers(n, timeout=120)

    def kill(self, name: str) -> None:
        self.procs[name].send_signal(signal.SIGKILL)
        self.procs[name].wait(timeout=30)

    def stop(self) -> None:
        for proc in reversed(list(self.procs.values())):
            if proc.poll() is None:
                proc.terminate()
        for proc in self.procs.values():
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                proc.kill()


@pytest.fixture
def cluster(sweep_env: dict[str, str], tmp_path: Path) -> Iterator[Cluster]:
    c = Cluster(sweep_env, tmp_path)
    try:
        c.add_worker("wA")
        c.add_worker("wB")
        c.wait_for_workers(2)
        yield c
    finally:
        c.stop()


def _popen_sweep(env: dict[str, str], *args: str | Path) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [exe("clusterloc"), "sweep", *map(str, args)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def test_sweep_on_a_separate_scheduler_and_workers(
    small_dir: Path, cluster: Cluster, run_cli: Runner
) -> None:
    sweep = write_sweep(small_dir, _sweep_text(6))
    done = run_cli("sweep", sweep, "--out", small_dir / "out", "--scheduler", cluster.address)
    assert done.returncode == 0, done.stderr
    assert "on 2 worker(s)" in done.stdout
    rows = _rows(small_dir / "out")
    assert list(rows["run_id"]) == [f"s{i:04d}" for i in range(6)]
    assert set(rows["status"]) == {"optimal"}
    assert set(rows["worker"]) == {"wA", "wB"}
    first = rows.iloc[0]
    import json

    alone = clusterloc.solve(
        clusterloc.load_scenario(small_dir / "scenario.yaml", json.loads(first["overrides"]))
    )
    assert first["objective"] == pytest.approx(alone.summary["objective"], rel=1e-9)


def test_killed_worker_mid_sweep_is_retried(
    small_dir: Path, cluster: Cluster, sweep_env: dict[str, str]
) -> None:
    n = 16
    sweep = write_sweep(small_dir, _sweep_text(n))
    out = small_dir / "out"
    proc = _popen_sweep(sweep_env, sweep, "--out", out, "--scheduler", cluster.address)
    at_kill = _wait_rows(out, 2, proc)
    cluster.kill("wA")
    _, stderr = proc.communicate(timeout=600)
    assert proc.returncode == 0, stderr
    assert at_kill < n  # the worker died with runs still to do
    rows = _rows(out)
    assert len(rows) == n and rows["run_id"].is_unique
    assert set(rows["status"]) == {"optimal"}, rows[["run_id", "status", "message"]]
    # Everything after the kill ran on the surviving worker.
    assert (rows["worker"] == "wB").sum() >= n - at_kill - 1


def test_interrupted_sweep_resumes(small_dir: Path, sweep_env: dict[str, str]) -> None:
    n = 12
    sweep = write_sweep(small_dir, _sweep_text(n))
    out = small_dir / "out"
    proc = _popen_sweep(sweep_env, sweep, "--out", out, "--workers", "1")
    _wait_rows(out, 2, proc)
    proc.send_signal(signal.SIGINT)
    stdout, stderr = proc.communicate(timeout=120)
    assert proc.returncode == 130, stderr
    assert "--resume" in stderr and "Traceback" not in stderr
    before = _rows(out)
    assert 2 <= len(before) < n
    assert set(before["status"]) == {"optimal"}
    assert not (out / "report.md").exists()  # charts only for a complete sweep

    resumed = _popen_sweep(sweep_env, sweep, "--out", out, "--workers", "1", "--resume")
    stdout, stderr = resumed.communicate(timeout=600)
    assert resumed.returncode == 0, stderr
    assert f"{len(before)} finished before" in stdout
    after = _rows(out)
    assert list(after["run_id"]) == [f"s{i:04d}" for i in range(n)]
    kept = after.set_index("run_id").loc[before["run_id"]]
    assert (kept["objective"].to_numpy() == before["objective"].to_numpy()).all()
    assert (kept["seconds"].to_numpy() == before["seconds"].to_numpy()).all()  # not re-run
    assert (out / "report.md").exists()
