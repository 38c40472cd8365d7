"""Ctrl-C and SIGTERM stop a real run at every stage, cleanly (issue 9, part B).

Each test starts the real ``clusterloc solve`` in a subprocess, waits until the run has
reached a stage (the ``--debug`` log says so; for CBC the ``cbc`` child exists), sends a
real signal and checks what a user would: the run stops within seconds with exit 130
(SIGINT) or 143 (SIGTERM) and one ``interrupted`` line, the output folder's parent is as
it was (no ``.x.tmp-*`` folder), no solver process keeps running and no solver file is
left in the temporary folder.
"""

from __future__ import annotations

import math
import os
import random
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

#: Seconds a run may take to stop after the signal (the issue asks for 2 s; the margin is
#: for a loaded test machine).
STOP_WITHIN = 4.0


def _exe() -> str:
    return str(Path(sys.executable).with_name("clusterloc"))


def hard_scenario(folder: Path, facilities: int = 40, markets: int = 200, seed: int = 7) -> Path:
    """A single-sourcing location scenario on explicit lanes that no solver proves in minutes."""
    rng = random.Random(seed)
    folder.mkdir(parents=True, exist_ok=True)
    pts: dict[str, tuple[float, float]] = {"sup": (71.4, 51.1)}
    sites = [
        "site_id,name,type,lon,lat,fixed_cost,capacity,handling_cost,status,tags",
        "sup,Supplier,supplier,71.4,51.1,,,,,",
    ]
    for i in range(facilities):
        x, y = rng.uniform(50, 85), rng.uniform(41, 55)
        pts[f"w{i}"] = (x, y)
        cost, cap = rng.randint(2, 9) * 1_000_000, rng.randint(30, 80) * 100
        sites.append(f"w{i},Warehouse {i},warehouse,{x:.4f},{y:.4f},{cost},{cap},0,candidate,")
    demand = ["site_id,commodity,demand"]
    for j in range(markets):
        x, y = rng.uniform(50, 85), rng.uniform(41, 55)
        pts[f"m{j}"] = (x, y)
        sites.append(f"m{j},Market {j},market,{x:.4f},{y:.4f},,,,,")
        demand.append(f"m{j},good,{rng.randint(100, 400)}")

    def km(a: str, b: str) -> float:
        (x1, y1), (x2, y2) = pts[a], pts[b]
        return 1.2 * 111 * math.hypot((x1 - x2) * math.cos(math.radians((y1 + y2) / 2)), y1 - y2)

    lanes = ["origin,destination,km,hours"]
    for i in range(facilities):
        d = km("sup", f"w{i}")
        lanes.append(f"sup,w{i},{d:.1f},{d / 60:.2f}")
        for j in range(markets):
            d = km(f"w{i}", f"m{j}")
            lanes.append(f"w{i},m{j},{d:.1f},{d / 60:.2f}")
    (folder / "sites.csv").write_text("\n".join(sites) + "\n")
    (folder / "demand.csv").write_text("\n".join(demand) + "\n")
    (folder / "supply.csv").write_text("site_id,commodity,supply\nsup,good,inf\n")
    (folder / "lanes.csv").write_text("\n".join(lanes) + "\n")
    path = folder / "hard.yaml"
    path.write_text(
        "name: hard\nlanes: lanes.csv\nsites: sites.csv\nsupply: supply.csv\ndemand: demand.csv\n"
        "commodities:\n  - {commodity: good, unit: t, weight_t: 1, rate_per_tkm: 10}\n"
        "links:\n  - {from_type: supplier, to_type: warehouse}\n"
        "  - {from_type: warehouse, to_type: market}\n"
        "policy:\n  single_sourcing: true\n"
        "solver: {name: highs, time_limit: 600, threads: 1, seed: 1}\n"
    )
    return path


