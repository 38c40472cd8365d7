"""The run report: ``report.md`` with key figures, tables and a cost-breakdown chart.

:func:`write_report` reads a run folder (``summary.json`` and ``results.gpkg``) and writes
``report.md`` and ``cost_breakdown.png`` next to them; the report also shows ``map.png``
when the folder has one. Text from input files is escaped, so a name cannot inject
Markdown or HTML into the report.
"""

from __future__ import annotations

import html
import logging
import math
import re
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

import pandas as pd
from matplotlib.figure import Figure

from clusterloc.constants import SolveStatus
from clusterloc.outputs.mapdata import (
    MARKET,
    PNG_NAME,
    SUPPLIER,
    RunLayers,
    cost_items,
    read_run_layers,
    site_category,
)

logger = logging.getLogger(__name__)

REPORT_NAME = "report.md"
CHART_NAME = "cost_breakdown.png"
CHART_COLORS = ("#4c72b0", "#dd8452", "#55a868", "#8172b3", "#c44e52", "#937860", "#da8bc3")


def md_text(value: Any) -> str:
    """Escape a value for a Markdown table cell (HTML, Markdown syntax, pipes, newlines).

    Parameters
    ----------
    value
        Any value from the inputs.

    Returns
    -------
    str
        Text safe inside Markdown (markup characters escaped).
    """
    text = html.escape(str(value), quote=False)
    text = re.sub(r"([\\`*_\[\]|#~!])", r"\\\1", text)
    return re.sub(r"\s*[\r\n]+\s*", " ", text).strip()


def _num(value: Any, digits: int = 0) -> str:
    try:
        number = float(value)
    except (TypeError, ValueError):
        return "–"
    if not math.isfinite(number):
        return "–"
    return f"{number:,.{digits}f}"


def md_table(headers: Sequence[str], rows: Iterable[Sequence[str]], align: str = "") -> str:
    """A Markdown pipe table; ``align`` holds one of ``l``/``r`` per column (default left).

    Parameters
    ----------
    headers
        Column titles.
    rows
        Cell texts per row.
    align
        One of ``l``/``r``/``c`` per column (default left).

    Returns
    -------
    str
        A Markdown table.
    """
    marks = {"l": ":---", "r": "---:"}
    spec = [marks.get(align[i] if i < len(align) else "l", ":---") for i in range(len(headers))]
    lines = ["| " + " | ".join(headers) + " |", "| " + " | ".join(spec) + " |"]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return "\n".join(lines)


def cost_breakdown_figure(summary: Mapping[str, Any]) -> Figure:
    """Horizontal bar chart of the cost terms in ``summary["costs"]`` with their shares.

    Parameters
    ----------
    summary
        The summary of a run (``summary.json``).

    Returns
    -------
    matplotlib.figure.Figure
        Not attached to pyplot; save it with ``fig.savefig``.
    """
    items = cost_items(summary)
    total = sum(v for _, v in items)
    fig = Figure(figsize=(8.0, 0.6 + 0.55 * max(len(items), 1)), dpi=120, facecolor="white")
    ax = fig.add_subplot()
    if not items:
        ax.text(0.5, 0.5, "no cost terms in summary.json", ha="center", va="center")
        ax.set_axis_off()
        return fig
    labels = [label for label, _ in items][::-1]
    values = [v for _, v in items][::-1]
    colors = [CHART_COLORS[i % len(CHART_COLORS)] for i in range(len(items))][::-1]
    bars = ax.barh(labels, values, color=colors)
    top = max(max(values), 1e-9)
    for bar, value in zip(bars, values, strict=True):
        share = f" ({100 * value / total:.1f} %)" if total > 0 else ""
        ax.text(
            bar.get_width() + top * 0.01,
            bar.get_y() + bar.get_height() / 2,
            f"{value:,.0f}{share}",
            va="center",
            fontsize=9,
            parse_math=False,
        )
    ax.set_xlim(0, top * 1.35)
    ax.xaxis.set_major_formatter(lambda x, _pos: f"{x:,.0f}")
    ax.tick_params(labelsize=9)
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    ax.grid(axis="x", color="#dddddd")
    ax.set_axisbelow(True)
    scenario = str(summary.get("scenario") or "run")
    ax.set_title(
        f"Cost breakdown — {scenario}: total {total:,.0f}", fontsize=11, loc="left"
    ).set_parse_math(False)
    fig.tight_layout()
    return fig


