"""clusterloc: logistics location optimizer for industrial clusters.

Data flows one way: scenario -> inputs -> network -> costs -> model -> solution ->
outputs. The top-level functions mirror the command line.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

if TYPE_CHECKING:  # pragma: no cover
    from clusterloc.api import load_scenario, solve, write_run

__all__ = ["__version__", "load_scenario", "solve", "write_run"]


def __getattr__(name: str) -> Any:
    # Lazy: importing clusterloc must stay cheap (the CLI imports it for --help).
    if name in ("load_scenario", "solve", "write_run"):
        from clusterloc import api

        return getattr(api, name)
    raise AttributeError(f"module 'clusterloc' has no attribute {name!r}")
