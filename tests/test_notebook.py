"""notebooks/01_quickstart.ipynb runs top to bottom in a kernel of this environment."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
NOTEBOOK = REPO / "notebooks" / "01_quickstart.ipynb"


@pytest.mark.slow
def test_quickstart_notebook_executes(shared_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    nbformat = pytest.importorskip("nbformat")
    nbclient = pytest.importorskip("nbclient")
    monkeypatch.setenv("CLUSTERLOC_SHARED", str(shared_dir))
    nb = nbformat.read(NOTEBOOK, as_version=4)
    # "python3" resolves to the Python running the tests (jupyter_client swaps in
    # sys.executable), so the kernel sees this environment's clusterloc.
    client = nbclient.NotebookClient(
        nb,
        kernel_name="python3",
        timeout=600,
        resources={"metadata": {"path": str(NOTEBOOK.parent)}},
    )
    client.execute(env=dict(os.environ))
    outputs = [o for cell in nb.cells if cell.cell_type == "code" for o in cell.outputs]
    assert not [o for o in outputs if o.output_type == "error"]
    text = "\n".join(
        str(o.get("text", "")) + str(o.get("data", {}).get("text/plain", "")) for o in outputs
    )
    assert "optimal" in text
    assert "summary.json" in text and "results.gpkg" in text and "map.html" in text
    assert any("image/png" in o.get("data", {}) for o in outputs)  # the map
    assert any("text/html" in o.get("data", {}) for o in outputs)  # the interactive map
    assert "co2_price_50000" in text  # the comparison table
