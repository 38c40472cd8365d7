"""Ctrl-C and SIGTERM: stop the run where it is, clean up, exit 130 / 143.

:func:`install` makes SIGINT and SIGTERM raise :class:`Interrupted` in the main thread,
wherever the run is (network build, matrices, solver, writing). ``Interrupted`` derives
from ``BaseException`` but not from ``KeyboardInterrupt``, so no library swallows it
(Typer would turn a ``KeyboardInterrupt`` into a silent exit 130); every ``finally`` and
``except BaseException`` on the way out still runs: the temporary run folder is removed
(:func:`clusterloc.outputs.runfolder.atomic_run_dir`), an in-process HiGHS solve is
cancelled through its interrupt callback and a CBC child process is stopped and its
files removed (:mod:`clusterloc.model.solvers`).

Further signals while the run is already stopping are ignored, so that a second Ctrl-C
cannot cut the clean-up short; the clean-up itself is bounded (a solver child that does
not stop within a second is killed).
"""

from __future__ import annotations

import logging
import signal
from types import FrameType

__all__ = ["SIGNALS", "Interrupted", "install"]

log = logging.getLogger(__name__)

#: Signals turned into :class:`Interrupted`.
SIGNALS: tuple[signal.Signals, ...] = (signal.SIGINT, signal.SIGTERM)


class Interrupted(BaseException):
    """The run received SIGINT or SIGTERM.

    Attributes
    ----------
    signum
        The signal number; the CLI exits with ``128 + signum`` (130 for SIGINT, 143 for
        SIGTERM).
    """

    def __init__(self, signum: int) -> None:
        super().__init__(signal.Signals(signum).name)
        self.signum = int(signum)

    @property
    def exit_code(self) -> int:
        """``128 + signum``, the shell's convention."""
        return 128 + self.signum


class _Handler:
    def __init__(self) -> None:
        self.stopping = False

    def __call__(self, signum: int, frame: FrameType | None) -> None:
        if self.stopping:
            log.debug("signal %s ignored: the run is already stopping", signum)
            return
        self.stopping = True
        raise Interrupted(signum)


def install() -> None:
    """Make SIGINT and SIGTERM raise :class:`Interrupted` (call once, in the main thread)."""
    handler = _Handler()
    for sig in SIGNALS:
        signal.signal(sig, handler)
