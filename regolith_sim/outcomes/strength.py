"""Compressive strength of the as-built part from its fields: matrix, evaporation, macro-voids, bonding, cracks.

Each voxel of the body carries the matrix strength of its route at its own porosity, vesicles included
(:mod:`.routes`, :mod:`.body`); a lack-of-fusion void and a cracked voxel carry none. A load along an
axis has to cross every plane normal to it, so the part's strength along that axis is that of its
weakest plane, each plane carrying the mean over the body's cross-section there of what its voxels, or
the faces between them, transmit (an unbonded face transmits nothing: :mod:`.bonding`; a cracked
voxel keeps the retained fraction of the material's thermal-shock data). This is the
net-section (load-bearing area) rule used for the strength of layered AM parts with partial bonding
between roads and layers (Rodriguez, Thomas & Renaud 2001, Rapid Prototyping J. 7:148); for compression
normal to an unbonded layer it is conservative, since a closed gap still carries some load by contact.

The median takes the median of the route's fit and of the vesicle porosity; ``low`` and ``high`` take
the 10th and 90th percentiles of the fit's scatter with the high and low end of the measured vesicle
porosity and of the strength a cracked voxel retains. The scatter moves the tensile strength that the crack
criterion compares the thermal stress with too: at the 10th percentile more voxels crack, at the 90th fewer
(the scatter taken as common to the whole part, as for the matrix). The governing mechanism is the one whose
knock-down factor is smallest.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .bonding import bonded_faces, face_pair
from .routes import Z_BAND, MatrixStrength

#: Cell planes a body spans along an axis from which its outermost ones count as skin (plane_strengths).
SKIN_MIN_PLANES = 4
MECHANISMS = ("matrix porosity", "evaporation", "vesicles", "lack of fusion", "interface bonding", "cracking")


def plane_strengths(sigma: np.ndarray, env: np.ndarray, faces: np.ndarray, axis: int) -> np.ndarray:
    """Mean load a plane normal to ``axis`` transmits over the body's cross-section there [Pa], for the
    cell mid-planes followed by the face planes (NaN where a plane misses the body, and for the body's
    outermost cell plane on each side: a compression specimen's ends are ground or capped plane before
    testing, ASTM C39/C39M, so its rough skin carries no test load; a body at most three planes across has no
    skin to spare: grinding it would leave one cell plane and none of the faces that hold it together)."""
    other = tuple(a for a in range(3) if a != axis)
    n_cells = env.sum(axis=other)
    s = np.where(env, sigma, 0.0)
    with np.errstate(invalid="ignore", divide="ignore"):
        cells = np.where(n_cells > 0, s.sum(axis=other) / np.maximum(n_cells, 1), np.nan)

    lo, hi = face_pair(axis)
    inside = env[lo] & env[hi]
    carried = inside * faces * np.minimum(s[lo], s[hi])
    n_faces = inside.sum(axis=other)
    with np.errstate(invalid="ignore", divide="ignore"):
        face = np.where(n_faces > 0, carried.sum(axis=other) / np.maximum(n_faces, 1), np.nan)
    present = np.flatnonzero(n_cells > 0)
    if present.size >= SKIN_MIN_PLANES:  # the skin: the outermost cell planes and the faces to them
        first, last = present[0], present[-1]
        cells[[first, last]] = np.nan
        face[[first, last - 1]] = np.nan
    return np.concatenate([cells, face])


def weakest_plane(sigma, env, faces, axis) -> float:
    """Strength [Pa] along ``axis``: the weakest plane's (0 for an empty body)."""
    p = plane_strengths(sigma, env, faces, axis)
    return float(np.nanmin(p)) if np.isfinite(p).any() else 0.0


@dataclass
class BodyFields:
    """What the strength estimate reads, on the grid."""

    env: np.ndarray            #: envelope of the as-built body (bool)
    consolidated: np.ndarray   #: sintered, molten or re-solidified (bool)
    rho_rel: np.ndarray        #: relative density of the consolidated matrix
    melt_fraction: np.ndarray  #: melt fraction each voxel's peak temperature reached
    #: bonded area fraction of each voxel's faces to +x, +y, +z (grid shape + (3,), :func:`.bonding.face_bond`;
    #: None: every face between consolidated voxels bonded)
    bond: np.ndarray | None
    crack_risk: np.ndarray | None = None  #: thermal-stress / tensile-strength index per voxel
    #: strength a voxel keeps once thermal shock cracked it (Hasselman 1969: strength drops abruptly
    #: to a retained fraction past the critical quench): median, low and high end of its range
    retained_after_cracking: tuple[float, float, float] = (1.0, 1.0, 1.0)
    #: share of each voxel's material left after evaporation (None: none evaporated): the evaporating surface
    #: recedes, so what boiled off carries no load
    kept: np.ndarray | None = None
    #: voxels still molten when the run ends (None: none): a melt carries no load
    molten: np.ndarray | None = None


def face_sets(body: BodyFields) -> dict:
    """The faces along x, y, z that transmit load: ``bonded`` by :mod:`.bonding`, or ``all`` of them (the
    reference the bonding knock-down is measured against)."""
    bonded = [bonded_faces(body.consolidated, body.bond, a) for a in range(3)]
    return {"bonded": bonded, "all": [np.ones_like(f) for f in bonded]}


