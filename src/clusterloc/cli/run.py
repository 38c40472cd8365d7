"""`clusterloc validate|solve|compare|map` commands (placeholder; being built)."""

from __future__ import annotations

import typer


def register(app: typer.Typer) -> None:
    """Attach the scenario commands to the main app."""
