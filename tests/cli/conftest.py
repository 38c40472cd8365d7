"""Helpers for CLI tests: run the real ``clusterloc`` console script in a subprocess."""

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


def _exe() -> list[str]:
    exe = Path(sys.executable).with_name("clusterloc")
    if exe.exists():
        return [str(exe)]
    found = shutil.which("clusterloc")
    if found is None:
        pytest.fail("the clusterloc console script is not installed (pip install -e .)")
    return [found]


@pytest.fixture(scope="session")
def cli_env(shared_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """Environment for CLI runs: shared data folder and a session network cache."""
    env = dict(os.environ)
    env["CLUSTERLOC_SHARED"] = str(shared_dir)
    env["CLUSTERLOC_CACHE"] = str(tmp_path_factory.getbasetemp() / "cli-network-cache")
    env["COLUMNS"] = "200"
    return env


@pytest.fixture(scope="session")
def run_cli(cli_env: dict[str, str]) -> Runner:
    """``run_cli(*args, cwd=None)`` → CompletedProcess of ``clusterloc *args``."""

    def run(*args: str | Path, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [*_exe(), *map(str, args)],
            capture_output=True,
            text=True,
            env=cli_env,
            cwd=cwd,
            timeout=600,
        )

    return run


@pytest.fixture
def scenario_dir(tmp_path: Path) -> Path:
    """A writable copy of ``tests/data/kz_small``."""
    folder = tmp_path / "kz_small"
    shutil.copytree(KZ_SMALL, folder)
    return folder
