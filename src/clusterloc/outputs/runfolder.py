"""The run folder, written atomically: all files or nothing, and never over a user's folder.

:func:`atomic_run_dir` hands out a temporary folder beside the target (same parent, so
the final ``rename`` is atomic on one file system); only when the block finishes
without an exception is it renamed to the target. A failed, infeasible or interrupted
(Ctrl-C, SIGTERM) run leaves neither a half-written folder nor the temporary one.

Every finished run folder holds a marker, :data:`MARKER` (``.clusterloc-run``): a small
JSON manifest of the files clusterloc wrote there, with their SHA-256. ``--force``
replaces only a folder that carries a valid marker and holds nothing clusterloc did not
write; any other existing folder is refused (:func:`check_output_dir`), so a mistyped
``--out`` can never wipe a user's documents.

:func:`check_output_dir` runs before any work: it also refuses an ``--out`` that cannot
be written (a file in the path, a read-only or virtual file system such as ``/proc``) by
actually creating and removing a probe folder where the run folder will go.
:func:`safe_folder_name` turns a scenario name into a folder name that stays inside
``runs/`` (:func:`default_run_dir`).
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import json
import logging
import os
import re
import shutil
import tempfile
import unicodedata
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from clusterloc.errors import InputError

__all__ = [
    "MARKER",
    "OPTIONAL_RUN_FILES",
    "RUN_FILES",
    "OutputExistsError",
    "OutputNotARunError",
    "OutputNotWritableError",
    "atomic_run_dir",
    "check_output_dir",
    "default_run_dir",
    "foreign_entries",
    "is_run_folder",
    "read_marker",
    "safe_folder_name",
    "write_marker",
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

#: Other files clusterloc may write into a run folder (``clusterloc map`` redraws the
#: maps and the report of a run written with ``--no-maps``).
OPTIONAL_RUN_FILES: tuple[str, ...] = (
    "scenario.resolved.yaml",
    "unmet.csv",
    "cost_breakdown.png",
)

#: The marker (manifest) file of a run folder.
MARKER = ".clusterloc-run"
#: Value of the marker's ``"format"`` key.
MARKER_FORMAT = "clusterloc-run-folder"
#: Version of the marker layout.
MARKER_VERSION = 1

#: Longest folder name :func:`safe_folder_name` returns (bytes stay well below 255).
MAX_NAME_CHARS = 80

_WINDOWS_RESERVED = {
    "con",
    "prn",
    "aux",
    "nul",
    *(f"com{i}" for i in range(1, 10)),
    *(f"lpt{i}" for i in range(1, 10)),
}


class OutputExistsError(InputError):
    """The output folder exists and ``force`` was not given."""


class OutputNotARunError(InputError):
    """``--force`` was given for an existing folder that is not a clusterloc run folder."""


class OutputNotWritableError(InputError):
    """The output folder cannot be created or written."""


# --------------------------------------------------------------------------- names


def safe_folder_name(name: str) -> str:
    """A folder name made from a scenario name: one path component, never hidden.

    Path separators, control characters and characters that are not letters, digits,
    ``.``, ``-`` or ``_`` become ``_``; leading dots and underscores are dropped (no
    ``..``, no hidden folder); the result is at most :data:`MAX_NAME_CHARS` characters.
    Letters of any script are kept (``Алматы`` stays ``Алматы``).

    Parameters
    ----------
    name
        The scenario's ``name``.

    Returns
    -------
    str
        A non-empty name (``"run"`` when nothing usable is left).

    Examples
    --------
    >>> safe_folder_name("../../x")
    'x'
    >>> safe_folder_name("/home/me/Documents")
    'home_me_Documents'
    >>> safe_folder_name("kz auto: base")
    'kz_auto_base'
    """
    text = unicodedata.normalize("NFC", str(name))
    text = re.sub(r"[^\w.\-]+", "_", text, flags=re.UNICODE)
    text = re.sub(r"_{2,}", "_", text)
    text = text.lstrip("._-").rstrip("._ ")
    text = text[:MAX_NAME_CHARS].rstrip("._ ")
    if not text:
        return "run"
    if text.split(".")[0].lower() in _WINDOWS_RESERVED:
        text = f"{text}_run"
    return text


def default_run_dir(name: str, runs: str | os.PathLike[str] = "runs") -> Path:
    """``runs/<safe name>``: the run folder used when no ``--out`` is given.

    Parameters
    ----------
    name
        The scenario's ``name``.
    runs
        The folder of runs.

    Returns
    -------
    pathlib.Path
        ``runs / safe_folder_name(name)``.
    """
    return Path(runs) / safe_folder_name(name)


# --------------------------------------------------------------------------- marker


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def write_marker(folder: Path) -> Path:
    """Write the marker of a finished run folder: every file in it with its SHA-256.

    Parameters
    ----------
    folder
        The (temporary) run folder, complete.

    Returns
    -------
    pathlib.Path
        The marker file.
    """
    files = {
        p.name: _sha256(p) for p in sorted(folder.iterdir()) if p.is_file() and p.name != MARKER
    }
    body = {"format": MARKER_FORMAT, "version": MARKER_VERSION, "files": files}
    path = folder / MARKER
    path.write_text(json.dumps(body, indent=2) + "\n", encoding="utf-8")
    return path


def read_marker(folder: str | os.PathLike[str]) -> dict[str, Any] | None:
    """The marker of a run folder, or ``None`` when ``folder`` carries no valid marker.

    Parameters
    ----------
    folder
        A folder.

    Returns
    -------
    dict or None
        The marker's contents (``format``, ``version``, ``files``).
    """
    path = Path(folder) / MARKER
    try:
        if not path.is_file() or path.stat().st_size > 1 << 20:
            return None
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError):
        return None
    if not isinstance(data, dict) or data.get("format") != MARKER_FORMAT:
        return None
    if not isinstance(data.get("files"), dict):
        return None
    return data


def foreign_entries(folder: Path, marker: dict[str, Any]) -> list[str]:
    """Entries of a marked run folder that clusterloc did not write there (sorted).

    Parameters
    ----------
    folder
        A run folder.
    marker
        Its marker (:func:`read_marker`).

    Returns
    -------
    list of str
        Names of files, folders or links that are neither in the marker nor run files.
    """
    known = {MARKER, *marker["files"], *RUN_FILES, *OPTIONAL_RUN_FILES}
    out = []
    for entry in folder.iterdir():
        if entry.name not in known or entry.is_symlink() or not entry.is_file():
            out.append(entry.name)
    return sorted(out)


def is_run_folder(folder: str | os.PathLike[str]) -> bool:
    """Whether ``folder`` is a clusterloc run folder that ``--force`` may replace.

    Parameters
    ----------
    folder
        A folder.

    Returns
    -------
    bool
        True for a real folder with a valid marker and nothing clusterloc did not write.
    """
    path = Path(folder)
    if path.is_symlink() or not path.is_dir():
        return False
    marker = read_marker(path)
    return marker is not None and not foreign_entries(path, marker)


# --------------------------------------------------------------------------- checks


def _nearest_existing(path: Path) -> Path:
    for candidate in (path, *path.parents):
        if os.path.lexists(candidate):
            return candidate
    return Path(path.anchor or "/")


def _probe_writable(out: str | os.PathLike[str], path: Path) -> None:
    """Create and remove a probe folder where the run folder's parent will be."""
    base = _nearest_existing(path.parent)
    if not base.is_dir():
        raise OutputNotWritableError(
            f"output folder {out} cannot be created: {base} is a file, not a folder."
        )
    try:
        probe = Path(tempfile.mkdtemp(prefix=".clusterloc-probe-", dir=base))
    except OSError as exc:
        reason = os.strerror(exc.errno) if exc.errno else str(exc)
        if exc.errno in (errno.EACCES, errno.EPERM):
            reason = "permission denied"
        elif exc.errno == errno.EROFS:
            reason = "read-only file system"
        raise OutputNotWritableError(
            f"output folder {out} cannot be written: creating a folder in {base} failed "
            f"({reason.lower()})."
        ) from None
    try:
        (probe / "probe").write_bytes(b"")
    except OSError as exc:
        raise OutputNotWritableError(
            f"output folder {out} cannot be written: writing a file in {base} failed "
            f"({(os.strerror(exc.errno) if exc.errno else str(exc)).lower()})."
        ) from None
    finally:
        shutil.rmtree(probe, ignore_errors=True)


