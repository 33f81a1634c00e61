"""Parameter sweeps and process maps: many cases of one base case, run in parallel, tabulated and mapped.

* :func:`load_sweep` - read a sweep file (grids, explicit cases, Latin-hypercube samples, filters)
* :func:`run_sweep` - run its cases on the local or the Ray backend, resumable, one table out
* :func:`load_table` / :func:`build_table` - the results table as a pandas DataFrame
* :func:`process_map` - contours of a summary quantity over two inputs, the window outlined

Nothing here imports Taichi: workers start their own kernel runtime.
"""
from .process_map import process_map, save_process_map, window_mask
from .runner import SweepOutcome, run_sweep
from .spec import DERIVED, SweepCase, SweepSpec, derived_quantities, latin_hypercube, load_sweep, parse_sweep
from .status import StatusStore
from .table import build_table, load_table, write_table

__all__ = [
    "DERIVED", "StatusStore", "SweepCase", "SweepOutcome", "SweepSpec", "build_table", "derived_quantities",
    "latin_hypercube", "load_sweep", "load_table", "parse_sweep", "process_map", "run_sweep", "save_process_map",
    "window_mask", "write_table",
]
