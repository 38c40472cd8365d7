"""Fixtures for sweep tests: a small sweep over tests/data/kz_small on the real KZ roads."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

KZ_SMALL = Path(__file__).resolve().parents[1] / "data" / "kz_small"

Runner = Callable[..., subprocess.CompletedProcess[str]]


def exe(name: str) -> str:
    """A console script of the test venv (``clusterloc``, ``dask``)."""
    path = Path(sys.executable).with_name(name)
    if path.exists():
        return str(path)
    found = shutil.which(name)
    if found is None:
        pytest.fail(f"console script {name} is not installed (pip install -e .)")
    return found


@pytest.fixture(scope="session")
def sweep_env(shared_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """Environment for sweep subprocesses: shared data and a session network cache."""
    env = dict(os.environ)
    env["CLUSTERLOC_SHARED"] = str(shared_dir)
    env["CLUSTERLOC_CACHE"] = str(tmp_path_factory.getbasetemp() / "sweep-network-cache")
    env["COLUMNS"] = "200"
    return env


@pytest.fixture(autouse=True)
def _shared_env(sweep_env: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> None:
    """In-process solves find the shared data and use the session network cache."""
    monkeypatch.setenv("CLUSTERLOC_SHARED", sweep_env["CLUSTERLOC_SHARED"])
    monkeypatch.setenv("CLUSTERLOC_CACHE", sweep_env["CLUSTERLOC_CACHE"])


@pytest.fixture
def small_dir(tmp_path: Path) -> Path:
    """A writable copy of tests/data/kz_small."""
    folder = tmp_path / "kz_small"
    shutil.copytree(KZ_SMALL, folder)
    return folder


def write_sweep(folder: Path, text: str, name: str = "small.sweep.yaml") -> Path:
    """Write a sweep file beside the small scenario."""
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


@pytest.fixture(scope="session")
def run_cli(sweep_env: dict[str, str]) -> Runner:
    """``run_cli(*args)`` → CompletedProcess of ``clusterloc *args``."""

    def run(*args: str | Path) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [exe("clusterloc"), *map(str, args)],
            capture_output=True,
            text=True,
            env=sweep_env,
            timeout=600,
        )

    return run
