"""One-way thermo-mechanical coupling of a print's fields: residual stress, crack risk and distortion of
the part, from the final fields (:func:`part_mechanics`, an inherent-strain / final-state analysis) or
from snapshots at the end of each layer (:class:`LayerwiseMechanics`, per-layer activation).

Stress-free reference. Consolidated regolith is glass-bonded; above its glass transition it relaxes
viscously: a Maxwell element (spring G, dashpot eta(T), Maxwell 1867, Phil. Trans. R. Soc. 157:49)
loses its stress in tau = eta(T) / G. The annealing temperature T_anneal is where tau equals the time the
material spends there, ``relaxation_time_s`` (the cooling time scale of a layer, ~10 s):
eta(T_anneal) = G t_relax, with eta(T) the Giordano et al. (2008) melt viscosity of the material's
composition (regolith_sim.materials.laws.glass_transition at log10 eta = log10(G t_relax); the glass
transition Tg is the 1e12 Pa s point of the same law). Above T_anneal a voxel holds no stress; cooling
below it, it contracts against its neighbours. This is the annealing temperature of the GAMMA
thermo-mechanical AM solver (Liao S., Golgoon A., Mozaffar M., Cao J. 2023, Efficient GPU-accelerated
thermomechanical solver for residual stress prediction in additive manufacturing, Comput. Mech. 71:879).
Each consolidated voxel is therefore stress-free at

    T_ref = min(T_peak, T_anneal)

(a voxel that sintered without passing T_anneal bonded at its peak temperature), and carries the
thermal (eigen-)strain eps0 = alpha (min(T, T_anneal) - T_ref) at the final temperature T.

Limits of the final-state approach (stated in docs/mechanics.md; LayerwiseMechanics lifts the first two
as far as its snapshots resolve them): it ignores the path: strains frozen
in while later layers reheated a voxel, stress relaxed by reheating above T_anneal after consolidation
(only the peak is known) and plasticity/cracking as it happens are not followed; a voxel that is now
above T_anneal carries nothing. It gives the residual state of a part that cools as one body from its
annealing temperature, which is what the distortion and crack-risk indicators need first.

Stiffness: E(T, P, phi_v) = E0 (1 + c_T (T - 293.15 K)) (1 - P/P_c)^(b P_c) exp(-b phi_v) for consolidated
voxels below T_anneal (E0, c_T from Schultz 1993; P between grains in the critical-porosity form of Phani &
Niyogi 1987, zero at the green porosity P_c, with the slope b of Spriggs's 1961 exponential law at low
porosity, which the vesicles phi_v keep; never below the powder's), powder and voxels above
T_anneal ``powder_stiffness`` E0 (they carry no load; the tiny stiffness keeps every node attached).
Crack risk = max(sigma_1, 0) / sigma_t(P) with the tensile strength sigma_t = r sigma_c(P), sigma_c
the material's compressive-strength law (regolith_sim.outcomes.routes: between grains and vesicles) and
r the tensile/compressive ratio of intact basalt (Schultz 1993).
"""
from __future__ import annotations

import numpy as np

from ..errors import MaterialError, UserError
from ..outcomes.routes import matrix_strength, tensile_strength
from .solver import MechanicsSolver
from . import support as S

VOID, POWDER, SINTERED, MOLTEN, RESOLIDIFIED = 0, 1, 2, 3, 4
T_ROOM = 293.15  #: reference temperature of the elastic data [K]
SUPPORTS = ("clamped", "free")
#: keys a material needs for mechanics (dotted paths in its data file)
ELASTIC_KEYS = ("elastic.youngs_modulus_Pa", "elastic.youngs_modulus_T_coeff_1_K", "elastic.poisson_ratio",
                "elastic.thermal_expansion_1_K", "elastic.youngs_modulus_porosity_b",
                "elastic.tensile_to_compressive")
#: E(T) is linear through the data up to ~720 K and extrapolated; never below this fraction of E0.
E_MIN_FRACTION = 0.05


def require_elastic(material) -> None:
    """One-line MaterialError naming every missing key when ``material`` cannot be used for mechanics."""
    missing = [k for k in ELASTIC_KEYS if not material.has(k)]
    if not material.composition_wt_pct:
        missing.append("composition_wt_pct (for the glass transition)")
    if missing:
        raise MaterialError(f"material '{material.name}' lacks mechanical data: {', '.join(missing)}; add them "
                            "(docs/mechanics.md) or set solver.mechanics = \"off\"", key="material")