def check_output_dir(out: str | os.PathLike[str], *, force: bool = False) -> Path:
    """Check that a run may be written to ``out``, before any work is done.

    Parameters
    ----------
    out
        The run folder to create.
    force
        Allow replacing an existing *run folder* (one carrying :data:`MARKER` and
        nothing clusterloc did not write).

    Returns
    -------
    pathlib.Path
        ``out`` as an absolute path.

    Raises
    ------
    OutputExistsError
        ``out`` exists and ``force`` is false.
    OutputNotARunError
        ``force`` is true but ``out`` is not a clusterloc run folder (a user's folder,
        a symbolic link, a run folder holding other files).
    OutputNotWritableError
        ``out`` cannot be created or written (a file in the path, read-only, ``/proc``).
    InputError
        ``out`` exists and is a file, or is the current directory or one of its parents.
    """
    raw = str(out)
    if not raw.strip() or "\x00" in raw:
        raise OutputNotWritableError(f"output folder {raw!r} is not a usable path.")
    path = Path(out).expanduser().absolute()
    if path.name in ("", ".", ".."):
        path = path.resolve()
    if os.path.lexists(path):
        if path.is_symlink():
            raise OutputNotARunError(
                f"output folder {out} is a symbolic link; give the folder itself."
            )
        if not path.is_dir():
            raise InputError(f"output path {out} exists and is not a folder.")
        cwd = Path.cwd().resolve()
        if path.resolve() == cwd or path.resolve() in cwd.parents:
            raise InputError(f"output folder {out} contains the current directory; refusing.")
        if not force:
            raise OutputExistsError(
                f"output folder {out} already exists; use --force to replace it."
            )
        marker = read_marker(path)
        if marker is None:
            raise OutputNotARunError(
                f"output folder {out} exists and is not a clusterloc run folder (no {MARKER} "
                "marker); --force replaces only run folders, so move or delete it yourself."
            )
        extra = foreign_entries(path, marker)
        if extra:
            shown = ", ".join(extra[:3]) + (f" (+{len(extra) - 3} more)" if len(extra) > 3 else "")
            raise OutputNotARunError(
                f"output folder {out} is a run folder but also holds files clusterloc did not "
                f"write ({shown}); --force will not delete them, move them first."
            )
    _probe_writable(out, path)
    return path


