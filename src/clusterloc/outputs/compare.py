"""Compare finished runs side by side: KPIs from each run folder's ``summary.json``.

:func:`compare_runs` returns one row per KPI and one column per run;
:func:`write_comparison` writes it as CSV and Markdown.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pandas as pd

from clusterloc.errors import InputError
from clusterloc.outputs.tables import read_summary

__all__ = [
    "COST_TERMS",
    "compare_runs",
    "comparison_markdown",
    "format_comparison",
    "write_comparison",
]

log = logging.getLogger(__name__)

#: Cost terms in display order (others found in summaries follow).
COST_TERMS = ("fixed", "transport", "handling", "purchase", "co2", "unmet")


def _kpis(summary: dict[str, Any], types: Sequence[str], costs: Sequence[str]) -> dict[str, Any]:
    service = summary.get("service") or {}
    by_type = summary.get("open_by_type") or {}
    row: dict[str, Any] = {
        "status": summary.get("status"),
        "objective": summary.get("objective"),
        "gap": summary.get("gap"),
    }
    for term in costs:
        row[f"cost_{term}"] = (summary.get("costs") or {}).get(term)
    row["open_sites"] = len(summary.get("open_sites") or [])
    for ftype in types:
        row[f"open_{ftype}"] = int(by_type.get(ftype, 0))
    row["co2_t"] = summary.get("co2_t")
    row["avg_service_km"] = service.get("avg_km")
    row["max_service_km"] = service.get("max_km")
    row["avg_service_hours"] = service.get("avg_hours")
    row["max_service_hours"] = service.get("max_hours")
    row["unmet_units"] = summary.get("unmet_units")
    row["solve_seconds"] = (summary.get("seconds") or {}).get("solve")
    return row


def compare_runs(run_dirs: Sequence[str | Path]) -> pd.DataFrame:
    """KPIs of several runs side by side.

    Parameters
    ----------
    run_dirs
        Run folders written by ``clusterloc solve``.

    Returns
    -------
    pandas.DataFrame
        Index: KPI names (``status``, ``objective``, ``gap``, ``cost_<term>``,
        ``open_sites``, ``open_<type>``, ``co2_t``, service distances and times,
        ``unmet_units``, ``solve_seconds``); one column per run (scenario name, or the
        folder name when two runs share a scenario name).

    Raises
    ------
    InputError
        A folder is missing or has no readable ``summary.json``.
    """
    if not run_dirs:
        raise InputError("compare needs at least one run folder.")
    summaries = [read_summary(d) for d in run_dirs]
    types = sorted({t for s in summaries for t in (s.get("open_by_type") or {})})
    extra = sorted({c for s in summaries for c in (s.get("costs") or {})} - set(COST_TERMS))
    present = {c for s in summaries for c in (s.get("costs") or {})}
    costs = [c for c in COST_TERMS if c in present or c in COST_TERMS[:3]] + extra
    names = [
        str(s.get("scenario") or Path(d).name) for s, d in zip(summaries, run_dirs, strict=True)
    ]
    if len(set(names)) < len(names):
        names = [Path(d).resolve().name for d in run_dirs]
    if len(set(names)) < len(names):
        names = [str(d) for d in run_dirs]
    columns = {n: _kpis(s, types, costs) for n, s in zip(names, summaries, strict=True)}
    table = pd.DataFrame(columns)
    table.index.name = "kpi"
    return table


def _fmt(value: Any) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "–"
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, int):
        return f"{value:,}"
    if isinstance(value, float):
        if value == 0:
            return "0"
        if abs(value) < 1:
            return f"{value:.4g}"
        return f"{value:,.0f}" if abs(value) >= 1000 else f"{value:,.2f}"
    return str(value)


def format_comparison(table: pd.DataFrame) -> list[list[str]]:
    """Rows of display strings: header first, then one row per KPI.

    Parameters
    ----------
    table
        From :func:`compare_runs`.

    Returns
    -------
    list of list of str
        Header row and one row per KPI, numbers formatted for people.
    """
    rows = [["kpi", *map(str, table.columns)]]
    for kpi, values in table.iterrows():
        rows.append([str(kpi), *(_fmt(v) for v in values.tolist())])
    return rows


def comparison_markdown(table: pd.DataFrame) -> str:
    """The comparison as a Markdown table.

    Parameters
    ----------
    table
        From :func:`compare_runs`.

    Returns
    -------
    str
        A Markdown table.
    """
    rows = format_comparison(table)
    lines = ["| " + " | ".join(rows[0]) + " |", "|" + "---|" * len(rows[0])]
    lines += ["| " + " | ".join(r) + " |" for r in rows[1:]]
    return "\n".join(lines) + "\n"


def write_comparison(table: pd.DataFrame, out: str | Path) -> tuple[Path, Path]:
    """Write the comparison as ``<out>.csv`` and ``<out>.md``.

    Parameters
    ----------
    table
        From :func:`compare_runs`.
    out
        Path prefix (a ``.csv`` or ``.md`` suffix is dropped).

    Returns
    -------
    csv_path, md_path
    """
    base = Path(out)
    if base.suffix.lower() in (".csv", ".md"):
        base = base.with_suffix("")
    base.parent.mkdir(parents=True, exist_ok=True)
    csv_path = base.with_name(base.name + ".csv")
    md_path = base.with_name(base.name + ".md")
    table.to_csv(csv_path)
    md_path.write_text("# Scenario comparison\n\n" + comparison_markdown(table), encoding="utf-8")
    log.info("comparison written to %s and %s", csv_path, md_path)
    return csv_path, md_path