def youngs_modulus(material, T, porosity, vesicles=0.0, green_porosity: float | None = None):
    """E(T, P, phi_v) [Pa] of consolidated material below T_anneal (module docstring): P between grains,
    phi_v vesicles, ``green_porosity`` the bed's where it is not the material powder's."""
    E0 = material.get("elastic.youngs_modulus_Pa")
    fT = np.maximum(1.0 + material.get("elastic.youngs_modulus_T_coeff_1_K") * (np.asarray(T, float) - T_ROOM),
                    E_MIN_FRACTION)
    return E0 * fT * material.modulus_porosity_factor(porosity, vesicles, green_porosity)


def annealing_temperature(material, relaxation_time_s: float) -> float:
    """T [K] where the Maxwell relaxation time eta(T) / G equals ``relaxation_time_s``."""
    from ..materials.laws import glass_transition

    E0, nu = material.get("elastic.youngs_modulus_Pa"), material.get("elastic.poisson_ratio")
    G = E0 / (2.0 * (1.0 + nu))
    return float(glass_transition(*material.vft, log_eta_g=float(np.log10(G * relaxation_time_s))))


def _check_fields(fields: dict) -> tuple:
    need = ("T", "T_peak", "state", "rho_rel", "part_mask")
    missing = [k for k in need if k not in fields]
    if missing:
        raise UserError(f"missing {', '.join(missing)}; needs arrays {', '.join(need)} on one grid", key="fields")
    shape = np.shape(fields["state"])
    if len(shape) != 3:
        raise UserError(f"state has shape {shape}: needs a 3-D grid [i, j, k]", key="fields.state")
    for k in need:
        if np.shape(fields[k]) != shape:
            raise UserError(f"{k} has shape {np.shape(fields[k])}; state has {shape}", key=f"fields.{k}")
    return shape


def _crop(cells: np.ndarray) -> tuple[slice, slice, slice]:
    idx = np.argwhere(cells)
    lo, hi = idx.min(axis=0), idx.max(axis=0) + 1
    return tuple(slice(int(a), int(b)) for a, b in zip(lo, hi))


