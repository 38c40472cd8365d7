"""`clusterloc validate|solve|compare|map`: the scenario commands.

``validate`` checks a scenario without solving, ``solve`` writes a run folder and prints
a short summary, ``compare`` puts the KPIs of several runs side by side, ``map`` redraws
the maps of a finished run. Errors are raised as :class:`clusterloc.errors.ClusterlocError`
subclasses; :mod:`clusterloc.cli.main` turns them into one line and an exit code.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.progress import Progress, SpinnerColumn, TaskID, TextColumn, TimeElapsedColumn
from rich.table import Table

from clusterloc.constants import SolveStatus

__all__ = [
    "STEP_LABELS",
    "ScenarioArg",
    "SetOpt",
    "compare",
    "map_run",
    "register",
    "solve",
    "validate",
]

console = Console()
err_console = Console(stderr=True)

STEP_LABELS = {
    "network": "Building truck road network",
    "matrix": "Snapping sites and computing road distance matrix",
    "build": "Building the optimization model",
    "solve": "Solving",
    "write": "Writing the run folder, maps and report",
    "maps": "Drawing maps and report",
}

ScenarioArg = Annotated[
    Path, typer.Argument(help="Scenario YAML file (see docs/scenario.md).", show_default=False)
]
SetOpt = Annotated[
    list[str] | None,
    typer.Option(
        "--set",
        help="Override a scenario key: key.path=value (value parsed as YAML). Repeatable.",
        show_default=False,
    ),
]


class _Steps:
    """``steps(name)`` wraps one step in a rich progress line; ``steps.note(text)`` adds detail."""

    def __init__(self, progress: Progress) -> None:
        self.progress = progress
        self.current: tuple[TaskID, str] | None = None

    @contextlib.contextmanager
    def __call__(self, name: str) -> Iterator[None]:
        label = STEP_LABELS.get(name, name)
        task = self.progress.add_task(label, total=1)
        self.current = (task, label)
        try:
            yield
        finally:
            self.progress.update(task, completed=1, description=label)
            self.progress.stop_task(task)
            self.current = None

    def note(self, text: str) -> None:
        if self.current is not None:
            task, label = self.current
            self.progress.update(task, description=f"{label} [dim]({text})[/]")


@contextlib.contextmanager
def _progress_display() -> Iterator[_Steps]:
    """A rich progress display (on stderr); yields the step wrapper."""
    progress = Progress(
        SpinnerColumn(finished_text="[green]✓[/]"),
        TextColumn("{task.description}"),
        TimeElapsedColumn(),
        console=err_console,
        transient=False,
    )
    with progress:
        yield _Steps(progress)


def _fmt_money(value: Any) -> str:
    if value is None or value != value:  # None or NaN
        return "–"
    return f"{float(value):,.0f}"


def _print_summary(summary: dict[str, Any], out: Path | None) -> None:
    table = Table(title=f"Scenario {summary.get('scenario')}", show_header=False, box=None)
    table.add_column("key", style="bold")
    table.add_column("value", justify="right")
    gap = summary.get("gap")
    status = str(summary.get("status"))
    colour = "green" if status == SolveStatus.OPTIMAL else "yellow"
    table.add_row("status", f"[{colour}]{status}[/]")
    table.add_row("objective", _fmt_money(summary.get("objective")))
    table.add_row("gap", "–" if gap is None else f"{100 * float(gap):.3g} %")
    for term, value in (summary.get("costs") or {}).items():
        table.add_row(f"  {term} cost", _fmt_money(value))
    by_type = summary.get("open_by_type") or {}
    table.add_row(
        "open sites",
        ", ".join(f"{n} {t}" for t, n in sorted(by_type.items()) if n) or "none",
    )
    co2 = summary.get("co2_t")
    table.add_row("CO2 (t)", "–" if co2 is None else f"{float(co2):,.0f}")
    service = summary.get("service") or {}
    if service.get("avg_km") is not None:
        table.add_row(
            "service km (avg / max)",
            f"{float(service['avg_km']):,.0f} / {float(service.get('max_km') or 0):,.0f}",
        )
    if summary.get("unmet_units"):
        table.add_row("unmet demand (units)", f"{float(summary['unmet_units']):,.0f}")
    seconds = summary.get("seconds") or {}
    table.add_row("time (s)", f"{float(seconds.get('total') or 0):.1f}")
    if out is not None:
        table.add_row("run folder", str(out))
    console.print(table)


def validate(
    scenario: ScenarioArg,
    set_: SetOpt = None,
    no_network: Annotated[
        bool,
        typer.Option(
            "--no-network", help="Check the road file exists but do not build it or snap sites."
        ),
    ] = False,
) -> None:
    """Check a scenario, its tables, road network and model inputs without solving.

    Exit 0 when valid, 2 for invalid input, 3 when the model certainly has no solution.
    """
    from clusterloc.api import load_scenario
    from clusterloc.scenario.build import build_scenario

    spec = load_scenario(scenario, set_ or [])
    checks: list[dict[str, Any]] = []
    with _progress_display() as step:
        built = build_scenario(spec, progress=step, network=not no_network)
        if not no_network:
            from clusterloc.model import LocationModel

            with step("build"):
                model = LocationModel.from_inputs(built.inputs)
                model.build()  # checks the model inputs, naming the table row
            checks = list(getattr(model, "checks", []) or [])
    errors = [c for c in checks if c.get("severity") == "error"]
    if errors:
        from clusterloc.errors import InfeasibleError

        more = f" (+{len(errors) - 1} more)" if len(errors) > 1 else ""
        raise InfeasibleError(
            f"scenario {spec.name} cannot be feasible: {errors[0].get('message')}{more}", errors
        )
    sites = built.tables.sites
    by_type = sites.groupby("type").size().to_dict()
    console.print(f"[green]valid:[/] scenario [bold]{spec.name}[/] ({scenario})")
    console.print(
        "  sites: "
        + ", ".join(f"{n} {t}" for t, n in sorted(by_type.items()))
        + f"; commodities: {len(built.tables.commodities)}; lanes: {len(built.inputs.lanes)}"
    )
    if len(built.snaps):
        snap = built.snaps["snap_m"].astype(float)
        worst = built.snaps.iloc[int(snap.to_numpy().argmax())]
        console.print(
            f"  snapped to the road network: max {float(worst['snap_m']) / 1000:.1f} km "
            f"({worst['site_id']}), mean {float(snap.mean()) / 1000:.1f} km"
        )
    console.print(f"  solver: {spec.solver.name}")
    for check in checks:
        console.print(f"  [yellow]warning:[/] {check.get('message')}", highlight=False)


def solve(
    scenario: ScenarioArg,
    out: Annotated[
        Path | None,
        typer.Option("--out", "-o", help="Run folder to write (default: runs/<scenario name>)."),
    ] = None,
    solver: Annotated[
        str | None, typer.Option("--solver", help="Solver: highs or cbc (default: scenario's).")
    ] = None,
    time_limit: Annotated[
        float | None, typer.Option("--time-limit", help="Solver time limit in seconds.")
    ] = None,
    gap: Annotated[
        float | None, typer.Option("--gap", help="Relative MIP gap to stop at, e.g. 0.01.")
    ] = None,
    set_: SetOpt = None,
    force: Annotated[
        bool, typer.Option("--force", help="Replace the run folder if it exists.")
    ] = False,
    no_maps: Annotated[
        bool, typer.Option("--no-maps", help="Skip map.html, map.png and report.md.")
    ] = False,
    samples: Annotated[
        int | None,
        typer.Option(
            "--samples",
            min=1,
            help="Robust plan: solve the two-stage stochastic model over N futures drawn "
            "from the scenario's 'uncertainty' section.",
        ),
    ] = None,
    seed: Annotated[int, typer.Option("--seed", help="Seed of the futures (--samples).")] = 0,
) -> None:
    """Solve a scenario and write its run folder (summary.json, CSV, GeoPackage, maps).

    With --samples N: a robust plan over N sampled futures (robust.json, futures.csv,
    plan.csv, report.md), side by side with the deterministic plan on the same futures.
    """
    from clusterloc.api import load_scenario, write_run
    from clusterloc.api import solve as solve_scenario
    from clusterloc.errors import SolverUnavailableError
    from clusterloc.outputs.runfolder import check_output_dir
    from clusterloc.scenario.schema import SOLVER_NAMES

    overrides = list(set_ or [])
    if solver is not None:
        if solver.strip().lower() not in SOLVER_NAMES:
            raise SolverUnavailableError(
                f"--solver: unknown solver '{solver}'; choose one of: {', '.join(SOLVER_NAMES)}."
            )
        overrides.append(f"solver.name={solver}")
    if time_limit is not None:
        overrides.append(f"solver.time_limit={time_limit}")
    if gap is not None:
        overrides.append(f"solver.gap={gap}")
    spec = load_scenario(scenario, overrides)
    target = out if out is not None else Path("runs") / spec.name
    check_output_dir(target, force=force)
    if samples is not None:
        from clusterloc.sweep.robust import uncertainty_of

        uncertainty_of(spec, scenario)  # checked before any work
        _solve_robust(scenario, overrides, samples, seed, target, force)
        return
    with _progress_display() as step:
        result = solve_scenario(spec, progress=step)
        with step("write"):
            folder = write_run(result, target, force=force, maps=not no_maps)
    _print_summary(result.summary, folder)


def _solve_robust(
    scenario: Path, overrides: list[str], samples: int, seed: int, target: Path, force: bool
) -> None:
    from clusterloc.sweep.robust import robust_plan, write_robust

    with _progress_display() as step, step(f"Robust plan over {samples} futures (seed {seed})"):
        plan = robust_plan(scenario, overrides, samples, seed)
        folder = write_robust(plan, target, force=force)
    s = plan.summary()
    table = Table(title=f"Robust plan {plan.scenario}", show_header=True, box=None)
    table.add_column("")
    table.add_column("robust plan", justify="right")
    table.add_column("deterministic plan", justify="right")
    table.add_row(
        "expected cost",
        _fmt_money(s["expected_cost"]),
        _fmt_money(s["deterministic"]["expected_cost_on_futures"]),
    )
    table.add_row(
        "open sites", str(len(plan.robust.open_sites)), str(len(plan.deterministic.open_sites))
    )
    for i, row in enumerate(plan.futures_table().to_dict("records")):
        table.add_row(
            f"  future {i}", _fmt_money(row["robust_cost"]), _fmt_money(row["deterministic_cost"])
        )
    console.print(table)
    console.print(f"value of the stochastic solution: {_fmt_money(plan.vss)}")
    console.print(f"status: {plan.robust.status}; written: {folder}")


def compare(
    runs: Annotated[list[Path], typer.Argument(help="Run folders written by clusterloc solve.")],
    out: Annotated[
        Path,
        typer.Option("--out", "-o", help="Write <OUT>.csv and <OUT>.md."),
    ] = Path("runs/compare"),
) -> None:
    """Print the KPIs of several runs side by side and write them as CSV and Markdown."""
    from clusterloc.outputs.compare import compare_runs, format_comparison, write_comparison

    table = compare_runs(runs)
    rows = format_comparison(table)
    view = Table(*rows[0], title="Scenario comparison")
    for column in view.columns[1:]:
        column.justify = "right"
    for row in rows[1:]:
        view.add_row(*row)
    console.print(view)
    csv_path, md_path = write_comparison(table, out)
    console.print(f"written: {csv_path}, {md_path}")


def map_run(
    run: Annotated[Path, typer.Argument(help="A run folder written by clusterloc solve.")],
) -> None:
    """(Re)draw map.html, map.png and report.md of a finished run."""
    from clusterloc.api import draw_outputs
    from clusterloc.outputs.tables import read_summary

    read_summary(run)  # checks that this is a run folder
    with _progress_display() as step, step("maps"):
        draw_outputs(run)
    console.print(f"maps drawn: {run / 'map.html'}, {run / 'map.png'}")


def register(app: typer.Typer) -> None:
    """Attach the scenario commands to the main app."""
    app.command("validate")(validate)
    app.command("solve")(solve)
    app.command("compare")(compare)
    app.command("map")(map_run)
