"""The as-built body: which voxels it holds, its macro-voids and its bulk density.

- Envelope: the part's cells that lie between consolidated (sintered, molten or re-solidified) cells along
  a column, a row or a line across the tracks. Powder below a column's lowest consolidated cell never
  joined the part; powder between consolidated cells is a lack-of-fusion void (it carries nothing and
  falls out when the part is cut or cleaned, so it counts as void in the bulk density). A cell left empty
  above its column's material (a melted track settles into a groove below the sintered fringe beside it)
  is outside the part: the surface lies lower there, and nothing encloses the space.
- Vesicles: gas released from melting regolith leaves bubbles when the melt freezes; a voxel that melted
  holds the material's measured vesicle porosity (in vacuum or under a gas: in vacuum the same gas
  makes about three times the porosity, Griemsmann et al. 2025) times the melt fraction it reached (a
  voxel that only sintered holds none). The bubbles add volume, not mass: the solver stacks each column's
  material at its matrix density, and its vesicular material stands 1 / (1 - phi_v) as tall
  (:func:`swollen`; the part's height, meshes and loose fragments take it).
- Bulk density: solid mass over the body's volume, rho_b = rho_p sum_c rho_rel w / (sum_c w / (1 - phi_v)
  + N_void), w = (1 - lost) v (sums over the envelope's consolidated cells c and its N_void voids),
  v = mass / rho_rel the fill of a settled cell (<= 1), ``lost`` the evaporated share of its mass, which
  leaves with its volume (the evaporating surface recedes).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

#: State codes (gpu_kernels.thermal) of consolidated material: sintered, molten, re-solidified.
CONSOLIDATED_MIN_STATE = 2
#: State codes (gpu_kernels.thermal) of a cell that holds no material and of one still molten.
VOID_STATE, MOLTEN_STATE = 0, 3


def between(c: np.ndarray, axis: int) -> np.ndarray:
    """Cells lying between the first and the last True cell of their line along ``axis`` (bool)."""
    before = np.logical_or.accumulate(c, axis=axis)
    after = np.flip(np.logical_or.accumulate(np.flip(c, axis=axis), axis=axis), axis=axis)
    return before & after


def envelope(consolidated: np.ndarray, part_mask: np.ndarray, material: np.ndarray | None = None) -> np.ndarray:
    """The as-built body (bool): the part's cells that lie between consolidated cells of the part along a
    column, a row or a line across the tracks. Powder under a column's lowest consolidated cell never
    joined the part; powder between consolidated cells, below a layer or between two tracks, is a
    lack-of-fusion void. ``material`` (bool: the cell holds material, state not void; None: every cell does):
    a cell with no material at or above it in its column lies above the surface, not in the body."""
    part = np.asarray(part_mask, bool)
    c = np.asarray(consolidated, bool) & part
    body = part & (between(c, 0) | between(c, 1) | between(c, 2))
    if material is None:
        return body
    covered = np.flip(np.logical_or.accumulate(np.flip(np.asarray(material, bool), axis=2), axis=2), axis=2)
    return body & covered


@dataclass(frozen=True)
class VesicleData:
    """Vesicle porosity of fully melted material: the median and the measured range [-]."""

    median: float
    low: float
    high: float
    source: str

    @classmethod
    def of(cls, material, vacuum: bool) -> "VesicleData | None":
        """The material's data for melting in vacuum (gas expands with no back pressure) or under a gas."""
        base = "porosity.vesicle_fraction" + ("_vacuum" if vacuum else "")
        keys = (base, base + "_low", base + "_high")
        if not all(material.has(k) for k in keys):
            return None
        m, lo, hi = (material.get(k) for k in keys)
        return cls(m, lo, hi, material.source_of(keys[0]))


def melt_fraction_reached(T_peak: np.ndarray, consolidated: np.ndarray, material) -> np.ndarray:
    """The melt fraction each consolidated voxel's peak temperature reached (0 elsewhere)."""
    return np.where(consolidated, material.melt_fraction(T_peak), 0.0)