def _missing_parents(path: Path) -> list[Path]:
    missing = []
    for parent in path.parents:
        if os.path.lexists(parent):
            break
        missing.append(parent)
    return missing


def _current_umask() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def _open_permissions(folder: Path) -> None:
    """Give ``folder`` the permissions a plain ``mkdir`` would (mkdtemp makes it 0700)."""
    os.chmod(folder, 0o777 & ~_current_umask())


@contextlib.contextmanager
def atomic_run_dir(out: str | os.PathLike[str], *, force: bool = False) -> Iterator[Path]:
    """Write a run folder atomically.

    Parameters
    ----------
    out
        Final run folder.
    force
        Replace ``out`` if it is a run folder (the old folder is removed only after the
        new one is complete).

    Yields
    ------
    pathlib.Path
        A temporary folder in the same parent; write every file into it. When the block
        ends, the marker is written, the folder gets normal permissions (as ``mkdir``
        under the current umask) and is renamed to ``out``.

    Raises
    ------
    OutputExistsError, OutputNotARunError, OutputNotWritableError
        See :func:`check_output_dir` (nothing is written).

    Examples
    --------
    >>> with atomic_run_dir("runs/base") as tmp:               # doctest: +SKIP
    ...     (tmp / "summary.json").write_text("{}")
    """
    path = check_output_dir(out, force=force)
    created = _missing_parents(path)
    tmp: Path | None = None
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(prefix=f".{path.name}.tmp-", dir=path.parent))
        yield tmp
        write_marker(tmp)
        _open_permissions(tmp)
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
        if tmp is not None:
            shutil.rmtree(tmp, ignore_errors=True)
        for folder in created:  # innermost first
            with contextlib.suppress(OSError):
                folder.rmdir()
        raise
