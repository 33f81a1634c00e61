"""What a print produced, as a researcher quotes it: bulk density, strength with its band and weakest
link, mass lost, and the per-voxel defect and strength fields behind them."""
from __future__ import annotations

import numpy as np

from .body import (CONSOLIDATED_MIN_STATE, MOLTEN_STATE, VOID_STATE, VesicleData, bulk_relative_density, envelope,
                   kept_after_evaporation, melt_fraction_reached, vesicle_porosity)
from .bonding import face_bond, face_pair
from .cracking import ThermoElastic, bending_restrained, crack_risk
from .routes import ROUTES, matrix_strength, route_of, tensile_strength
from .strength import BodyFields, estimate

#: Per-voxel defect codes of the ``defect`` field, most severe first when a voxel has several.
DEFECTS = {0: "sound or outside the body", 1: "lack-of-fusion void", 2: "crack risk > 1",
           3: "a face to the next track or layer less than half bonded", 4: "vesicular (melted)"}

#: The strength gets a note when the as-built body fills less than this share of the designed part ...
BUILT_NOTE_BELOW = 0.5
#: ... or when more than this share of the body's material evaporated.
LOST_NOTE_ABOVE = 0.05

__all__ = ["DEFECTS", "ROUTES", "part_outcomes", "route_of", "matrix_strength", "thermoelastic_of",
           "vesicle_porosity"]


def thermoelastic_of(material) -> ThermoElastic | str:
    """The dense material's constants for the thermal-shock criterion, or why they are missing."""
    keys = ("elastic.youngs_modulus_Pa", "elastic.poisson_ratio", "elastic.thermal_expansion_1_K",
            "elastic.tensile_to_compressive")
    missing = [k for k in keys if not material.has(k)]
    if missing:
        return f"{material.name} has no {missing[0]} in its data file"
    cp = float(material.cp(material.solidus_K))
    kappa = material.get("conductivity.dense_W_mK") / (material.particle_density * cp)
    E, nu, alpha = (material.get(k) for k in keys[:3])
    return ThermoElastic(E, nu, alpha, kappa)


def retained_fractions(material) -> tuple[float, float, float]:
    """(median, low, high) of the strength a cracked voxel retains (1 without [cracking] data)."""
    key = "cracking.retained_strength_fraction"
    mid = material.get(key, 1.0)
    return mid, material.get(key + "_low", mid), material.get(key + "_high", mid)