def vesicle_porosity(state: np.ndarray, T_peak: np.ndarray, material, vacuum: bool) -> np.ndarray:
    """Vesicle fraction of each voxel [-]: the median vesicle porosity of fully melted material (in vacuum or
    under a gas) times the melt fraction the voxel's peak temperature reached; 0 where it did not consolidate
    or the material has no vesicle data."""
    ves = VesicleData.of(material, vacuum)
    cons = np.asarray(state) >= CONSOLIDATED_MIN_STATE
    return (ves.median if ves else 0.0) * melt_fraction_reached(T_peak, cons, material)


def kept_after_evaporation(mass: np.ndarray | None, mass_lost: np.ndarray | None) -> np.ndarray | None:
    """Share of each voxel's material left after evaporation, in [0, 1] (None: no evaporation record).

    The solver books a receding surface's vapour on the exposed cell that stands for it, also beyond that cell's
    own mass (gpu_kernels.evaporation): what a voxel lost beyond its mass came from under it, so it is taken
    from the voxels below in its column, top down."""
    if mass is None or mass_lost is None:
        return None
    m = np.maximum(np.asarray(mass, float), 0.0)
    lost = np.asarray(mass_lost, float)
    taken = np.empty_like(m)
    carry = np.zeros(m.shape[:2])
    for k in range(m.shape[2] - 1, -1, -1):
        due = lost[..., k] + carry
        taken[..., k] = np.minimum(due, m[..., k])
        carry = due - taken[..., k]
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(m > 0.0, np.clip(1.0 - taken / np.where(m > 0.0, m, 1.0), 0.0, 1.0), 1.0)


def net_of_evaporation(mass: np.ndarray, mass_lost: np.ndarray | None) -> np.ndarray:
    """Each voxel's material left after evaporation (``mass`` less what :func:`kept_after_evaporation` takes
    from it), in the unit of ``mass``; ``mass`` itself without an evaporation record."""
    kept = kept_after_evaporation(mass, mass_lost)
    return np.asarray(mass, float) if kept is None else np.asarray(mass, float) * kept


def swollen(x, phi_v):
    """``x`` (a voxel's fill, or its mass at matrix density) of material whose vesicle porosity is ``phi_v``, in the
    volume it occupies: x / (1 - phi_v). Vesicles are gas: they add volume and take no mass."""
    return np.asarray(x, float) / (1.0 - np.asarray(phi_v, float))


def bulk_relative_density(env: np.ndarray, consolidated: np.ndarray, rho_rel: np.ndarray, phi_v: np.ndarray,
                          mass: np.ndarray | None = None, kept: np.ndarray | None = None) -> float:
    """Bulk density of the body over the particle density [-] (NaN for an empty envelope).

    A voxel's material fills ``mass / rho_rel`` of it at its matrix density (a settled column's top cell is
    part-filled), and :func:`swollen` of that with its vesicles, which add volume, not mass.
    Evaporation takes material from the exposed surface, which recedes: the share of a voxel's mass that
    evaporated (1 - ``kept``, :func:`kept_after_evaporation` of the solver's record) takes its volume with it and
    leaves the density of what remains unchanged, so it lowers the body's mass and volume alike, not its
    density."""
    solid = env & consolidated
    n_void = int(np.count_nonzero(env & ~consolidated))
    rho = np.asarray(rho_rel, float)[solid]
    fill = np.ones_like(rho) if mass is None else np.minimum(np.asarray(mass, float)[solid] / np.maximum(rho, 1e-12),
                                                             1.0)
    occupied = fill if kept is None else fill * np.asarray(kept, float)[solid]
    volume = swollen(occupied, np.asarray(phi_v, float)[solid]).sum() + n_void
    if volume <= 0.0:
        return float("nan")
    return float(np.sum(rho * occupied) / volume)
