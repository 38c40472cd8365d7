"""Fixtures for scenario tests: a writable copy of the small Kazakhstan test scenario."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

KZ_SMALL = Path(__file__).resolve().parents[1] / "data" / "kz_small"


@pytest.fixture
def kz_small(tmp_path: Path, shared_dir: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A copy of ``tests/data/kz_small`` in a temporary folder (safe to edit)."""
    monkeypatch.setenv("CLUSTERLOC_SHARED", str(shared_dir))
    folder = tmp_path / "kz_small"
    shutil.copytree(KZ_SMALL, folder)
    return folder


@pytest.fixture
def lanes_only(tmp_path: Path) -> Path:
    """A copy of the explicit-lanes scenario (needs no shared data)."""
    folder = tmp_path / "kz_small"
    shutil.copytree(KZ_SMALL, folder)
    return folder