def _kpi_rows(summary: Mapping[str, Any], layers: RunLayers) -> list[tuple[str, str]]:
    rows: list[tuple[str, str]] = [
        ("Scenario", md_text(summary.get("scenario", "–"))),
        ("Status", md_text(summary.get("status", "–"))),
        ("Total cost (objective)", _num(summary.get("objective"))),
    ]
    if summary.get("best_bound") is not None:
        rows.append(("Best bound", _num(summary.get("best_bound"))))
    gap = summary.get("gap")
    if isinstance(gap, int | float) and math.isfinite(gap):
        rows.append(("Optimality gap", f"{100 * gap:.2f} %"))
    for label, value in cost_items(summary):
        rows.append((f"Cost: {label}", _num(value)))
    sites = layers.sites
    facilities = sites[sites["type"].map(site_category) == "facility"]
    chosen = facilities[facilities["open"]]
    by_type = ", ".join(
        f"{md_text(t)} {n}" for t, n in chosen["type"].value_counts().sort_index().items()
    )
    open_ids = summary.get("open_sites")
    n_open = len(open_ids) if isinstance(open_ids, list) else len(chosen)
    rows.append(
        ("Open facilities", f"{n_open} of {len(facilities)} candidates ({by_type or 'none'})")
    )
    if summary.get("co2_t") is not None:
        rows.append(("CO₂ (t)", _num(summary.get("co2_t"), 1)))
    service = summary.get("service")
    if isinstance(service, Mapping):
        if service.get("avg_km") is not None:
            rows.append(
                (
                    "Service distance avg / max (km)",
                    f"{_num(service.get('avg_km'))} / {_num(service.get('max_km'))}",
                )
            )
        if service.get("avg_hours") is not None:
            rows.append(
                (
                    "Drive time avg / max (h)",
                    f"{_num(service.get('avg_hours'), 1)} / {_num(service.get('max_hours'), 1)}",
                )
            )
    solver = summary.get("solver")
    if isinstance(solver, Mapping):
        settings = ", ".join(f"{k} {v}" for k, v in solver.items() if k != "name" and v is not None)
        name = str(solver.get("name") or "?")
        rows.append(("Solver", md_text(f"{name} ({settings})" if settings else name)))
    elif solver:
        rows.append(("Solver", md_text(solver)))
    seconds = summary.get("seconds")
    if isinstance(seconds, Mapping) and seconds:
        parts = [f"{md_text(k)} {_num(v, 1)}" for k, v in seconds.items() if v is not None]
        rows.append(("Run time (s)", ", ".join(parts)))
    return rows


def _open_sites_table(sites: pd.DataFrame) -> str:
    facilities = sites[(sites["type"].map(site_category) == "facility") & sites["open"]]
    if not len(facilities):
        return "_No facility was opened._"
    facilities = facilities.sort_values(["level", "type", "name"], na_position="last")
    rows = []
    for _, row in facilities.iterrows():
        util = row["utilization"]
        rows.append(
            [
                md_text(row["site_id"]),
                md_text(row["name"]),
                md_text(row["type"]),
                _num(row["level"]),
                _num(row["capacity"]),
                _num(row["throughput"]),
                f"{100 * util:.1f} %" if pd.notna(util) else "–",
                _num(row["fixed_cost"]),
            ]
        )
    return md_table(
        [
            "site",
            "name",
            "type",
            "level",
            "capacity",
            "throughput",
            "utilization",
            "fixed cost",
        ],
        rows,
        "lllrrrrr",
    )


def _facility_types_table(sites: pd.DataFrame) -> str:
    facilities = sites[sites["type"].map(site_category) == "facility"]
    if not len(facilities):
        return ""
    rows = []
    for site_type, group in facilities.groupby("type", sort=True):
        chosen = group[group["open"]]
        rows.append(
            [
                md_text(site_type),
                str(len(group)),
                str(len(chosen)),
                _num(chosen["throughput"].sum()),
                _num(chosen["fixed_cost"].sum()),
            ]
        )
    return md_table(["type", "candidates", "chosen", "throughput", "fixed cost"], rows, "lrrrr")


def _flows_table(flows: pd.DataFrame) -> str:
    if not len(flows):
        return "_The run has no flows._"
    rows = []
    for commodity, group in flows.groupby("commodity", sort=True):
        tonnes = group["tonnes"]
        tkm = (group["tonnes"] * group["km"]).sum(min_count=1)
        weights = group["volume"].where(group["volume"] > 0)
        avg_km = (group["km"] * weights).sum() / weights.sum() if weights.sum() > 0 else math.nan
        rows.append(
            [
                md_text(commodity),
                str(len(group)),
                _num(group["quantity"].sum(min_count=1)),
                _num(tonnes.sum(min_count=1)),
                _num(tkm),
                _num(avg_km),
                _num(group["km"].max()),
                _num(group["transport_cost"].sum(min_count=1)),
                _num(group["co2_t"].sum(min_count=1), 1),
            ]
        )
    return md_table(
        [
            "commodity",
            "lanes",
            "quantity",
            "tonnes",
            "tonne-km",
            "avg km (weighted)",
            "max km",
            "transport cost",
            "CO₂ t",
        ],
        rows,
        "lrrrrrrrr",
    )


