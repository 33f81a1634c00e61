"""The voxel grid: cubic cells of edge dx, indexed [i, j, k] = [x, y, z], z up."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Grid:
    shape: tuple[int, int, int]
    dx: float                       #: cell edge [m]
    origin: tuple[float, float, float]  #: coordinates of the lower corner of cell (0, 0, 0) [m]

    @property
    def n_cells(self) -> int:
        return int(np.prod(self.shape))

    @property
    def extent(self) -> tuple[float, float, float]:
        """Domain size along x, y, z [m]."""
        return tuple(n * self.dx for n in self.shape)  # type: ignore[return-value]

    def centres(self, axis: int) -> np.ndarray:
        """Cell-centre coordinates along one axis [m]."""
        return self.origin[axis] + (np.arange(self.shape[axis]) + 0.5) * self.dx

    def index_of(self, x: float, y: float, z: float) -> tuple[int, int, int]:
        """The cell containing a point (clipped to the grid)."""
        idx = [int(np.floor((c - o) / self.dx)) for c, o in zip((x, y, z), self.origin)]
        return tuple(int(np.clip(v, 0, n - 1)) for v, n in zip(idx, self.shape))  # type: ignore[return-value]

    def k_of_z(self, z: float) -> int:
        """Index of the first layer of cells whose centre lies above height z."""
        return int(np.ceil((z - self.origin[2]) / self.dx - 0.5 - 1e-9))
