"""The results table of a sweep: one row per run, rewritten atomically after each run.

``results.parquet`` and ``results.csv`` in the sweep folder hold the same rows: the run
id, its ``--set`` overrides (JSON list), every parameter, ``status`` and ``message``,
objective, bound, gap, each cost term (``cost_<term>``), ``co2_t``, the open sites
(``;``-separated) and timings. Each file is written to a temporary name and renamed, so
a crash or Ctrl-C leaves the last complete table.
"""

from __future__ import annotations

import json
import logging
import os
from pathlib import Path
from typing import Any

import pandas as pd

from clusterloc.errors import ScenarioError

log = logging.getLogger(__name__)

__all__ = ["FINISHED", "ResultStore"]

PARQUET = "results.parquet"
CSV = "results.csv"

#: Statuses of runs that ``--resume`` does not repeat (``error`` runs are retried).
FINISHED = frozenset({"optimal", "feasible", "infeasible", "no_solution", "invalid"})

#: Leading columns, in order; parameters and cost terms follow.
LEAD = ["run_id", "status", "message", "objective", "best_bound", "gap", "co2_t", "n_open"]
TAIL = ["open_sites", "seconds", "seconds_model", "worker", "overrides"]


def _atomic_write(path: Path, write: Any) -> None:
    tmp = path.with_name(f".{path.name}.tmp")
    write(tmp)
    os.replace(tmp, path)


class ResultStore:
    """Rows of a sweep folder, kept in memory and written after each :meth:`add`.

    Parameters
    ----------
    folder
        The sweep folder (created if missing).
    """

    def __init__(self, folder: Path) -> None:
        self.folder = Path(folder)
        self.folder.mkdir(parents=True, exist_ok=True)
        self.rows: dict[str, dict[str, Any]] = {}

    @property
    def parquet(self) -> Path:
        """Path of ``results.parquet``."""
        return self.folder / PARQUET

    @property
    def csv(self) -> Path:
        """Path of ``results.csv``."""
        return self.folder / CSV

    def exists(self) -> bool:
        """True when the folder already holds results.

        Returns
        -------
        bool
        """
        return self.parquet.is_file()

    def load(self, expected: dict[str, tuple[str, ...]]) -> None:
        """Read the rows written before (for ``--resume``).

        Parameters
        ----------
        expected
            ``run_id`` → overrides of the current sweep file.

        Raises
        ------
        ScenarioError
            A stored run's overrides differ from the sweep file's (the file changed).
        """
        if not self.exists():
            return
        table = pd.read_parquet(self.parquet)
        for row in table.to_dict("records"):
            run_id = str(row["run_id"])
            stored = tuple(json.loads(row["overrides"]))
            if run_id in expected and expected[run_id] != stored:
                raise ScenarioError(
                    f"{self.parquet}: run {run_id} was made with other settings than the sweep "
                    "file now gives; write to a new --out folder."
                )
            self.rows[run_id] = {str(k): v for k, v in row.items() if not _is_nan(v)}

    def finished(self) -> set[str]:
        """Run ids that need not run again.

        Returns
        -------
        set of str
        """
        return {r for r, row in self.rows.items() if row.get("status") in FINISHED}

    def add(self, row: dict[str, Any]) -> None:
        """Store one run's row and rewrite both files.

        Parameters
        ----------
        row
            Column to value; ``run_id`` required.
        """
        self.rows[str(row["run_id"])] = row
        self.write()

    def table(self) -> pd.DataFrame:
        """All rows, sorted by run id, leading columns first.

        Returns
        -------
        pandas.DataFrame
        """
        frame = pd.DataFrame([self.rows[k] for k in sorted(self.rows)])
        if frame.empty:
            return pd.DataFrame(columns=LEAD + TAIL)
        for col in LEAD + TAIL:
            if col not in frame.columns:
                frame[col] = None
        middle = [c for c in frame.columns if c not in LEAD and c not in TAIL]
        params = sorted(c for c in middle if not c.startswith("cost_"))
        costs = sorted(c for c in middle if c.startswith("cost_"))
        return frame[LEAD + params + costs + TAIL]

    def write(self) -> None:
        """Write ``results.parquet`` and ``results.csv`` atomically."""
        frame = self.table()
        _atomic_write(self.parquet, lambda p: frame.to_parquet(p, index=False))
        _atomic_write(self.csv, lambda p: frame.to_csv(p, index=False))


def _is_nan(value: Any) -> bool:
    try:
        return bool(pd.isna(value))
    except (TypeError, ValueError):
        return False