def _unmet_section(run_dir: Path, summary: Mapping[str, Any]) -> str:
    costs = summary.get("costs") or {}
    penalty = costs.get("unmet") if isinstance(costs, Mapping) else None
    path = run_dir / "unmet.csv"
    if not path.is_file():
        if isinstance(penalty, int | float) and penalty > 0:
            return f"Unmet-demand penalty: {_num(penalty)}."
        return ""
    unmet = pd.read_csv(path)
    if not len(unmet):
        return ""
    headers = [md_text(c) for c in unmet.columns]
    rows = [
        [_num(v, 1) if isinstance(v, int | float) else md_text(v) for v in rec]
        for rec in unmet.itertuples(index=False)
    ]
    return md_table(headers, rows)


def report_markdown(run_dir: Path, layers: RunLayers, *, chart: str | None) -> str:
    """Build the Markdown text of a run report.

    Parameters
    ----------
    run_dir
        The run folder (for ``map.png`` and ``unmet.csv``).
    layers
        What :func:`clusterloc.outputs.maps.read_run_layers` read from it.
    chart
        File name of the cost chart beside the report, or None to leave it out.

    Returns
    -------
    str
        The text of ``report.md``.
    """
    summary = layers.summary
    title = md_text(summary.get("scenario") or run_dir.name)
    parts = [f"# Run report: {title}", ""]
    status = str(summary.get("status") or "")
    if status and status != SolveStatus.OPTIMAL:
        parts += [f"> Status **{md_text(status)}**: the plan below is the best one found.", ""]
    if (run_dir / PNG_NAME).is_file():
        parts += [f"![Map of the chosen network]({PNG_NAME})", ""]
    parts += ["## Key figures", ""]
    parts.append(md_table(["KPI", "value"], [list(r) for r in _kpi_rows(summary, layers)], "lr"))
    parts += ["", "## Cost breakdown", ""]
    items = cost_items(summary)
    total = sum(v for _, v in items)
    if items:
        rows = [
            [md_text(label), _num(v), f"{100 * v / total:.1f} %" if total > 0 else "–"]
            for label, v in items
        ]
        rows.append(["**total**", f"**{_num(total)}**", "100.0 %" if total > 0 else "–"])
        parts.append(md_table(["cost term", "value", "share"], rows, "lrr"))
    else:
        parts.append("_summary.json has no cost terms._")
    if chart:
        parts += ["", f"![Cost breakdown]({chart})"]
    parts += ["", "## Open facilities", "", _open_sites_table(layers.sites)]
    types = _facility_types_table(layers.sites)
    if types:
        parts += ["", "### By facility type", "", types]
    sites = layers.sites
    categories = sites["type"].map(site_category)
    parts += [
        "",
        f"Suppliers: {int((categories == SUPPLIER).sum())}, "
        f"markets: {int((categories == MARKET).sum())}.",
    ]
    parts += ["", "## Flows by commodity", "", _flows_table(layers.flows)]
    unmet = _unmet_section(run_dir, summary)
    if unmet:
        parts += ["", "## Unmet demand", "", unmet]
    parts += [
        "",
        "---",
        "Road network: © OpenStreetMap contributors (ODbL). "
        "Distances are road distances on that network.",
        "",
    ]
    return "\n".join(parts)


def write_report(run_dir: Path) -> Path:
    """Write ``report.md`` and ``cost_breakdown.png`` into a run folder.

    Parameters
    ----------
    run_dir
        The run folder (or the temporary folder being filled before the atomic rename).
        Draw the maps first (:func:`clusterloc.outputs.maps.draw_maps`) to have the
        report show ``map.png``.

    Returns
    -------
    pathlib.Path
        The path of ``report.md``.

    Raises
    ------
    InputError
        If the folder is not a run folder or its layers lack required columns.
    """
    run_dir = Path(run_dir)
    layers = read_run_layers(run_dir)
    fig = cost_breakdown_figure(layers.summary)
    fig.savefig(run_dir / CHART_NAME, dpi=120, facecolor="white")
    text = report_markdown(run_dir, layers, chart=CHART_NAME)
    path = run_dir / REPORT_NAME
    path.write_text(text, encoding="utf-8")
    logger.info("wrote %s", path)
    return path


__all__ = ["cost_breakdown_figure", "md_text", "report_markdown", "write_report"]