def part_outcomes(fields: dict, material, route: str, dx: float, interlayer: np.ndarray | None,
                  face_rho: np.ndarray | None, layer_thickness: float, rho_p: float, vacuum: bool = True,
                  stress_crack_risk: np.ndarray | None = None, green_porosity: float | None = None) -> dict:
    """Summary entries (``bulk_density_kg_m3``, ``bulk_relative_density`` and their ``_range`` over the measured
    vesicle porosity, ``mass_lost_kg``,
    ``estimated_compressive_strength_MPa``, ``defects``) and per-voxel fields (``defect``,
    ``strength_MPa`` (NaN where the material has no strength law for the route), ``vesicle_porosity``,
    ``crack_risk``, ``bonded_fraction``: the bonded area of the voxel's least bonded face to another voxel of the
    body, 1 elsewhere) of a run's part.
    ``stress_crack_risk``, when given (the thermo-mechanics' maximum principal stress over tensile strength),
    joins the thermal-shock estimate: the solver gives the stress left after cooling (or at the end of a
    layer), the thermal-shock criterion the transient stress while the voxel froze, and a voxel cracks if
    either passes its strength, so the risk is the larger of the two. ``face_rho`` is the density of each
    voxel's faces to +x, +y, +z, from which their bonded area follows (:func:`.bonding.face_bond`; None: not
    evaluated); ``interlayer`` is the share of each voxel's face to +z that joins the material of two
    successive spreads (Simulation.interlayer_share; None: none does), the rest of the faces being inside a
    layer, between its tracks. ``green_porosity``: the bed's, where it is not the material powder's (the
    matrix law's critical porosity moves to it, .routes)."""
    state = np.asarray(fields["state"])
    cons = state >= CONSOLIDATED_MIN_STATE
    molten_now = state == MOLTEN_STATE
    env = envelope(cons, fields["part_mask"], state != VOID_STATE)
    f_melt = melt_fraction_reached(fields["T_peak"], cons, material)
    ves = VesicleData.of(material, vacuum)
    phi_v = vesicle_porosity(state, fields["T_peak"], material, vacuum)
    mass_lost = fields.get("mass_lost")
    kept = kept_after_evaporation(fields.get("mass"), mass_lost)
    rel = bulk_relative_density(env, cons, fields["rho_rel"], phi_v, fields.get("mass"), kept)
    rel_range = _density_range(ves, lambda phi: bulk_relative_density(env, cons, fields["rho_rel"], phi,
                                                                       fields.get("mass"), kept), phi_v)
    notes = [] if ves else [f"vesicles not counted: {material.name} has no porosity.vesicle_fraction"
                            f"{'_vacuum' if vacuum else ''} data"]

    matrix = matrix_strength(material, route, green_porosity)
    bond = None
    if face_rho is not None:
        rho0 = material.powder_relative_density if green_porosity is None else 1.0 - green_porosity
        grains = None if isinstance(matrix, str) else matrix.at
        bond = face_bond(face_rho, fields["rho_rel"], rho0, grains)
    te = thermoelastic_of(material)
    risk = None
    if isinstance(te, str) and stress_crack_risk is None:
        notes.append(f"cracking not evaluated: {te}")
    strength: dict
    # (no strength law: NaN, not 0 MPa, for an FEA model that maps the field; the summary says why)
    sigma = np.full(state.shape, np.nan)
    if isinstance(matrix, str):
        strength = {"median": None, "low": None, "high": None, "governing_mechanism": None,
                    "normal_to_layers": None, "parallel_to_layers": None, "route": route, "reason": matrix}
    else:
        if isinstance(te, ThermoElastic):
            tensile = tensile_strength(material, 1.0 - fields["rho_rel"], route, phi_v, green_porosity)
            # the thermal stress scales with the porous body's modulus (the thermo-mechanics' law), never below
            # the powder's (where the skeleton vanishes so does the tensile strength: risk 0)
            stiffness = np.maximum(material.modulus_porosity_factor(1.0 - fields["rho_rel"], phi_v, green_porosity),
                                   1e-6)
            held = bending_restrained(env & cons, None if bond is None else bond[..., 2],
                                      round(layer_thickness / dx))
            risk = np.where(env & cons, crack_risk(fields["cool_rate"], tensile / stiffness, te,
                                                   np.where(held, 1.0, 0.5) * layer_thickness), 0.0)
        if stress_crack_risk is not None:
            stress = np.where(env & cons, np.nan_to_num(stress_crack_risk, nan=0.0), 0.0)
            risk = stress if risk is None else np.maximum(risk, stress)
        if risk is not None:  # a melt holds no stress: a voxel melted again lost the cracks of its last freezing
            risk = np.where(molten_now, 0.0, risk)
        body = BodyFields(env, cons, fields["rho_rel"], f_melt, bond, risk,
                          retained_fractions(material), kept, molten_now if molten_now.any() else None)
        est = estimate(body, matrix, ves)
        strength, sigma = est["summary"], est["voxel_strength_Pa"]
    n_design = int(np.count_nonzero(fields["part_mask"]))
    n_body = int(np.count_nonzero(env))
    built = n_body / n_design if n_design else 0.0
    if strength.get("median") is not None and built < BUILT_NOTE_BELOW:
        notes.append(f"the as-built body fills {100 * built:.3g} % of the designed part (the rest never consolidated "
                     "and falls away as loose powder): this is the strength of what was built, not of the design")
    if kept is not None and (env & cons).any():
        m = np.asarray(fields["mass"], float)[env & cons]
        share = 1.0 - float(np.sum(kept[env & cons] * m)) / max(float(m.sum()), 1e-300)
        if share > LOST_NOTE_ABOVE:
            notes.append(f"{100 * share:.3g} % of the body's material evaporated (part.mass_lost_kg): what boiled "
                         "off carries no load and takes no volume")
    molten = _share(env & molten_now, int(np.count_nonzero(env)))
    if molten > 0.0:
        notes.append(f"{100 * molten:.3g} % of the body is still molten when the run ends: a melt carries no load; "
                     "lengthen solver.cooldown for the strength of the cooled part")
    if notes:
        strength["notes"] = notes

    defect = np.zeros(state.shape, np.int8)
    defect[env & cons & (phi_v > 0.0)] = 4
    bonded_area = {"interlayer": None, "in_layer": None}
    weakest = np.ones(state.shape)  # bonded area of each body voxel's least bonded face to another one
    if bond is not None:
        b = np.nan_to_num(bond, nan=0.0)
        joined = _body_faces(env & cons)  # per axis: voxels whose face to +axis joins two consolidated body voxels
        for axis in range(3):
            lo, hi = face_pair(axis)
            f = np.where(joined[axis][lo], b[lo + (axis,)], 1.0)
            weakest[lo] = np.minimum(weakest[lo], f)
            weakest[hi] = np.minimum(weakest[hi], f)
        defect[weakest < 0.5] = 3
        # The bonded area of the body's interfaces counts every face between two voxels of the body but those
        # inside a void (powder on both sides: no interface); one with a lack-of-fusion voxel (powder left between
        # layers or tracks) on one side is not bonded at all.
        faces = [f & ~void for f, void in zip(_body_faces(env), _body_faces(env & ~cons))]
        b = np.where(np.stack(joined, axis=-1), b, 0.0)
        share = np.zeros(state.shape) if interlayer is None else np.clip(np.asarray(interlayer, float), 0.0, 1.0)
        # (the first layer's face down to the substrate is marked too, but the substrate lies outside the body)
        between = faces[2] * share                     # area weights of the faces between layers ...
        inside = [faces[0], faces[1], faces[2] * (1.0 - share)]   # ... and of those inside a layer
        bonded_area["interlayer"] = _weighted_mean(b[..., 2:], [between])
        bonded_area["in_layer"] = _weighted_mean(b, inside)
    if risk is not None:
        defect[risk > 1.0] = 2
    defect[env & ~cons] = 1
    n_env = int(env.sum())
    lost_kg = float(np.sum(mass_lost) * rho_p * dx ** 3) if mass_lost is not None else 0.0
    summary = {
        "bulk_density_kg_m3": rel * rho_p if np.isfinite(rel) else None,
        "bulk_density_kg_m3_range": [v * rho_p for v in rel_range] if rel_range else None,
        "bulk_relative_density": rel if np.isfinite(rel) else None,
        "bulk_relative_density_range": rel_range,
        "mass_lost_kg": lost_kg,
        "estimated_compressive_strength_MPa": strength,
        "defects": {"body_voxels": n_env,
                    "lack_of_fusion_fraction": _share(defect == 1, n_env),
                    "crack_risk_fraction": _share(defect == 2, n_env) if risk is not None else None,
                    "unbonded_interface_fraction": _share(defect == 3, n_env) if bond is not None else None,
                    "interlayer_bonded_area_fraction": bonded_area["interlayer"],
                    "in_layer_bonded_area_fraction": bonded_area["in_layer"],
                    "vesicle_porosity_mean": float(phi_v[env & cons].mean()) if (env & cons).any() else None},
    }
    voxel = {"defect": defect, "strength_MPa": sigma * 1e-6, "vesicle_porosity": phi_v, "bonded_fraction": weakest,
             "crack_risk": risk if risk is not None else np.zeros(state.shape)}
    return {"summary": summary, "fields": voxel}


