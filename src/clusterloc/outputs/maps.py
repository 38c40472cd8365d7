"""Maps of a finished run: ``map.html`` (:mod:`.htmlmap`) and ``map.png`` (:mod:`.staticmap`).

Both maps are drawn from the run folder files alone (``results.gpkg`` and ``summary.json``,
see DEVELOPERS.md "Run folder", read by :mod:`.mapdata`), so ``clusterloc map RUN_DIR`` can
redraw them at any time.
"""

from __future__ import annotations

import logging
from pathlib import Path

from clusterloc.outputs.htmlmap import html_map, render_html, save_html
from clusterloc.outputs.mapdata import (
    HTML_NAME,
    OSM_ATTRIBUTION,
    PNG_NAME,
    RunLayers,
    flow_lines,
    read_run_layers,
)
from clusterloc.outputs.staticmap import static_map

logger = logging.getLogger(__name__)


def draw_maps(run_dir: Path) -> None:
    """Write ``map.html`` and ``map.png`` of a run folder from its files.

    Parameters
    ----------
    run_dir
        The run folder (or the temporary folder being filled before the atomic rename).

    Raises
    ------
    InputError
        If the folder is not a run folder or its layers lack required columns.
    """
    run_dir = Path(run_dir)
    layers = read_run_layers(run_dir)
    m = html_map(layers.sites, layers.flows, layers.routes, layers.network, layers.summary)
    save_html(m, run_dir / HTML_NAME)
    fig = static_map(layers.sites, layers.flows, layers.routes, layers.network, layers.summary)
    fig.savefig(run_dir / PNG_NAME, dpi=120, facecolor="white", bbox_inches="tight")
    logger.info("wrote %s and %s", run_dir / HTML_NAME, run_dir / PNG_NAME)


__all__ = [
    "OSM_ATTRIBUTION",
    "RunLayers",
    "draw_maps",
    "flow_lines",
    "html_map",
    "read_run_layers",
    "render_html",
    "save_html",
    "static_map",
]
