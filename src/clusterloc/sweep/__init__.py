"""What-if sweeps on Dask (``clusterloc sweep``) and their analysis.

- :mod:`clusterloc.sweep.spec` — sweep files → runs (``--set`` overrides with stable ids);
- :mod:`clusterloc.sweep.driver` — the Dask driver (network scattered once, rows as runs finish);
- :mod:`clusterloc.sweep.results` — ``results.parquet`` / ``results.csv``, atomic rewrites;
- :mod:`clusterloc.sweep.analysis` — robustness table and map, tornado, heatmap, ``report.md``.
"""

from clusterloc.sweep.driver import SweepOutcome, run_sweep
from clusterloc.sweep.spec import Run, SweepSpec, expand_runs, load_sweep

__all__ = ["Run", "SweepOutcome", "SweepSpec", "expand_runs", "load_sweep", "run_sweep"]