def principal_and_von_mises(stress: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Largest principal stress and von Mises stress [Pa] of Voigt stresses (..., 6)."""
    s = stress
    M = np.empty(s.shape[:-1] + (3, 3))
    M[..., 0, 0], M[..., 1, 1], M[..., 2, 2] = s[..., 0], s[..., 1], s[..., 2]
    M[..., 1, 2] = M[..., 2, 1] = s[..., 3]
    M[..., 0, 2] = M[..., 2, 0] = s[..., 4]
    M[..., 0, 1] = M[..., 1, 0] = s[..., 5]
    s1 = np.linalg.eigvalsh(M)[..., -1]
    vm = np.sqrt(0.5 * ((s[..., 0] - s[..., 1]) ** 2 + (s[..., 1] - s[..., 2]) ** 2 + (s[..., 2] - s[..., 0]) ** 2)
                 + 3.0 * (s[..., 3] ** 2 + s[..., 4] ** 2 + s[..., 5] ** 2))
    return s1, vm


def part_mechanics(fields: dict, dx: float, material, support: str = "clamped", T_final=None, *,
                   relaxation_time_s: float = 10.0, powder_stiffness: float = 1e-6, tol: float = 1e-6,
                   origin=None, route: str = "furnace", green_porosity: float | None = None) -> dict:
    """Residual stress, crack risk and distortion of a printed part from its final fields.

    ``fields``: arrays on the grid [i, j, k] (z up): ``T`` [K], ``T_peak`` [K], ``state`` (0 void ... 4
    re-solidified), ``rho_rel``, ``part_mask`` (bool); optional ``origin`` [m] of the grid's corner and
    ``vesicle_porosity`` [-] (regolith_sim.outcomes.vesicle_porosity; 0 if absent).
    ``T_final``: temperature [K] (number or array) to evaluate the stresses at instead of ``T`` (e.g. the
    site's ambient after full cool-down). ``support``: "clamped" (the underside of the part's first layer
    is held) or "free" (the part rests on powder; rigid-body motion removed). ``route`` picks the
    material's strength table for the crack risk (``green_porosity``: the bed's, where it is not the material
    powder's: regolith_sim.outcomes.routes). Returns {"fields": {...}, "summary": {...}} (see
    docs/mechanics.md)."""
    _check_options(support, dx, relaxation_time_s)
    shape, state, T, T_peak, (porosity, vesicles), part, origin = _inputs(fields, T_final, origin)
    require_elastic(material)
    T_an = annealing_temperature(material, relaxation_time_s)
    stiff = load_bearing(state, T, T_an)
    summary = _summary_start(support, T_an, relaxation_time_s, stiff)
    if not stiff.any():
        return {"fields": empty_fields(shape), "summary": summary}

    box = _crop(stiff)
    st = stiff[box]
    soft = (state[box] != VOID) & ~st
    # soft cells that touch no load-bearing body would float: leave them out
    labels, _ = S.bodies(st | soft)
    soft &= np.isin(labels, np.unique(labels[st]))
    E = _stiffness(material, st, soft, T[box], (porosity[box], vesicles[box]), powder_stiffness, green_porosity)
    T_ref = np.minimum(T_peak[box], T_an)
    eps0 = np.where(st, material.get("elastic.thermal_expansion_1_K") * (np.minimum(T[box], T_an) - T_ref), 0.0)
    fixed, body, n_bodies = _constraints(st, part[box], support)
    solver = MechanicsSolver(st.shape, float(dx), tol=tol)
    solver.set_problem(E, material.get("elastic.poisson_ratio"), eps0, fixed)
    res = solver.solve(what=f"mechanics ({support} support)")
    return _finish(res, box, st, soft, body, n_bodies, shape, state, part, (porosity, vesicles), origin, dx, material,
                   support, (route, green_porosity), summary)


# --- the pieces part_mechanics and LayerwiseMechanics share ----------------------------------------------

def _check_options(support, dx, relaxation_time_s) -> None:
    if support not in SUPPORTS:
        raise UserError(f"support = {support!r}: allowed values are {', '.join(SUPPORTS)}", key="support")
    if not (np.isfinite(dx) and dx > 0.0):
        raise UserError(f"dx = {dx!r}: needs a cell edge > 0 m", key="dx")
    if not relaxation_time_s > 0.0:
        raise UserError(f"relaxation_time_s = {relaxation_time_s!r}: needs a time > 0 s", key="relaxation_time_s")


def _inputs(fields: dict, T_final, origin) -> tuple:
    shape = _check_fields(fields)
    state = np.asarray(fields["state"])
    T = np.broadcast_to(np.asarray(fields["T"] if T_final is None else T_final, dtype=float), shape)
    T_peak = np.asarray(fields["T_peak"], dtype=float)
    porosity = np.clip(1.0 - np.asarray(fields["rho_rel"], dtype=float), 0.0, 1.0)
    # the porosity between grains, and the vesicles of melted voxels, which the tensile strength also counts
    vesicles = np.broadcast_to(np.asarray(fields.get("vesicle_porosity", 0.0), dtype=float), shape)
    part = np.asarray(fields["part_mask"], dtype=bool)
    if origin is None:
        origin = fields.get("origin", (0.0, 0.0, 0.0))
    return shape, state, T, T_peak, (porosity, vesicles), part, np.asarray(origin, dtype=float)


def load_bearing(state: np.ndarray, T: np.ndarray, T_anneal: float) -> np.ndarray:
    """Consolidated (sintered or re-solidified) voxels below the annealing temperature."""
    return ((state == SINTERED) | (state == RESOLIDIFIED)) & (T < T_anneal)


def _summary_start(support, T_an, relaxation_time_s, stiff) -> dict:
    out = {"support": support, "annealing_temperature_K": T_an, "relaxation_time_s": relaxation_time_s,
           "max_principal_stress_Pa": 0.0, "crack_risk_volume_fraction": 0.0, "max_distortion_m": 0.0,
           "max_distortion_at_m": None, "cg_iterations": 0, "relative_residual": 0.0,
           "load_bearing_cells": int(stiff.sum())}
    if not stiff.any():  # nothing has cooled yet: no stress to report (null), not a part free of stress (0)
        out.update(max_principal_stress_Pa=None, crack_risk_volume_fraction=None, max_distortion_m=None,
                   relative_residual=None)
        out["note"] = (f"no consolidated cell is below the annealing temperature ({T_an:.0f} K) yet, so none "
                       "carries stress: lengthen solver.cooldown for the residual stress of the cooled part")
    return out


def empty_fields(shape) -> dict:
    return {"displacement": np.zeros(shape + (3,)), "stress": np.zeros(shape + (6,)), "von_mises": np.zeros(shape),
            "max_principal": np.zeros(shape), "crack_risk": np.zeros(shape)}


def _stiffness(material, st, soft, T, pores, powder_stiffness, green_porosity) -> np.ndarray:
    """E of each cell [Pa]: load-bearing cells by :func:`youngs_modulus` (never below the powder's, so a voxel
    sintered just past its green porosity stays attached), soft cells the powder's."""
    E0 = material.get("elastic.youngs_modulus_Pa")
    E = np.maximum(youngs_modulus(material, T, *pores, green_porosity), powder_stiffness * E0)
    return np.where(st, E, np.where(soft, powder_stiffness * E0, 0.0))


