"""The simulated domain of a print: the bed over the part's footprint, the substrate below, the
layers above, on a grid whose cell divides the layer thickness."""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from ..errors import UserError
from ..memory import available_memory
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


#: Field arrays a run holds per cell, in floats of the run's precision: the thermal solver's 13 fields and its
#: 11 implicit-step work arrays, the super-time-step's 5, the densifier's 3 and about 8 host copies the
#: outputs make (state and the voxel masks add a few bytes, counted as 4).
FLOATS_PER_CELL = 13 + 11 + 5 + 3 + 8
#: With the thermo-mechanics on (solver.mechanics), floats per cell of the part's box that its solver holds in the
#: run's precision: per node u, r, p, A p, the preconditioner's z, the inverse diagonal and the multigrid's finest
#: level's own two work arrays (24 with their 3 components), per cell the Lame constants, the eigenstrain and six
#: stresses (9), the coarser levels about a seventh of that (5); 'layers' adds the eigenstrain and the strain at
#: 8 Gauss points (96). The output fields on the whole grid are 12 more, always f64 (regolith_sim.mechanics).
MECHANICS_BOX_FLOATS = {"off": 0, "final": 38, "layers": 38 + 96}
MECHANICS_GRID_FLOATS = 12
#: Part of the memory available now that a run may plan to fill (the rest: Python, Taichi, meshes, the OS).
MEMORY_SHARE = 0.8


def memory_needed(cells: int, precision: str = "f64", mechanics: str = "off", part_cells: int = 0) -> float:
    """Bytes a run of ``cells`` cells holds in fields (FLOATS_PER_CELL), f32 halving the floats; with
    ``mechanics`` ('final' or 'layers') its solver's arrays over the ``part_cells`` of the part's box and its
    output fields over the grid."""
    f = 4 if precision == "f32" else 8
    need = cells * (FLOATS_PER_CELL * f + 4)
    if mechanics != "off":
        need += part_cells * MECHANICS_BOX_FLOATS[mechanics] * f + cells * MECHANICS_GRID_FLOATS * 8
    return need


def check_memory(nx: int, ny: int, nz: int, precision: str, available: float | None = None, mechanics: str = "off",
                 part_cells: int = 0) -> None:
    """Refuse, before anything is allocated, a grid whose fields would not fit in the memory available now,
    with the estimate (the run's field arrays live in host memory on the CPU backend; on a GPU the host still
    holds the output copies)."""
    available = available_memory() if available is None else available
    need = memory_needed(nx * ny * nz, precision, mechanics, part_cells)
    if available is not None and need > MEMORY_SHARE * available:
        mech = need - memory_needed(nx * ny * nz, precision)
        with_mech = (f", {mech / 2**30:.1f} GiB of it the thermo-mechanics (solver.mechanics = {mechanics!r})"
                     if mech > 0 else "")
        raise UserError(f"the grid of {nx}x{ny}x{nz} = {nx * ny * nz:.3g} cells needs about {need / 2**30:.1f} GiB "
                        f"({need / (nx * ny * nz):.0f} bytes a cell{with_mech}) but {available / 2**30:.1f} GiB of "
                        "memory is available; raise solver.cell_size or lower solver.resolution",
                        key="solver.resolution")


#: Most cells a run's grid may have.
MAX_CELLS = 6e7


def grid_size(bounds, n_layers: int, process, solver_cfg, substrate_depth: float, max_cells: float = MAX_CELLS,
              hint: str = ""):
    """(dx, cells per layer, margin, (nx, ny, nz), substrate cells) of the grid over a part of ``bounds`` built
    in ``n_layers`` layers; refuses a grid of more than ``max_cells`` (``hint``: what else may be wrong)."""
    dx = cell_size_for(process.layer_thickness, process.spot_diameter, solver_cfg.resolution, solver_cfg.cell_size)
    cpl = int(round(process.layer_thickness / dx))
    lo, hi = bounds
    margin = max(1.5 * process.spot_diameter, 3 * dx)
    nx = int(math.ceil((hi[0] - lo[0] + 2 * margin) / dx))
    ny = int(math.ceil((hi[1] - lo[1] + 2 * margin) / dx))
    ns = max(int(math.ceil(substrate_depth / dx)), 2)
    nz = ns + n_layers * cpl
    if nx * ny * nz > max_cells:
        raise UserError(f"the grid would have {nx}x{ny}x{nz} = {nx * ny * nz:.3g} cells (limit {max_cells:.3g}); "
                        f"raise solver.cell_size or lower solver.resolution{hint}", key="solver.resolution")
    return dx, cpl, margin, (nx, ny, nz), ns


def check_part_size(part, process, solver_cfg, substrate_depth: float, mesh_file: bool) -> None:
    """Refuse a part whose grid would be too large before it is sliced into layers (slicing a part thousands of
    layers high takes long enough to look like a hang); a mesh file's part that large is most likely in
    millimetres, which ``geometry.scale`` converts."""
    lo, hi = part.bounds
    layers = int(math.ceil((hi[2] - lo[2]) / process.layer_thickness - 1e-9))
    size = " x ".join(f"{v:.4g}" for v in hi - lo)
    hint = (f"; the part is {size} m: a mesh file in millimetres needs geometry.scale = 0.001" if mesh_file else "")
    grid_size(part.bounds, max(layers, 1), process, solver_cfg, substrate_depth, hint=hint)


def build_domain(part, plan, process, solver_cfg, substrate_depth: float, max_cells: float = MAX_CELLS) -> Domain:
    """Grid over the part's footprint plus a margin of 1.5 spot diameters (the bed), the substrate
    below z = 0 and the plan's layers above."""
    from ..planning import voxelize

    n_layers = int(plan.n_layers)
    dx, cpl, margin, (nx, ny, nz), ns = grid_size(part.bounds, n_layers, process, solver_cfg, substrate_depth,
                                                  max_cells)
    lo, hi = part.bounds
    # the mechanics solve the part's box (its cells with the layers' own, at most the grid's)
    part_cells = min(int(np.prod(np.ceil((hi[:2] - lo[:2]) / dx) + 1)) * n_layers * cpl, nx * ny * nz)
    check_memory(nx, ny, nz, getattr(solver_cfg, "precision", "f64"), mechanics=getattr(solver_cfg, "mechanics", "off"),
                 part_cells=part_cells)
    origin = (lo[0] - margin, lo[1] - margin, -ns * dx)
    grid = Grid((nx, ny, nz), dx, origin)
    occ, _, _ = voxelize(part, dx, origin=np.asarray(origin), shape=(nx, ny, nz))
    return Domain(grid, ns, cpl, n_layers, occ)
