"""Shared pytest fixtures: where the shared data lives, and a few real-data paths."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]


def _shared_dir() -> Path:
    env = os.environ.get("CLUSTERLOC_SHARED")
    if env:
        return Path(env)
    return REPO.parent / "shared"


@pytest.fixture(scope="session")
def repo_dir() -> Path:
    """The repository root."""
    return REPO


@pytest.fixture(scope="session")
def shared_dir() -> Path:
    """``../shared`` beside the repository (OSM extracts, benchmark instances)."""
    path = _shared_dir()
    if not path.is_dir():
        pytest.skip(f"shared data folder not found at {path} (set CLUSTERLOC_SHARED)")
    return path


@pytest.fixture(scope="session")
def osm_dir(shared_dir: Path) -> Path:
    """``../shared/data/osm``."""
    return shared_dir / "data" / "osm"


@pytest.fixture(scope="session")
def bench_dir(shared_dir: Path) -> Path:
    """``../shared/bench``."""
    return shared_dir / "bench"


@pytest.fixture(scope="session")
def cap_dir(bench_dir: Path) -> Path:
    """OR-Library CAP instances (``../shared/bench/orlib_cap``); skips when missing."""
    path = bench_dir / "orlib_cap"
    if not path.is_dir():
        pytest.skip(f"OR-Library CAP instances not found at {path}")
    return path


@pytest.fixture(scope="session")
def tscflp_dir(bench_dir: Path) -> Path:
    """TSCFLP instances of Fernandes et al. (2014); skips when missing."""
    path = bench_dir / "tscflp" / "fernandes2014"
    if not path.is_dir():
        pytest.skip(f"TSCFLP instances not found at {path}")
    return path