def _directions(sigma, body: BodyFields, faces: list) -> tuple[float, float]:
    """(normal to the layers, parallel to them) strengths [Pa] across the given faces along x, y, z."""
    normal = weakest_plane(sigma, body.env, faces[2], 2)
    parallel = min(weakest_plane(sigma, body.env, faces[0], 0), weakest_plane(sigma, body.env, faces[1], 1))
    return normal, parallel


def voxel_strength(body: BodyFields, matrix: MatrixStrength, vesicle_fraction: float, z: float,
                   voids: bool = True, retained: float = 1.0, evaporation: bool = True) -> np.ndarray:
    """Strength of each voxel [Pa]: the matrix at the voxel's porosity with vesicles; 0 for lack-of-fusion
    voids (``voids``); a cracked voxel keeps ``retained`` of it (1: cracks not counted); with ``voids``
    off, the voids take the mean consolidated porosity (as if fused); a voxel part evaporated carries its kept
    share (``evaporation``; off: as if nothing evaporated)."""
    cons = body.consolidated
    rho = np.where(cons, body.rho_rel, np.nan)
    if not voids:
        rho = np.where(body.env & ~cons, np.nanmean(rho) if np.isfinite(rho).any() else 0.0, rho)
    phi_v = vesicle_fraction * body.melt_fraction
    sigma = np.where(np.isfinite(rho), matrix.at(1.0 - np.nan_to_num(rho), z, phi_v), 0.0)
    if body.crack_risk is not None:
        # the index divides the thermal stress by the median tensile strength, which is the matrix law's
        # times a ratio: at z standard deviations of the law's scatter the strength is exp(z s) times the
        # median's, so the same voxel's index is exp(-z s) times its median index
        cracked = body.crack_risk * np.exp(-z * matrix.scatter_ln) > 1.0
        sigma = np.where(cracked, retained * sigma, sigma)
    if evaporation and body.kept is not None:
        sigma = sigma * body.kept
    if body.molten is not None:
        sigma = np.where(body.molten, 0.0, sigma)
    return sigma


def estimate(body: BodyFields, matrix: MatrixStrength, vesicles) -> dict:
    """The strength object of the summary (MPa) and the per-voxel median strength [Pa]."""
    ves = (0.0, 0.0, 0.0) if vesicles is None else (vesicles.median, vesicles.high, vesicles.low)
    kept = body.retained_after_cracking
    cases = {"median": (0.0, ves[0], kept[0]), "low": (-Z_BAND, ves[1], kept[1]), "high": (Z_BAND, ves[2], kept[2])}
    faces = face_sets(body)
    out = {"normal_to_layers": {}, "parallel_to_layers": {}}
    sigma_median = None
    for name, (z, phi, retained) in cases.items():
        sigma = voxel_strength(body, matrix, phi, z, retained=retained)
        sigma_median = sigma if name == "median" else sigma_median
        normal, parallel = _directions(sigma, body, faces["bonded"])
        out["normal_to_layers"][name] = normal * 1e-6
        out["parallel_to_layers"][name] = parallel * 1e-6
        out[name] = min(normal, parallel) * 1e-6
    knock = knockdowns(body, matrix, ves[0], faces, out["median"] * 1e6)
    # (with nothing consolidated every factor is 0 and the first would be named: nothing fused)
    out["governing_mechanism"] = min(knock, key=knock.get) if (body.env & body.consolidated).any() \
        else "lack of fusion"
    out["knockdown"] = knock
    cons = body.consolidated & body.env
    porosity = 1.0 - body.rho_rel * (1.0 - ves[0] * body.melt_fraction)
    # None (null in summary.json) with nothing consolidated: there is no porosity to report
    mean_p = float(porosity[cons].mean()) if cons.any() else None
    # the fit's porosity range is of pores between grains: vesicles are judged by their own slope
    mean_grains = float(1.0 - body.rho_rel[cons].mean()) if cons.any() else None
    if matrix.shared_from:
        out["matrix_law"] = f"shared with the {matrix.shared_from} route: {matrix.note}"
    out.update(route=matrix.route, mean_porosity=mean_p,
               extrapolated=bool(cons.any() and matrix.extrapolated(mean_grains)),
               porosity_range_of_fit=list(matrix.porosity_range), critical_porosity=matrix.critical_porosity,
               source=matrix.source,
               band="10th-90th percentile of the route's strength scatter (the tensile strength of the crack "
                    "criterion with it), vesicle porosity over its measured range, strength retained by cracked "
                    "voxels over its stated range")
    return {"summary": out, "voxel_strength_Pa": sigma_median}


def knockdowns(body: BodyFields, matrix: MatrixStrength, vesicle_fraction: float, faces: dict,
               final: float) -> dict:
    """Factor by which each mechanism, added in turn, lowers the weaker direction's strength (the matrix
    porosity relative to fully dense matrix, sigma0); ``final`` [Pa] is the median with every mechanism."""
    steps = [
        voxel_strength(body, matrix, 0.0, 0.0, voids=False, evaporation=False),
        voxel_strength(body, matrix, 0.0, 0.0, voids=False),
        voxel_strength(body, matrix, vesicle_fraction, 0.0, voids=False),
        voxel_strength(body, matrix, vesicle_fraction, 0.0, voids=True),
    ]
    values = [min(_directions(s, body, faces["all"])) for s in steps]
    values += [min(_directions(steps[-1], body, faces["bonded"])), final]
    ref = [matrix.sigma0_Pa] + values[:-1]
    return {m: (v / r if r > 0 else 1.0) for m, v, r in zip(MECHANISMS, values, ref)}