def _constraints(st: np.ndarray, part: np.ndarray, support: str) -> tuple:
    """Fixed dofs: the clamped base (the part's lowest load-bearing layer) and 3-2-1 sets for every body
    the clamp does not hold; also the body labels."""
    fixed = np.zeros(tuple(n + 1 for n in st.shape) + (3,), dtype=bool)
    body, n_bodies = S.bodies(st)
    held = np.zeros(n_bodies + 1, dtype=bool)
    if support == "clamped":
        k_part = np.nonzero(part.any(axis=(0, 1)) & st.any(axis=(0, 1)))[0]
        k0 = int(k_part[0]) if k_part.size else int(np.nonzero(st.any(axis=(0, 1)))[0][0])
        base = np.zeros_like(st)
        base[:, :, k0] = st[:, :, k0]
        fixed = S.clamp_bottom(base)
        held[np.unique(body[base])] = True
    for b in range(1, n_bodies + 1):
        if not held[b]:
            S.three_two_one(S.node_mask(body == b), fixed)
    return fixed, body, n_bodies


def _finish(res, box, st, soft, body, n_bodies, shape, state, part, pores, origin, dx, material, support,
            strength_of, summary) -> dict:
    """Fields on the whole grid and the summary from a solve on the cropped box; ``strength_of`` is the (route,
    green porosity) of the strength law."""
    u = res.displacement
    if support == "free":
        for b in range(1, n_bodies + 1):
            S.remove_rigid_body(u, S.node_mask(body == b), dx)
    out = empty_fields(shape)
    s1, vm = principal_and_von_mises(res.stress)
    s1 = np.where(st, s1, 0.0)
    porosity, vesicles = pores  # between grains, and vesicles
    route, green_porosity = strength_of
    sig_t = tensile_strength(material, porosity[box], route, vesicles[box], green_porosity)
    out["displacement"][box] = np.where((st | soft)[..., None], _cell_average(u), 0.0)
    out["stress"][box] = res.stress * st[..., None]
    out["von_mises"][box] = np.where(st, vm, 0.0)
    out["max_principal"][box] = s1
    if sig_t is not None:
        # a voxel no denser than the green powder has no tensile strength to compare with: its risk is left at 0
        # (its stiffness, E0 exp(-b P), still takes stress: the modulus has no critical porosity here)
        carries = st & (sig_t > 0.0)
        out["crack_risk"][box] = np.where(carries, np.maximum(s1, 0.0) / np.where(carries, sig_t, 1.0), 0.0)

    stiff = np.zeros(shape, dtype=bool)
    stiff[box] = st
    scope = stiff & part if (stiff & part).any() else stiff
    n_part = int((part & (state != VOID)).sum()) or int(scope.sum())
    mag = np.linalg.norm(out["displacement"], axis=-1) * scope
    at = np.unravel_index(int(np.argmax(mag)), shape)
    summary.update(
        max_principal_stress_Pa=float(out["max_principal"][scope].max()),
        crack_risk_volume_fraction=(float((out["crack_risk"][part] > 1.0).sum() / max(n_part, 1))
                                    if sig_t is not None else None),
        max_distortion_m=float(mag.max()),
        max_distortion_at_m=[float(v) for v in origin + (np.array(at) + 0.5) * dx],
        cg_iterations=res.iterations, relative_residual=float(res.residual),
    )
    if sig_t is None:
        summary["crack_risk_note"] = f"no crack risk: {matrix_strength(material, route, green_porosity)}"
    return {"fields": out, "summary": summary}


def _cell_average(u: np.ndarray) -> np.ndarray:
    """Cell-centre values of a node field (mean of the cell's 8 corners)."""
    return 0.125 * sum(u[(a & 1):u.shape[0] - 1 + (a & 1), ((a >> 1) & 1):u.shape[1] - 1 + ((a >> 1) & 1),
                         ((a >> 2) & 1):u.shape[2] - 1 + ((a >> 2) & 1)] for a in range(8))


