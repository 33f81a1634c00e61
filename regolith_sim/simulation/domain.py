"""The simulated domain of a print: the bed over the part's footprint, the substrate below, the
layers above, on a grid whose cell divides the layer thickness."""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from ..errors import UserError
from ..thermal import Grid


@dataclass(frozen=True)
class Domain:
    grid: Grid
    substrate_cells: int       #: cells below z = 0 (the native regolith)
    cells_per_layer: int
    n_layers: int
    part_mask: np.ndarray      #: voxelised part (bool, grid shape): where toolpaths melt or sinter

    def layer_cells(self, layer: int) -> tuple[int, int]:
        """k range [lo, hi) of a layer's cells."""
        lo = self.substrate_cells + layer * self.cells_per_layer
        return lo, lo + self.cells_per_layer

    def depth_of_substrate_cells(self) -> np.ndarray:
        """Depth below the surface of each substrate cell centre [m], top cell first reversed to k order."""
        dx = self.grid.dx
        return (self.substrate_cells - np.arange(self.substrate_cells) - 0.5) * dx


def cell_size_for(layer: float, spot: float, resolution: float, given: float | None) -> float:
    """Cell edge that divides the layer thickness exactly: a layer switches on as whole cells. ``resolution``
    refines a ``given`` cell as it refines the automatic one, so one factor refines any case."""
    from ..planning import choose_cell_size

    target = given / resolution if given is not None else choose_cell_size(spot, layer, resolution)
    return layer / max(1, math.ceil(layer / target - 1e-9))


def build_domain(part, plan, process, solver_cfg, substrate_depth: float, max_cells: float = 6e7) -> Domain:
    """Grid over the part's footprint plus a margin of 1.5 spot diameters (the bed), the substrate
    below z = 0 and the plan's layers above."""
    from ..planning import voxelize

    dx = cell_size_for(process.layer_thickness, process.spot_diameter, solver_cfg.resolution, solver_cfg.cell_size)
    cpl = int(round(process.layer_thickness / dx))
    n_layers = int(plan.n_layers)
    lo, hi = part.bounds
    margin = max(1.5 * process.spot_diameter, 3 * dx)
    nx = int(math.ceil((hi[0] - lo[0] + 2 * margin) / dx))
    ny = int(math.ceil((hi[1] - lo[1] + 2 * margin) / dx))
    ns = max(int(math.ceil(substrate_depth / dx)), 2)
    nz = ns + n_layers * cpl
    if nx * ny * nz > max_cells:
        raise UserError(f"the grid would have {nx}x{ny}x{nz} = {nx * ny * nz:.3g} cells (limit {max_cells:.3g}); "
                        f"raise solver.cell_size or lower solver.resolution", key="solver.resolution")
    origin = (lo[0] - margin, lo[1] - margin, -ns * dx)
    grid = Grid((nx, ny, nz), dx, origin)
    occ, _, _ = voxelize(part, dx, origin=np.asarray(origin), shape=(nx, ny, nz))
    return Domain(grid, ns, cpl, n_layers, occ)