class Run:
    """A ``clusterloc`` process whose stderr is read line by line in the background."""

    def __init__(self, args: list[str | Path], env: dict[str, str], cwd: Path) -> None:
        self.lines: list[str] = []
        self.proc = subprocess.Popen(
            [_exe(), *map(str, args), "--debug"],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=env,
            cwd=cwd,
        )
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        assert self.proc.stderr is not None
        for line in self.proc.stderr:
            self.lines.append(line.rstrip("\n"))

    def wait_for(self, text: str, timeout: float = 240.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if any(text in line for line in self.lines):
                return
            if self.proc.poll() is not None:
                pytest.fail(
                    f"run ended (exit {self.proc.returncode}) before {text!r}: {self.lines}"
                )
            time.sleep(0.05)
        self.proc.kill()
        pytest.fail(f"{text!r} not seen within {timeout} s: {self.lines[-5:]}")

    def stop(self, sig: signal.Signals) -> tuple[int, float]:
        """Send ``sig``; return the exit code and the seconds the process took to end."""
        started = time.monotonic()
        self.proc.send_signal(sig)
        try:
            code = self.proc.wait(timeout=60)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            pytest.fail(f"still running 60 s after {sig.name}")
        seconds = time.monotonic() - started
        self._reader.join(timeout=5)
        return code, seconds


def children_of(pid: int) -> list[int]:
    """Processes whose parent is ``pid`` (Linux /proc)."""
    out = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            stat = Path(f"/proc/{entry}/stat").read_text()
        except OSError:
            continue
        if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
            out.append(int(entry))
    return out


def alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


@pytest.fixture
def env(cli_env: dict[str, str], tmp_path: Path) -> dict[str, str]:
    """CLI environment with a private temporary folder (solver files land there)."""
    tmp = tmp_path / "tmpdir"
    tmp.mkdir()
    return {**cli_env, "TMPDIR": str(tmp)}


def check_clean_stop(run: Run, code: int, seconds: float, sig: signal.Signals, tmp: Path) -> None:
    assert code == 128 + sig.value, run.lines[-5:]
    assert seconds < STOP_WITHIN, f"took {seconds:.1f} s to stop"
    assert run.lines and run.lines[-1] == f"interrupted ({sig.name})", run.lines[-5:]
    assert not any("Traceback" in line for line in run.lines)
    assert list((tmp / "runs").iterdir()) == []  # no run folder, no .x.tmp-* folder
    assert list((tmp / "tmpdir").iterdir()) == []  # no .mps / .sol / log left behind


@pytest.mark.slow
@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
def test_signal_during_highs_solve(
    env: dict[str, str], tmp_path: Path, sig: signal.Signals
) -> None:
    scenario = hard_scenario(tmp_path / "hard")
    (tmp_path / "runs").mkdir()
    run = Run(["solve", scenario, "--no-maps", "--out", tmp_path / "runs" / "hard"], env, tmp_path)
    run.wait_for("solver highs started")
    time.sleep(1.0)  # well inside the branch and bound
    code, seconds = run.stop(sig)
    check_clean_stop(run, code, seconds, sig, tmp_path)


@pytest.mark.slow
@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
def test_signal_during_cbc_solve(env: dict[str, str], tmp_path: Path, sig: signal.Signals) -> None:
    from clusterloc.model.solvers import find_cbc

    if find_cbc() is None:
        pytest.skip("no CBC binary")
    scenario = hard_scenario(tmp_path / "hard")
    (tmp_path / "runs").mkdir()
    out = tmp_path / "runs" / "hard"
    run = Run(["solve", scenario, "--no-maps", "--solver", "cbc", "--out", out], env, tmp_path)
    run.wait_for("solver cbc started")
    deadline = time.monotonic() + 120
    while not (cbc := children_of(run.proc.pid)) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert cbc, "no cbc child process started"
    assert any((tmp_path / "tmpdir").iterdir())  # the model file is there while cbc runs
    time.sleep(1.0)
    code, seconds = run.stop(sig)  # to clusterloc only, as `kill` or a job scheduler does
    check_clean_stop(run, code, seconds, sig, tmp_path)
    assert not any(alive(pid) for pid in cbc), "cbc is still running"


@pytest.mark.slow
@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
def test_signal_during_network_build(
    env: dict[str, str], tmp_path: Path, sig: signal.Signals
) -> None:
    scenario = Path(__file__).resolve().parents[1] / "data" / "kz_small" / "scenario.yaml"
    env = {**env, "CLUSTERLOC_CACHE": str(tmp_path / "empty-cache")}  # build, not load
    (tmp_path / "runs").mkdir()
    run = Run(["solve", scenario, "--no-maps", "--out", tmp_path / "runs" / "kz"], env, tmp_path)
    run.wait_for("building truck network from")
    code, seconds = run.stop(sig)
    check_clean_stop(run, code, seconds, sig, tmp_path)
    cache = tmp_path / "empty-cache"
    leftovers = [p for p in cache.rglob("*") if p.is_file() and ".tmp" in p.name]
    assert leftovers == []  # no half-written cache entry
