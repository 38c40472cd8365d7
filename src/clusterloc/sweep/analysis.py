"""What a planner reads from a finished sweep: robustness, tornado, heatmap, report.

:func:`robustness_table` counts how often each candidate site is chosen over the solved
runs; :func:`tornado_table` gives, per parameter, the range of the mean objective over
its values (parameters with many distinct values, as in samples, are cut into five
quantile bins); :func:`write_analysis` writes ``robustness.csv``, ``robustness.html``,
``robustness.png``, ``tornado.png``, ``heatmap.png`` (two-parameter grids only) and
``report.md`` into the sweep folder, each atomically.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from clusterloc.scenario.schema import MARKET, SUPPLIER
from clusterloc.sweep.results import LEAD, TAIL

if TYPE_CHECKING:
    from clusterloc.scenario.build import BuiltScenario
    from clusterloc.sweep.spec import SweepSpec

log = logging.getLogger(__name__)

__all__ = [
    "parameter_columns",
    "robustness_table",
    "solved_rows",
    "tornado_table",
    "write_analysis",
]

SOLVED = ("optimal", "feasible")


def solved_rows(results: pd.DataFrame) -> pd.DataFrame:
    """Rows with a solution.

    Parameters
    ----------
    results
        The sweep's results table.

    Returns
    -------
    pandas.DataFrame
    """
    return results[results["status"].isin(SOLVED)].reset_index(drop=True)


def parameter_columns(results: pd.DataFrame) -> list[str]:
    """Parameter columns that take at least two values.

    Parameters
    ----------
    results
        The sweep's results table.

    Returns
    -------
    list of str
    """
    fixed = set(LEAD) | set(TAIL)
    cols = [c for c in results.columns if c not in fixed and not c.startswith("cost_")]
    return [c for c in cols if results[c].nunique(dropna=True) >= 2]


def robustness_table(results: pd.DataFrame, sites: pd.DataFrame) -> pd.DataFrame:
    """How often each candidate facility is chosen.

    Parameters
    ----------
    results
        The sweep's results table.
    sites
        The base scenario's site table (``site_id, name, type, lon, lat, status``).

    Returns
    -------
    pandas.DataFrame
        ``site_id, name, type, status, lon, lat, chosen, runs, share, decision`` with
        decision ``always``, ``never`` or ``changes``, sorted by type then share.
    """
    solved = solved_rows(results)
    n = len(solved)
    counts: dict[str, int] = {}
    for text in solved["open_sites"].fillna(""):
        for site in str(text).split(";"):
            if site:
                counts[site] = counts.get(site, 0) + 1
    fac = sites[~sites["type"].isin([SUPPLIER, MARKET])]
    cols = [c for c in ("site_id", "name", "type", "status", "lon", "lat") if c in fac.columns]
    table = fac[cols].copy().reset_index(drop=True)
    table["chosen"] = [counts.get(str(s), 0) for s in table["site_id"]]
    table["runs"] = n
    table["share"] = table["chosen"] / n if n else np.nan
    table["decision"] = np.where(
        table["chosen"] == n, "always", np.where(table["chosen"] == 0, "never", "changes")
    )
    return table.sort_values(["type", "share", "site_id"], ascending=[True, False, True])


def _tick(value: Any) -> str:
    if isinstance(value, float | int) and not isinstance(value, bool):
        return f"{value:.4g}"
    return str(value)


def _bins(values: pd.Series) -> pd.Series:
    numeric = pd.to_numeric(values, errors="coerce")
    if numeric.notna().all() and values.nunique() > 6:
        bins = pd.qcut(numeric, 5, duplicates="drop")
        return bins.map(lambda b: f"{b.left:.4g}–{b.right:.4g}").astype(str)
    return values.map(_tick)


def tornado_table(results: pd.DataFrame) -> pd.DataFrame:
    """Per parameter: the lowest and highest mean objective over its values (or bins).

    Parameters
    ----------
    results
        The sweep's results table.

    Returns
    -------
    pandas.DataFrame
        ``parameter, low, high, low_at, high_at, swing`` sorted by ``swing`` (largest first).
    """
    solved = solved_rows(results)
    rows: list[dict[str, Any]] = []
    for col in parameter_columns(solved):
        groups = solved.groupby(_bins(solved[col]), observed=True)["objective"].mean()
        if len(groups) < 2:
            continue
        rows.append(
            {
                "parameter": col,
                "low": float(groups.min()),
                "high": float(groups.max()),
                "low_at": str(groups.idxmin()),
                "high_at": str(groups.idxmax()),
                "swing": float(groups.max() - groups.min()),
            }
        )
    frame = pd.DataFrame(rows, columns=["parameter", "low", "high", "low_at", "high_at", "swing"])
    return frame.sort_values("swing", ascending=False).reset_index(drop=True)


def _atomic(path: Path, write: Any) -> None:
    tmp = path.with_name(f".{path.name}.tmp{path.suffix}")
    write(tmp)
    os.replace(tmp, path)


def _plot_tornado(table: pd.DataFrame, base: float, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(8, 0.5 * max(len(table), 2) + 1.5))
    rows = table.iloc[::-1]
    for i, row in enumerate(_records(rows)):
        low, high = float(row["low"]) / 1e9, float(row["high"]) / 1e9
        ax.barh(i, high - low, left=low, color="#4878a8")
        ax.text(low, i, f"{row['low_at']} ", va="center", ha="right", fontsize=8)
        ax.text(high, i, f" {row['high_at']}", va="center", ha="left", fontsize=8)
    ax.axvline(base / 1e9, color="#333", lw=1, ls="--", label="median of all runs")
    ax.set_yticks(range(len(rows)), list(rows["parameter"]))
    ax.set_xlabel("mean objective (billion, scenario currency)")
    ax.set_title("Objective per parameter (tornado)")
    ax.legend(loc="lower right", fontsize=8)
    ax.margins(x=0.25)
    fig.tight_layout()
    _atomic(path, lambda p: fig.savefig(p, dpi=110, format="png"))
    plt.close(fig)


def _plot_heatmap(solved: pd.DataFrame, x: str, y: str, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    pivot = solved.pivot_table(index=y, columns=x, values="objective", aggfunc="mean")
    fig, ax = plt.subplots(figsize=(1.2 * len(pivot.columns) + 3, 0.7 * len(pivot.index) + 2))
    image = ax.imshow(pivot.to_numpy() / 1e9, cmap="viridis", aspect="auto", origin="lower")
    ax.set_xticks(range(len(pivot.columns)), [_tick(v) for v in pivot.columns])
    ax.set_yticks(range(len(pivot.index)), [_tick(v) for v in pivot.index])
    for (i, j), value in np.ndenumerate(pivot.to_numpy() / 1e9):
        if np.isfinite(value):
            ax.text(j, i, f"{value:,.0f}", ha="center", va="center", color="w", fontsize=8)
    ax.set_xlabel(x)
    ax.set_ylabel(y)
    fig.colorbar(image, ax=ax, label="objective (billion)")
    ax.set_title("Objective over the two-parameter grid")
    fig.tight_layout()
    _atomic(path, lambda p: fig.savefig(p, dpi=110, format="png"))
    plt.close(fig)


def _records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    return [{str(k): v for k, v in r.items()} for r in frame.to_dict("records")]


def _fmt(value: Any) -> str:
    try:
        return f"{float(value):,.0f}"
    except (TypeError, ValueError):
        return "–"


def report_text(
    results: pd.DataFrame, robust: pd.DataFrame, tornado: pd.DataFrame, spec: SweepSpec
) -> str:
    """The Markdown of ``report.md``.

    Parameters
    ----------
    results
        The sweep's results table.
    robust
        From :func:`robustness_table`.
    tornado
        From :func:`tornado_table`.
    spec
        The sweep file.

    Returns
    -------
    str
    """
    solved = solved_rows(results)
    counts = results["status"].value_counts().to_dict()
    lines = [
        f"# Sweep {spec.name}",
        "",
        spec.description.strip() or "",
        "",
        f"- runs: {len(results)} ("
        + ", ".join(f"{n} {s}" for s, n in sorted(counts.items()))
        + ")",
    ]
    if len(solved):
        obj = solved["objective"].astype(float)
        lines.append(
            f"- objective: min {_fmt(obj.min())}, median {_fmt(obj.median())}, "
            f"max {_fmt(obj.max())}"
        )
    lines += ["", "## Decisions that change", ""]
    changes = robust[robust["decision"] == "changes"]
    if len(changes):
        lines += ["| site | name | type | chosen in | share |", "|---|---|---|---|---|"]
        for r in _records(changes):
            lines.append(
                f"| {r['site_id']} | {r.get('name', '')} | {r['type']} | "
                f"{r['chosen']} of {r['runs']} | {100 * float(r['share']):.0f} % |"
            )
    else:
        lines.append("None: every run chooses the same sites.")
    lines += ["", "## Decisions that never change", ""]
    for decision, label in (("always", "Chosen in every run"), ("never", "Never chosen")):
        subset = robust[robust["decision"] == decision]
        names = ", ".join(f"{r['site_id']} ({r['type']})" for r in _records(subset)) or "none"
        lines.append(f"- **{label}** ({len(subset)}): {names}")
    if len(tornado):
        lines += [
            "",
            "## Objective per parameter",
            "",
            "| parameter | lowest mean objective (at) | highest (at) | swing |",
            "|---|---|---|---|",
        ]
        for r in _records(tornado):
            lines.append(
                f"| {r['parameter']} | {_fmt(r['low'])} ({r['low_at']}) | "
                f"{_fmt(r['high'])} ({r['high_at']}) | {_fmt(r['swing'])} |"
            )
    failed = results[~results["status"].isin(SOLVED)]
    if len(failed):
        lines += [
            "",
            "## Runs without a solution",
            "",
            "| run | status | message |",
            "|---|---|---|",
        ]
        for row in failed.itertuples():
            message = str(row.message or "").replace("|", "/").replace("\n", " ")
            lines.append(f"| {row.run_id} | {row.status} | {message} |")
    lines += [
        "",
        "Files: `results.parquet` / `results.csv` (one row per run), `robustness.csv`, "
        "`robustness.html` / `robustness.png` (map), `tornado.png`"
        + (", `heatmap.png`" if len(spec.grid) == 2 else "")
        + ". Reproduce a run with `clusterloc solve BASE --set ...` using its `overrides`.",
        "",
        "Map data © OpenStreetMap contributors (ODbL).",
        "",
    ]
    return "\n".join(lines)


def write_analysis(
    folder: Path, results: pd.DataFrame, built: BuiltScenario, spec: SweepSpec
) -> None:
    """Write the robustness map, charts and ``report.md`` of a finished sweep.

    Parameters
    ----------
    folder
        The sweep folder.
    results
        Its results table.
    built
        The base scenario, built (site locations and road network).
    spec
        The sweep file.
    """
    from clusterloc.outputs.robustmap import robustness_html, robustness_png

    folder = Path(folder)
    robust = robustness_table(results, built.tables.sites)
    _atomic(folder / "robustness.csv", lambda p: robust.to_csv(p, index=False))
    network = None
    if built.graph is not None:
        from clusterloc.network import edges_geodataframe

        network = edges_geodataframe(built.graph)
    _atomic(
        folder / "robustness.html",
        lambda p: robustness_html(robust, network, spec.name, p),
    )
    _atomic(folder / "robustness.png", lambda p: robustness_png(robust, network, spec.name, p))
    tornado = tornado_table(results)
    solved = solved_rows(results)
    if len(tornado):
        _plot_tornado(tornado, float(solved["objective"].median()), folder / "tornado.png")
    if len(spec.grid) == 2 and len(solved):
        x, y = list(spec.grid)
        if x in solved.columns and y in solved.columns:
            _plot_heatmap(solved, x, y, folder / "heatmap.png")
    text = report_text(results, robust, tornado, spec)
    _atomic(folder / "report.md", lambda p: p.write_text(text, encoding="utf-8"))
    log.info("sweep analysis written to %s", folder)
