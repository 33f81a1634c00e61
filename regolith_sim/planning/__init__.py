"""Process planning: parts -> layers -> toolpaths -> a timed heat-source plan, plus voxels and budgets.

Modules: :mod:`.slicing` (frame, layers), :mod:`.toolpaths` (strategies, track rules),
:mod:`.assemble` (timing), :mod:`.plan` (ProcessPlan, CSV format), :mod:`.gcode` (G-code subset),
:mod:`.planner` (make_plan, checks), :mod:`.voxelize` (grid), :mod:`.budget` (energy without
simulating), :mod:`.plots` and :mod:`.output` (files).
"""
from .budget import energy_budget, energy_densities, solar_budget
from .errors import PlanError
from .gcode import read_gcode
from .plan import ProcessPlan, infer_layers
from .planner import hatch_spacing, make_plan, plan_from_file
from .plots import plot_layers
from .output import write_plan
from .slicing import layer_count, prepare_part, slice_part
from .toolpaths import STRATEGIES, layer_toolpath
from .voxelize import choose_cell_size, voxelize

__all__ = [
    "PlanError", "ProcessPlan", "STRATEGIES", "choose_cell_size", "energy_budget", "energy_densities",
    "hatch_spacing", "infer_layers", "layer_count", "layer_toolpath", "make_plan", "plan_from_file",
    "plot_layers", "prepare_part", "read_gcode", "slice_part", "solar_budget", "voxelize", "write_plan",
]
