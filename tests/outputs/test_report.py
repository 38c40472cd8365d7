"""report.md and cost_breakdown.png written from a run folder."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
from matplotlib import image as mpimg

from clusterloc.errors import InputError
from clusterloc.outputs.maps import draw_maps
from clusterloc.outputs.report import cost_breakdown_figure, md_text, write_report


def _section(text: str, heading: str) -> str:
    start = text.index(heading)
    rest = text[start + len(heading) :]
    end = re.search(r"^## ", rest, flags=re.M)
    return rest[: end.start()] if end else rest


def _table_rows(section: str) -> list[list[str]]:
    rows = []
    for line in section.splitlines():
        if line.startswith("| ") and not line.startswith("| :") and not line.startswith("| -"):
            cells = re.split(r"(?<!\\)\|", line.strip())[1:-1]
            rows.append([c.strip() for c in cells])
    return rows[1:]  # drop the header


def test_report_has_kpis_costs_open_sites_and_flows(
    run_dir: Path, run_facts: dict[str, Any]
) -> None:
    draw_maps(run_dir)
    path = write_report(run_dir)
    assert path == run_dir / "report.md"
    text = path.read_text(encoding="utf-8")
    summary = json.loads((run_dir / "summary.json").read_text())

    assert text.startswith("# Run report: kz\\_auto\\_demo")
    assert "![Map of the chosen network](map.png)" in text
    assert "![Cost breakdown](cost_breakdown.png)" in text

    kpis = dict(_table_rows(_section(text, "## Key figures")))
    assert kpis["Status"] == "optimal"
    assert kpis["Total cost (objective)"] == f"{summary['objective']:,.0f}"
    assert kpis["Open facilities"].startswith(f"{run_facts['n_chosen']} of 5 candidates")
    assert kpis["CO₂ (t)"] == f"{summary['co2_t']:,.1f}"

    costs = _table_rows(_section(text, "## Cost breakdown"))
    values = {r[0]: r[1] for r in costs}
    assert values["fixed"] == f"{summary['costs']['fixed']:,.0f}"
    assert values["transport"] == f"{summary['costs']['transport']:,.0f}"
    shares = [float(r[2].rstrip(" %")) for r in costs[:-1]]
    assert sum(shares) == pytest.approx(100.0, abs=0.2)

    open_rows = _table_rows(_section(text, "## Open facilities").split("### By")[0])
    assert sorted(r[1] for r in open_rows) == sorted(run_facts["chosen_names"])
    kostanay = next(r for r in open_rows if r[1] == "Kostanay assembly")
    assert kostanay[6] == "93.3 %"

    flows = {r[0]: r for r in _table_rows(_section(text, "## Flows by commodity"))}
    assert set(flows) == set(run_facts["commodities"])
    assert flows["steel"][1] == "2" and flows["steel"][3] == "143,000"
    assert flows["cars"][1] == "6" and flows["cars"][3] == "240,000"
    assert "© OpenStreetMap contributors" in text

    chart = mpimg.imread(run_dir / "cost_breakdown.png")
    assert chart.shape[1] >= 800
    rgb = (chart[..., :3] * 255).round().astype(int)
    assert len({tuple(c) for c in rgb.reshape(-1, 3)[::3]}) > 20


def test_cost_chart_has_one_bar_per_cost_term() -> None:
    summary = {"scenario": "x", "costs": {"fixed": 10.0, "transport": 30.0, "co2": 5.0}}
    fig = cost_breakdown_figure(summary)
    ax = fig.axes[0]
    assert [t.get_text() for t in ax.get_yticklabels()] == ["CO₂ price", "transport", "fixed"]
    assert sorted(p.get_width() for p in ax.patches) == [5.0, 10.0, 30.0]
    assert any("66.7 %" in t.get_text() for t in ax.texts)


def test_report_escapes_names_and_keeps_tables_intact(
    make_run: Any, run_facts: dict[str, Any]
) -> None:
    run = make_run(
        "hostile",
        rename={**run_facts["hostile"], "P_ALA": "Almaty | *bold* [link](http://x)"},
        commodity_names=run_facts["hostile_commodity"],
    )
    text = write_report(run).read_text(encoding="utf-8")
    assert "<script>" not in text and "<img" not in text and "<b " not in text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in text
    open_rows = _table_rows(_section(text, "## Open facilities").split("### By")[0])
    assert all(len(r) == 8 for r in open_rows)
    assert any(r[1] == r"Almaty \| \*bold\* \[link\](http://x)" for r in open_rows)
    # Without map.png the report does not link a missing picture.
    assert "map.png" not in text


def test_md_text_escapes_markdown_and_html() -> None:
    assert md_text("a|b") == r"a\|b"
    assert md_text("<i>x</i>") == "&lt;i&gt;x&lt;/i&gt;"
    assert md_text("line1\nline2") == "line1 line2"
    assert md_text("_x_ `y`") == r"\_x\_ \`y\`"


def test_non_optimal_status_is_flagged(make_run: Any) -> None:
    run = make_run("feasible", summary_extra={"status": "feasible", "gap": 0.0123})
    text = write_report(run).read_text(encoding="utf-8")
    assert "> Status **feasible**" in text
    assert "| Optimality gap | 1.23 % |" in text


def test_report_of_a_missing_run_folder_is_an_input_error(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="does not exist"):
        write_report(tmp_path / "nothing-here")