def _body_faces(body: np.ndarray) -> list[np.ndarray]:
    """Per axis, the voxels (bool, the grid's shape) whose face to the next voxel along +axis joins two voxels
    of ``body``."""
    out = []
    for axis in range(3):
        lo, hi = face_pair(axis)
        m = np.zeros(body.shape, bool)
        m[lo] = body[lo] & body[hi]
        out.append(m)
    return out


def _density_range(ves, density_at, phi_v: np.ndarray) -> list | None:
    """[low, high] bulk relative density over the measured range of the vesicle porosity (the vesicle field
    scaled from its median to the high and the low end); None without vesicle data or an empty body."""
    if ves is None or ves.median <= 0.0:
        return None
    band = [density_at(phi_v * (ves.high / ves.median)), density_at(phi_v * (ves.low / ves.median))]
    return band if all(np.isfinite(band)) else None


def _weighted_mean(b: np.ndarray, weights: list) -> float | None:
    """Mean of the faces' bonded areas ``b[..., axis]`` weighted by their area ``weights[axis]`` (None: no area)."""
    total = sum(float(np.sum(w)) for w in weights)
    if total <= 0.0:
        return None
    return float(sum(float(np.sum(b[..., a] * w)) for a, w in enumerate(weights)) / total)


def _share(mask: np.ndarray, n: int) -> float:
    return float(np.count_nonzero(mask) / n) if n else 0.0
