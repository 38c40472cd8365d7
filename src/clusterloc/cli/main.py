"""The ``clusterloc`` command line: one Typer app, one sub-module per command group.

Exit codes: 0 solved / done, 1 unexpected error, 2 invalid input (also a usage error such
as an unknown option or ``--time-limit 10s``), 3 infeasible, 4 no solution within limits,
130 interrupted by Ctrl-C (SIGINT), 143 stopped by SIGTERM. Errors print as one line;
``--debug`` (anywhere on the command line) shows the traceback as well.
"""

from __future__ import annotations

import logging
import os
import sys
import traceback
from typing import NoReturn

import typer
from rich.console import Console

from clusterloc.cli import interrupts
from clusterloc.cli.text import plain
from clusterloc.errors import ClusterlocError, InfeasibleError

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

#: Exit code of a command-line usage error (unknown option, bad option value).
USAGE_EXIT = 2


def _register() -> None:
    """Attach the command groups. Each lives in its own module."""
    from clusterloc.cli import bench, network, run, sweep

    app.add_typer(network.app, name="network", help="Build and query truck road networks.")
    app.add_typer(bench.app, name="bench", help="Solve published benchmark instances.")
    run.register(app)
    sweep.register(app)


def _is_click_error(exc: BaseException) -> bool:
    """A usage error raised by Typer's command-line parser (click or Typer's own copy)."""
    module = type(exc).__module__ or ""
    return module.startswith(("click", "typer")) and hasattr(exc, "format_message")


def _usage_line(exc: Exception) -> str:
    """One line for a usage error: the parser's message and where to find help."""
    message = " ".join(str(exc.format_message()).split())  # type: ignore[attr-defined]
    ctx = getattr(exc, "ctx", None)
    command = getattr(ctx, "command_path", None) or "clusterloc"
    if not message.endswith((".", "!", "?")):
        message += "."
    return f"{message} See '{command} --help'."


def _fail(message: str, code: int, details: list[str] | None = None) -> NoReturn:
    err_console.print(f"[bold red]error:[/] {plain(message)}", highlight=False, soft_wrap=True)
    for line in details or ():
        err_console.print(f"  {plain(line)}", highlight=False, soft_wrap=True)
    sys.exit(code)


def _other_causes(exc: ClusterlocError) -> list[str]:
    """Every cause of an infeasible model after the first (which the message names)."""
    if not isinstance(exc, InfeasibleError) or len(exc.causes) < 2:
        return []
    return [
        f"cause {i}: {cause.get('message') or cause.get('kind') or cause}"
        for i, cause in enumerate(exc.causes[1:], start=2)
    ]


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
    interrupts.install()
    try:
        _register()
        # Not standalone: usage errors come back here and print as one line, not a box.
        code = app(args=args, prog_name="clusterloc", standalone_mode=False)
    except ClusterlocError as exc:
        if debug:
            traceback.print_exc()
        _fail(str(exc), exc.exit_code, _other_causes(exc))
    except interrupts.Interrupted as exc:  # where it stopped is no bug: no traceback
        err_console.print(f"[bold red]interrupted[/] ({exc.args[0]})", highlight=False)
        # Every clean-up ran on the way here (temporary run folder, solver child and files).
        # Leave now: tearing down a large model or an abandoned solver thread can take
        # seconds that a user who pressed Ctrl-C should not wait.
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(exc.exit_code)
    except Exception as exc:  # last-resort guard: one line, not a traceback
        if _is_click_error(exc):
            if type(exc).__name__ == "NoArgsIsHelpError":
                exc.show()  # type: ignore[attr-defined]  # the help text, as asked
                sys.exit(USAGE_EXIT)
            _fail(_usage_line(exc), int(getattr(exc, "exit_code", USAGE_EXIT)))
        if type(exc).__name__ == "Abort":
            _fail("aborted.", 1)
        if debug:
            traceback.print_exc()
        _fail(
            f"unexpected error: {type(exc).__name__}: {exc} (run with --debug for the traceback)",
            1,
        )
    sys.exit(code if isinstance(code, int) else 0)


if __name__ == "__main__":  # pragma: no cover
    main()
