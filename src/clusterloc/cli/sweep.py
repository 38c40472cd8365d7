"""`clusterloc sweep`: run a what-if sweep on Dask and write its results folder."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)

from clusterloc.cli import interrupts

__all__ = ["register", "sweep"]

console = Console()
err_console = Console(stderr=True)


def sweep(
    sweep_file: Annotated[
        Path, typer.Argument(help="Sweep YAML file (see docs/scenario.md, 'Sweeps').")
    ],
    out: Annotated[Path, typer.Option("--out", "-o", help="Sweep folder to write.")],
    workers: Annotated[
        int | None,
        typer.Option("--workers", min=1, help="Worker processes of the embedded Dask cluster."),
    ] = None,
    scheduler: Annotated[
        str | None,
        typer.Option("--scheduler", help="Address of a running Dask scheduler (tcp://host:port)."),
    ] = None,
    resume: Annotated[
        bool, typer.Option("--resume", help="Keep finished runs in --out and run the rest.")
    ] = False,
) -> None:
    """Solve every run of a sweep in parallel; write results, robustness map, charts, report.

    Parameters
    ----------
    sweep_file
        The sweep YAML file.
    out
        The sweep folder.
    workers
        Worker processes of the embedded Dask cluster.
    scheduler
        Address of a running Dask scheduler.
    resume
        Keep finished runs and run the rest.
    """
    import logging

    import distributed  # configures its loggers on import, so set their level after it

    from clusterloc.sweep import expand_runs, load_sweep, run_sweep

    # Dask logs every cluster start and stop at INFO; people see the progress bar instead.
    if logging.getLogger().level > logging.DEBUG:
        logging.getLogger(distributed.__name__).setLevel(logging.WARNING)
    spec = load_sweep(sweep_file)
    total = len(expand_runs(spec))
    progress = Progress(
        TextColumn("[bold]sweep[/] {task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("{task.fields[failed]} without solution"),
        TimeElapsedColumn(),
        TextColumn("ETA"),
        TimeRemainingColumn(),
        console=err_console,
    )
    with progress:
        task = progress.add_task(spec.name, total=total, failed=0)

        def update(done: int, total_: int, failed: int) -> None:
            progress.update(task, completed=done, total=total_, failed=failed)

        try:
            outcome = run_sweep(
                spec, out, workers=workers, scheduler=scheduler, resume=resume, on_progress=update
            )
        except (KeyboardInterrupt, interrupts.Interrupted) as exc:
            progress.stop()
            err_console.print(
                f"[bold red]interrupted:[/] finished runs are in {out / 'results.csv'}; "
                "run again with --resume to finish."
            )
            code = exc.exit_code if isinstance(exc, interrupts.Interrupted) else 130
            raise typer.Exit(code) from None
    console.print(
        f"sweep [bold]{spec.name}[/]: {outcome.total} runs ({outcome.ran} solved now, "
        f"{outcome.skipped} finished before, {outcome.failed} without solution) on "
        f"{outcome.workers} worker(s) in {outcome.seconds['runs']:.1f} s"
    )
    console.print(f"results: {outcome.folder / 'results.csv'}, {outcome.folder / 'report.md'}")


def register(app: typer.Typer) -> None:
    """Attach ``sweep`` to the main app.

    Parameters
    ----------
    app
        The Typer app.
    """
    app.command("sweep")(sweep)
