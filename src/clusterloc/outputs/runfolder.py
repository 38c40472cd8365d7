"""The run folder, written atomically: all files or nothing.

:func:`atomic_run_dir` hands out a temporary folder beside the target (same parent, so
the final ``rename`` is atomic on one file system); only when the block finishes
without an exception is it renamed to the target. A failed, infeasible or interrupted
(Ctrl-C) run leaves neither a half-written folder nor the temporary one.
"""

from __future__ import annotations

import contextlib
import logging
import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

from clusterloc.errors import InputError

__all__ = [
    "RUN_FILES",
    "OutputExistsError",
    "atomic_run_dir",
    "check_output_dir",
]

log = logging.getLogger(__name__)

#: Files a finished run folder holds (maps and report are added when drawn).
RUN_FILES: tuple[str, ...] = (
    "summary.json",
    "sites.csv",
    "flows.csv",
    "results.gpkg",
    "map.html",
    "map.png",
    "report.md",
)


class OutputExistsError(InputError):
    """The output folder exists and ``force`` was not given."""


def check_output_dir(out: str | os.PathLike[str], *, force: bool = False) -> Path:
    """Check that a run may be written to ``out``, before any work is done.

    Parameters
    ----------
    out
        The run folder to create.
    force
        Allow replacing an existing run folder.

    Returns
    -------
    pathlib.Path
        ``out`` as an absolute path.

    Raises
    ------
    OutputExistsError
        ``out`` exists and ``force`` is false.
    InputError
        ``out`` exists and is a file, or is the current directory or one of its parents.
    """
    path = Path(out).expanduser().absolute()
    if path.exists():
        if not path.is_dir():
            raise InputError(f"output path {out} exists and is not a folder.")
        if not force:
            raise OutputExistsError(
                f"output folder {out} already exists; use --force to replace it."
            )
        cwd = Path.cwd().resolve()
        if path.resolve() == cwd or path.resolve() in cwd.parents:
            raise InputError(f"output folder {out} contains the current directory; refusing.")
    return path


def _missing_parents(path: Path) -> list[Path]:
    missing = []
    for parent in path.parents:
        if parent.exists():
            break
        missing.append(parent)
    return missing


@contextlib.contextmanager
def atomic_run_dir(out: str | os.PathLike[str], *, force: bool = False) -> Iterator[Path]:
    """Write a run folder atomically.

    Parameters
    ----------
    out
        Final run folder.
    force
        Replace ``out`` if it exists (the old folder is removed only after the new one
        is complete).

    Yields
    ------
    pathlib.Path
        A temporary folder in the same parent; write every file into it.

    Raises
    ------
    OutputExistsError
        ``out`` exists and ``force`` is false (nothing is written).

    Examples
    --------
    >>> with atomic_run_dir("runs/base") as tmp:               # doctest: +SKIP
    ...     (tmp / "summary.json").write_text("{}")
    """
    path = check_output_dir(out, force=force)
    created = _missing_parents(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{path.name}.tmp-", dir=path.parent))
    try:
        yield tmp
        # Re-check: another process may have created the folder meanwhile.
        check_output_dir(path, force=force)
        if path.exists():
            old = Path(tempfile.mkdtemp(prefix=f".{path.name}.old-", dir=path.parent))
            os.rename(path, old / path.name)
            os.rename(tmp, path)
            shutil.rmtree(old, ignore_errors=True)
        else:
            os.rename(tmp, path)
        log.info("run folder written: %s", path)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        for folder in created:  # innermost first
            with contextlib.suppress(OSError):
                folder.rmdir()
        raise
