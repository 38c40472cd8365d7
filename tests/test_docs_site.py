"""The documentation site builds with MkDocs, warnings as errors, API reference included.

``mkdocs.yml`` renders ``docs/*.md`` and an API reference generated from the numpy-style
docstrings (mkdocstrings). ``--strict`` turns every warning — a broken link or anchor, a page
left out of the navigation, a docstring griffe cannot read — into a failure.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]


def _mkdocs() -> str:
    exe = Path(sys.executable).with_name("mkdocs")
    if not exe.exists():
        pytest.fail("mkdocs is not installed (it is part of the 'test' extra)")
    return str(exe)


@pytest.mark.slow
def test_docs_site_builds_strict(tmp_path: Path) -> None:
    site = tmp_path / "site"
    proc = subprocess.run(
        [_mkdocs(), "build", "--strict", "--site-dir", str(site)],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    # the API reference is generated from the docstrings, with their math and sections
    model = (site / "api" / "model" / "index.html").read_text(encoding="utf-8")
    for name in ("define_site_balance", "check_before_solve", "solve_model", "RowPrefix"):
        assert name in model, name
    assert "Parameters" in model
    speedups = (site / "api" / "speedups" / "index.html").read_text(encoding="utf-8")
    assert "plan_speedups" in speedups and "two_stage_budget" in speedups
    assert (site / "architecture" / "index.html").is_file()