class LayerwiseMechanics:
    """Per-layer activation: call :meth:`update` with the fields at the end of each layer (and at the end
    of cool-down); the last call's result is the part's state, with the path the snapshots resolve.

    Each update is one total-strain solve in which every load-bearing voxel carries the eigenstrain

        eps* = eps_act + alpha (min(T, T_anneal) - T_ref) I

    ``eps_act`` the body's strain where the voxel was when it joined (kept per Gauss point), so it joins
    stress-free in the shape it grew onto, at its reference T_ref = min(T_peak, T_anneal) (as in
    :func:`part_mechanics`). A voxel reheated above T_anneal (the next layer's pass) anneals: it leaves
    the body, its stress is gone, and it joins again, stress-free in the current shape, when it has
    cooled below T_anneal. Not yet consolidated cells of the box (powder and the space of later layers)
    are "quiet" elements of ``powder_stiffness`` E0: they carry nothing and follow the body, so a voxel
    that joins later has a compatible shape to join in. Solved on the part's box (``part_mask`` grown by
    ``margin`` cells); consolidated voxels outside it are left out. With one update, or with no annealing
    between updates and E independent of T, the result equals :func:`part_mechanics` (linearity).
    """

    def __init__(self, shape, dx: float, material, support: str = "clamped", part_mask=None, *,
                 relaxation_time_s: float = 10.0, powder_stiffness: float = 1e-6, tol: float = 1e-6,
                 origin=None, route: str = "furnace", green_porosity: float | None = None, margin: int = 2):
        _check_options(support, dx, relaxation_time_s)
        require_elastic(material)
        self.shape, self.dx, self.material, self.support = tuple(shape), float(dx), material, support
        self.relaxation_time_s, self.powder_stiffness, self.route = relaxation_time_s, powder_stiffness, route
        self.green_porosity = green_porosity
        self.origin = origin
        self.T_anneal = annealing_temperature(material, relaxation_time_s)
        if part_mask is not None and np.any(part_mask):
            idx = np.argwhere(part_mask)
            lo = np.maximum(idx.min(axis=0) - margin, 0)
            hi = np.minimum(idx.max(axis=0) + 1 + margin, self.shape)
            self.box = tuple(slice(int(a), int(b)) for a, b in zip(lo, hi))
        else:
            self.box = tuple(slice(0, n) for n in self.shape)
        bshape = tuple(s.stop - s.start for s in self.box)
        self.solver = MechanicsSolver(bshape, self.dx, tol=tol)
        self.active = np.zeros(bshape, dtype=bool)
        self.T_ref = np.zeros(bshape)
        self.eps_act = np.zeros(bshape + (48,))
        self.updates = 0
        self.last: dict | None = None

    def update(self, fields: dict, T_final=None) -> dict:
        """Advance to the state of ``fields`` (same keys as :func:`part_mechanics`); returns its result."""
        shape, state, T, T_peak, (porosity, vesicles), part, origin = _inputs(fields, T_final, self.origin)
        if shape != self.shape:
            raise UserError(f"fields have shape {shape}; this analysis was set up for {self.shape}", key="fields")
        b = self.box
        st = load_bearing(state[b], T[b], self.T_anneal)
        new = st & ~self.active
        if new.any():
            strain = self.solver.gauss_strain() if self.updates else np.zeros_like(self.eps_act)
            self.eps_act[new] = strain[new]
            self.T_ref[new] = np.minimum(T_peak[b][new], self.T_anneal)
        self.active = st
        self.updates += 1
        summary = _summary_start(self.support, self.T_anneal, self.relaxation_time_s, st)
        summary["updates"] = self.updates
        if not st.any():
            self.last = {"fields": empty_fields(shape), "summary": summary}
            return self.last
        soft = ~st
        E = _stiffness(self.material, st, soft, T[b], (porosity[b], vesicles[b]), self.powder_stiffness,
                       self.green_porosity)
        th = np.where(st, self.material.get("elastic.thermal_expansion_1_K")
                      * (np.minimum(T[b], self.T_anneal) - self.T_ref), 0.0)
        eps = np.where(st[..., None], self.eps_act, 0.0)
        for q in range(8):
            eps[..., 6 * q:6 * q + 3] += th[..., None]
        fixed, body, n_bodies = _constraints(st, part[b], self.support)
        self.solver.set_problem(E, self.material.get("elastic.poisson_ratio"), eps, fixed)
        res = self.solver.solve(what=f"mechanics update {self.updates} ({self.support} support)")
        self.last = _finish(res, b, st, soft, body, n_bodies, shape, state, part, (porosity, vesicles), origin, self.dx,
                            self.material, self.support, (self.route, self.green_porosity), summary)
        return self.last
