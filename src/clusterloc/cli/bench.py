"""``clusterloc bench``: solve published benchmark instances with the clusterloc engine.

Each command prints ONE JSON line (machine-readable) with the instance, the objective,
the honest status, the proven bound, the gap and the build/solve seconds.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Annotated, Any

import typer

__all__ = [
    "FileArg",
    "GapOpt",
    "ReduceOpt",
    "SolverOpt",
    "TimeOpt",
    "cap",
    "tscflp",
]

app = typer.Typer(no_args_is_help=True)

FileArg = Annotated[
    Path, typer.Argument(help="Instance file.", exists=False, dir_okay=False, show_default=False)
]
SolverOpt = Annotated[str, typer.Option("--solver", help="Solver name: highs (default), cbc, ...")]
TimeOpt = Annotated[
    float | None, typer.Option("--time-limit", help="Solver time limit in seconds.", min=0.0)
]
GapOpt = Annotated[
    float, typer.Option("--gap", help="Relative MIP gap at which the solver stops.", min=0.0)
]
ReduceOpt = Annotated[
    bool,
    typer.Option(
        "--reduce/--no-reduce",
        help="Exact problem reduction (heuristic incumbent, reduced-cost fixing) before the MIP.",
    ),
]


def _clean(value: Any) -> Any:
    """JSON has no inf/nan: map them to null."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def _emit(record: dict[str, Any]) -> None:
    typer.echo(json.dumps({k: _clean(v) for k, v in record.items()}))


@app.command("cap")
def cap(
    file: FileArg,
    capacity: Annotated[
        float | None,
        typer.Option(
            "--capacity", help="Warehouse capacity for capa/capb/capc (e.g. 8000).", min=0.0
        ),
    ] = None,
    solver: SolverOpt = "highs",
    time_limit: TimeOpt = None,
    gap: GapOpt = 1e-9,
    reduce: ReduceOpt = True,
) -> None:
    """Solve an OR-Library capacitated warehouse location instance (cap41 … capc)."""
    from clusterloc.bench import read_cap, solve_inputs
    from clusterloc.bench.orlib import cap_inputs

    instance = read_cap(file, capacity)
    result = solve_inputs(
        cap_inputs(instance), solver=solver, time_limit=time_limit, gap=gap, reduce=reduce
    )
    _emit({"instance": instance.name, "capacity": instance.capacity, **result})


@app.command("tscflp")
def tscflp(
    file: FileArg,
    solver: SolverOpt = "highs",
    time_limit: TimeOpt = None,
    gap: GapOpt = 1e-9,
    reduce: ReduceOpt = True,
    start: Annotated[
        str,
        typer.Option(
            "--start",
            help="MIP start before the full model: two-stage (decomposition heuristic, LP "
            "relaxation, kernel MIP and exact reduced-cost fixing within 60 % of "
            "--time-limit), lp (LP relaxation's open sites; can overrun --time-limit on "
            "large instances) or none.",
        ),
    ] = "two-stage",
    lp_start: Annotated[
        bool,
        typer.Option("--lp-start/--no-lp-start", help="Same as --start lp."),
    ] = False,
) -> None:
    """Solve a two-stage capacitated facility location instance (Fernandes et al. 2014)."""
    if start not in ("two-stage", "lp", "none"):
        raise typer.BadParameter(
            f"--start must be two-stage, lp or none, got {start!r}.", param_hint="--start"
        )
    if lp_start:
        start = "lp"
    from clusterloc.bench import read_tscflp, solve_inputs
    from clusterloc.bench.tscflp import tscflp_inputs

    instance = read_tscflp(file)
    result = solve_inputs(
        tscflp_inputs(instance),
        solver=solver,
        time_limit=time_limit,
        gap=gap,
        reduce=reduce,
        lp_start=start == "lp",
        two_stage_start=start == "two-stage",
    )
    _emit({"instance": instance.name, **result})
