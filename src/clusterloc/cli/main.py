"""The ``clusterloc`` command line: one Typer app, one sub-module per command group.

Exit codes: 0 solved / done, 1 unexpected error, 2 invalid input, 3 infeasible,
4 no solution within limits, 130 interrupted. Errors print as one line; ``--debug``
(anywhere on the command line) shows the traceback as well.
"""

from __future__ import annotations

import logging
import sys
import traceback

import typer
from rich.console import Console
from rich.markup import escape

from clusterloc.errors import ClusterlocError

__all__ = [
    "main",
]

app = typer.Typer(
    name="clusterloc",
    help="Logistics location optimizer for industrial clusters (OpenStreetMap + MILP).",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
err_console = Console(stderr=True)


def _register() -> None:
    """Attach the command groups. Each lives in its own module."""
    from clusterloc.cli import bench, network, run, sweep

    app.add_typer(network.app, name="network", help="Build and query truck road networks.")
    app.add_typer(bench.app, name="bench", help="Solve published benchmark instances.")
    run.register(app)
    sweep.register(app)


def main(argv: list[str] | None = None) -> None:
    """Entry point of the ``clusterloc`` console script."""
    args = list(sys.argv[1:] if argv is None else argv)
    debug = "--debug" in args
    if debug:
        args = [a for a in args if a != "--debug"]
    logging.basicConfig(
        level=logging.DEBUG if debug else logging.WARNING,
        format="%(levelname)s %(name)s: %(message)s",
    )
    try:
        _register()
        # Standalone mode: Typer reports usage errors itself (one line, exit 2).
        app(args=args, prog_name="clusterloc")
    except ClusterlocError as exc:
        if debug:
            traceback.print_exc()
        err_console.print(
            f"[bold red]error:[/] {escape(str(exc))}", highlight=False, soft_wrap=True
        )
        sys.exit(exc.exit_code)
    except KeyboardInterrupt:
        err_console.print("[bold red]interrupted[/]")
        sys.exit(130)
    except Exception as exc:  # last-resort guard: one line, not a traceback
        if debug:
            traceback.print_exc()
        err_console.print(
            f"[bold red]unexpected error:[/] {type(exc).__name__}: {exc} "
            "(run with --debug for the traceback)",
            highlight=False,
            soft_wrap=True,
        )
        sys.exit(1)


if __name__ == "__main__":  # pragma: no cover
    main()
