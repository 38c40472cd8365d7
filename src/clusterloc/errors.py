"""Exception hierarchy shared by every clusterloc module.

Every error a user can cause by giving bad input derives from :class:`InputError`;
its message is one plain sentence that names the offending file, key path, table
row or site. The CLI maps each class to an exit code (``exit_code``) and prints the
message without a traceback.
"""

from __future__ import annotations

from typing import Any

__all__ = [
    "ClusterlocError",
    "InfeasibleError",
    "InputError",
    "ModelInputError",
    "NetworkError",
    "NoSolutionError",
    "ScenarioError",
    "SnapError",
    "SolverUnavailableError",
]


class ClusterlocError(Exception):
    """Base class of all errors raised on purpose by clusterloc."""

    exit_code: int = 1


class InputError(ClusterlocError):
    """Invalid user input: bad file, bad key, bad value. CLI exit code 2."""

    exit_code = 2


class NetworkError(InputError):
    """A road-network source cannot be read or gives no usable truck network."""


class SnapError(InputError):
    """A site lies farther from the road network than the allowed snap distance."""


class ScenarioError(InputError):
    """A scenario file or one of its tables is invalid."""


class ModelInputError(InputError):
    """Model inputs (tables handed to :mod:`clusterloc.model`) are inconsistent."""


class SolverUnavailableError(InputError):
    """The requested solver is unknown or not installed."""


class InfeasibleError(ClusterlocError):
    """The model has no feasible solution. CLI exit code 3.

    Parameters
    ----------
    message
        One-line explanation naming the binding cause.
    causes
        Machine-readable list of causes (dicts with at least a ``"kind"`` key).
    """

    exit_code = 3

    def __init__(self, message: str, causes: list[dict[str, Any]] | None = None) -> None:
        super().__init__(message)
        self.causes: list[dict[str, Any]] = causes or []


class NoSolutionError(ClusterlocError):
    """The solver stopped at a limit without any feasible solution. CLI exit code 4."""

    exit_code = 4
