"""What a run produces: the summary numbers a researcher quotes and the fields as NumPy arrays."""
from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .._version import __version__
from ..io.atomic import atomic_path, write_text
from ..io.json_out import write_json
from ..outcomes.body import VOID_STATE, net_of_evaporation, swollen
from ..sintering.asbuilt import fill_fraction

log = logging.getLogger(__name__)

#: Every summary key with its unit, for the README and `summary.json` readers.
SUMMARY_UNITS = {
    "peak_temperature_K": "K, highest temperature reached anywhere",
    "melt_pool.max_width_m": "m, largest y-extent of material above the solidus",
    "melt_pool.max_depth_m": "m, largest z-extent of material above the solidus",
    "melt_pool.max_length_m": "m, largest x-extent of material above the solidus",
    "part.count": "1, parts printed together on the bed (the other part keys cover all of them together)",
    "part.mean_relative_density": "1, mean relative density of the part's voxels: of the matrix between grains only "
                                  "(vesicles and lack-of-fusion voids are not in it: `part.bulk_relative_density` "
                                  "is the as-built part's)",
    "part.porosity": "1, 1 - mean relative density (between grains only, as that)",
    "part.consolidated_fraction": "1, fraction of the part's voxels sintered or melted",
    "part.consolidated_porosity": "1, mean porosity of the part's sintered or melted voxels (null if none)",
    "part.bulk_density_kg_m3": "kg/m^3, as-built bulk density of the body (solid mass over the body's volume: the "
                               "part's cells between consolidated ones along a column, a row or a line across the "
                               "tracks), vesicles, lack-of-fusion voids (empty: the powder in them carries no load "
                               "and is counted as fallen away) and evaporated mass included; null when nothing "
                               "consolidated",
    "part.bulk_density_kg_m3_range": "kg/m^3, [low, high] of the bulk density over the measured range of the "
                                     "vesicle porosity of melted material (null without vesicle data)",
    "part.bulk_relative_density": "1, bulk density over the particle density",
    "part.bulk_relative_density_range": "1, [low, high] of the bulk relative density, as bulk_density_kg_m3_range",
    "part.mass_lost_kg": "kg, mass evaporated from hot material (the whole domain)",
    "part.estimated_compressive_strength_MPa": "MPa, {median, low, high} of the weaker load direction, each direction "
                                               "in normal_to_layers / parallel_to_layers, with governing_mechanism "
                                               "and the knockdown factor of each mechanism (matrix porosity, "
                                               "evaporation, vesicles, lack of fusion, interface bonding, cracking) "
                                               "and the "
                                               "matrix law's critical_porosity (the bed's green porosity); "
                                               "mean_porosity (consolidated voxels, vesicles included), "
                                               "porosity_range_of_fit of the law's specimens and extrapolated (true "
                                               "when the mean porosity between grains, vesicles left out, lies "
                                               "outside that range: vesicles have their own slope); median null with "
                                               "a reason when the material has no strength data for the route",
    "part.defects": "1, shares of the body's voxels that are lack-of-fusion voids, at crack risk > 1 (the larger "
                    "of the thermal-shock estimate's and, with solver.mechanics, the residual stress's: "
                    "mechanics.crack_risk_volume_fraction counts the latter alone), with a face "
                    "to the next track or layer less than half bonded; mean bonded area of the body's faces (a face "
                    "of material against a lack-of-fusion voxel counts as unbonded; faces inside a void are none) "
                    "between layers "
                    "(those a spread made between the powder and the layer below, wherever settling moved them: "
                    "interlayer_bonded_area_fraction; null where the body holds no such face, as in a part of "
                    "one layer) and of the faces inside a layer, between tracks "
                    "(in_layer_bonded_area_fraction); mean vesicle porosity",
    "part.height_m": "m, as-built height: top of the settled consolidated material above the substrate (its "
                     "tallest column), vesicles included (they add volume), less what evaporated",
    "part.height_median_m": "m, the same at the median column of the part's footprint (an edge ridge or a spot "
                            "of foaming melt can set part.height_m)",
    "part.shrinkage": "1, vertical shrinkage of the part's matrix settling with mass conserved: 1 - rho0/rho (mean "
                      "relative density of the matrix, vesicles not counted: part.height_m counts them)",
    "part.detached_fragments": "pieces of consolidated material wholly outside the designed part and not joined "
                               "to it (bed powder sintered beside it): their count and the volume of their "
                               "material with its vesicles [m^3]; the part's meshes leave them out",
    "part.sintered_depth_m": "m, deepest run of sintered or melted cells down from a column's surface",
    "part.melted_depth_m": "m, deepest run of cells that melted fully (above the liquidus: molten or re-solidified) "
                           "down from a column's surface (melt_pool.* counts material above the solidus)",
    "part.melted_fraction": "1, share of the part's material (by mass) that melted fully (above the liquidus: molten "
                            "or re-solidified): the melt yield of a microwave load or a powder bed",
    "part.solidification.cells": "1, part voxels that melted fully (above the liquidus) and solidified again",
    "part.solidification.cooling_rate_K_s": "K/s, their mean cooling rates through the freezing range, "
                                             "(liquidus - solidus) / local solidification time, as "
                                             "{median, p10, p90} over those voxels (null when none)",
    "sintering.law": "the densification law the run used (solver.sintering)",
    "sintering.onset_above_solidus_K": "K, with the 'viscous' law: how far above the solidus the material's powder "
                                       "densifies within 1 s (grain radius x effective viscosity / surface "
                                       "tension = 1 s), what a pass must reach for material to consolidate "
                                       "(null otherwise)",
    "sintering.onset_shift_per_glass_step_K": "K, how far that onset moves when the material's glass fraction "
                                              "moves by 0.05 either way (the larger; null otherwise); a note says "
                                              "when it exceeds 25 K, where whether material that only just melted "
                                              "consolidates hinges on an uncertain glass fraction",
    "mechanics.max_principal_stress_Pa": "Pa, largest maximum principal (residual) stress in the part (with "
                                         "solver.mechanics = 'final' or 'layers'; mechanics is null when off, and this key, the crack "
                                         "risk and the distortion are null, with a note, while no consolidated "
                                         "cell has cooled below the annealing temperature)",
    "mechanics.crack_risk_volume_fraction": "1, share of the part's volume where max principal stress / tensile "
                                            "strength > 1 (null without a strength law)",
    "mechanics.max_distortion_m": "m, largest displacement of the part, at mechanics.max_distortion_at_m [m]",
    "probes.<name>.peak_temperature_K": "K, highest temperature reached in the probe's cell (every step, "
                                        "not only the samples); a probe is fixed in space, so material that "
                                        "settles as it densifies moves past it",
    "probes.<name>.max_cooling_rate_K_s": "K/s, fastest cooling between probe samples (sampled every health "
                                          "check, 20 steps: a lower bound of the true peak rate)",
    "energy.delivered_J": "J, emitted by the source",
    "energy.absorbed_J": "J, absorbed by the material",
    "energy.radiated_J": "J, radiated from exposed faces",
    "energy.convected_J": "J, lost to a gas",
    "energy.conducted_to_substrate_bottom_J": "J, conducted out through the substrate bottom",
    "energy.conducted_out_through_held_top_J": "J, conducted out through the top face (site.top_temperature)",
    "energy.evaporated_J": "J, latent heat carried off by evaporating material",
    "energy.stored_J": "J, heat stored by the material",
    "energy.balance_error": "1, |stored - (absorbed - losses)| / largest flow",
    **{f"domain.size_{a}_m": f"m, extent of the simulated domain along {a} (the bed: the parts' footprint plus a margin "
       "of 1.5 spot diameters, at least 3 cells; z: the substrate and every layer)" for a in "xyz"},
    **{f"domain.origin_{a}_m": f"m, {a} of the domain's minimum corner in the part frame (footprint corner at x = y = 0, "
       "bed at z = 0)" for a in "xyz"},
    "domain.cell_size_m": "m, edge of a cubic cell", "domain.cells": "1, cells in the grid",
    "run.arch": "kernel architecture", "run.wall_time_s": "s", "run.cell_updates": "1",
    "run.steps": "1", "run.simulated_time_s": "s", "run.version": "regolith-sim version",
    "run.warnings": "text, the set-up's warnings about this case (a cell too coarse for the heated depth, a spot "
                    "spanning few cells, a source too weak to sinter, ...): what qualifies its numbers, also in a "
                    "sweep's results table",
}


def depth_from_surface(flag: np.ndarray, state: np.ndarray, dx: float) -> float:
    """Largest thickness [m], over all columns, of the unbroken run of ``flag`` cells that starts at
    the column's top non-void cell and goes down (0 when no column starts flagged)."""
    nz = state.shape[2]
    solid = state > 0
    k_top = nz - 1 - np.argmax(solid[:, :, ::-1], axis=2)
    idx = k_top[:, :, None] - np.arange(nz)[None, None, :]
    run = np.take_along_axis(flag, np.clip(idx, 0, None), axis=2) & (idx >= 0) & solid.any(axis=2)[:, :, None]
    return float(np.cumprod(run, axis=2).sum(axis=2).max() * dx)


def melted_fraction(state: np.ndarray, mass: np.ndarray, mask: np.ndarray) -> float:
    """Mass share of the material in ``mask`` that melted (state molten or re-solidified); 0 without material.
    By mass, not by voxel: a melted voxel has settled and holds more material than a powder one."""
    m = np.where(mask, mass, 0.0)
    total = float(m.sum())
    return float(m[state >= 3].sum()) / total if total > 0.0 else 0.0


def solidification_summary(fields: dict, part_mask: np.ndarray) -> dict:
    """How fast the part's melted voxels froze: their count and the median, 10th and 90th percentile of
    the mean cooling rate through the freezing range [K/s] (``cool_rate``, gpu_kernels.thermal). The rate
    decides whether a regolith melt quenches to glass or crystallises."""
    from gpu_kernels.thermal import RESOLIDIFIED

    rates = fields["cool_rate"][part_mask & (fields["state"] == RESOLIDIFIED)]
    if not rates.size:
        return {"cells": 0, "cooling_rate_K_s": None}
    p10, median, p90 = np.percentile(rates, [10.0, 50.0, 90.0])
    return {"cells": int(rates.size), "cooling_rate_K_s": {"median": float(median), "p10": float(p10),
                                                           "p90": float(p90)}}


def sintering_summary(law: str, material) -> dict:
    """The densification law and, for the viscous one, how far above the solidus a pass must bring the material to
    consolidate it, and how much that hinges on the glass fraction
    (:func:`regolith_sim.sintering.models.consolidation_onset`, ``glass_fraction_onset_shift``)."""
    from ..sintering.models import GLASS_FRACTION_STEP, ONSET_SHIFT_FLAG_K, consolidation_onset, \
        glass_fraction_onset_shift

    viscous = law == "viscous"
    onset = consolidation_onset(material) - material.solidus_K if viscous else None
    shift = glass_fraction_onset_shift(material) if viscous else None
    out = {"law": law, "onset_above_solidus_K": onset if onset is None or np.isfinite(onset) else None,
           "onset_shift_per_glass_step_K": shift}
    if shift is not None and shift > ONSET_SHIFT_FLAG_K:
        out["note"] = (f"a change of {GLASS_FRACTION_STEP:g} in {material.name}'s glass fraction "
                       f"({material.get('melt.glass_fraction'):g}) moves the temperature at which a pass consolidates "
                       f"the powder by {shift:.3g} K: material that only just melted consolidates or not on it "
                       "(docs/outcomes.md)")
    return out


def part_outcome(sim, fields: dict, crack_risk=None) -> dict:
    """Bulk density, strength, mass lost and the defect fields of the run's part (regolith_sim.outcomes)."""
    from ..outcomes import part_outcomes

    d = sim.domain
    data = dict(fields, mass=sim.thermal.field("mass"))
    return part_outcomes(data, sim.material, sim.case.process.source, d.grid.dx, sim.interlayer_share(),
                         sim.face_density(), sim.case.process.layer_thickness,
                         sim.tables.rho_p,
                         vacuum=sim.site.is_vacuum, stress_crack_risk=crack_risk,
                         green_porosity=bed_green_porosity(sim))


def bed_green_porosity(sim) -> float | None:
    """The bed's green porosity where the case packs it otherwise than the material's powder (None: as the
    material's data), for the strength law's critical porosity (regolith_sim.outcomes.routes)."""
    rho0 = sim.case.material.initial_relative_density
    return None if rho0 is None else 1.0 - float(rho0)


#: the thermo-mechanics' fields under the names the outputs use
MECHANICS_FIELD_NAMES = {"displacement": "displacement_m", "stress": "stress_Pa", "von_mises": "von_mises_Pa",
                         "max_principal": "max_principal_stress_Pa", "crack_risk": "crack_risk_stress"}


def named_mechanics(mech: dict) -> dict:
    """A mechanics result with the output names of its fields."""
    return {"summary": mech["summary"], "fields": {MECHANICS_FIELD_NAMES[k]: v for k, v in mech["fields"].items()}}


def part_stress(sim, fields: dict) -> dict:
    """Residual stress, crack risk and distortion of the cooled part (regolith_sim.mechanics), with the
    field names the outputs use: the last update of the per-layer analysis (mechanics = 'layers'), or
    one solve of the finished part ('final')."""
    from ..mechanics.coupling import part_mechanics
    from ..outcomes import vesicle_porosity

    fields = dict(fields, vesicle_porosity=vesicle_porosity(fields["state"], fields["T_peak"], sim.material,
                                                            sim.site.is_vacuum))
    if sim.mechanics is not None:
        out = sim.mechanics.update(fields)
    else:
        g = sim.domain.grid
        out = part_mechanics(dict(fields, origin=np.asarray(g.origin)), g.dx, sim.material,
                             support=sim.case.solver.mechanics_support, route=sim.case.process.source,
                             green_porosity=bed_green_porosity(sim))
    if out["summary"]["load_bearing_cells"] == 0 and "note" in out["summary"]:
        log.warning("mechanics: %s", out["summary"]["note"])
    return named_mechanics(out)


def probe_summary(sim, T_peak: np.ndarray) -> dict:
    """Peak temperature at each probe (its cell's value of the peak-temperature field ``T_peak``, or a
    higher sample) and fastest cooling, from its sampled series."""
    from .recorders import ProbeRecorder

    rec = next((r for r in sim.recorders if isinstance(r, ProbeRecorder)), None)
    if rec is None or len(rec.rows) < 2:
        return {}
    table = rec.table()
    t = table[:, 0]
    out = {}
    for n, name in enumerate(rec.names):
        T = table[:, 1 + 2 * n]
        if np.isnan(T).all():
            log.warning("probe '%s' held no material at any of its %d samples (material reaches it in a layer still to "
                        "come, or settles past it as it densifies: a probe is fixed in space): its summary is null",
                        name, len(t))
            out[name] = {"peak_temperature_K": None, "max_cooling_rate_K_s": None}
            continue
        rate = -np.diff(T) / np.maximum(np.diff(t), 1e-300)
        cooling = float(np.nanmax(rate)) if np.isfinite(rate).any() else 0.0
        # The samples can miss a spot's passage; the cell's peak-temperature field saw every step.
        peak = max(float(np.nanmax(T)), float(T_peak[rec.cells[n]]))
        out[name] = {"peak_temperature_K": peak, "max_cooling_rate_K_s": max(cooling, 0.0)}
    return out


@dataclass
class Result:
    summary: dict
    #: name -> array on the grid (T, rho_rel, state, T_peak, t_hot, cool_rate, mass_lost, part_mask, and the
    #: outcome fields defect, strength_MPa, vesicle_porosity, crack_risk, bonded_fraction)
    fields: dict
    grid: object
    melt_pool_history: np.ndarray  #: columns t [s], length, width, depth [m]

    @classmethod
    def from_simulation(cls, sim) -> "Result":
        th = sim.thermal
        L = th.sync_ledger()
        fields = {name: th.field(name) for name in ("T", "rho_rel", "state", "T_peak", "t_hot", "cool_rate",
                                                     "mass_lost")}
        fields["part_mask"] = sim.domain.part_mask
        # what evaporated takes no volume: the as-built meshes, the fragments and the height hold what is left
        net_mass = net_of_evaporation(th.field("mass"), fields["mass_lost"])
        fields["fill"] = fill_fraction(fields["state"], net_mass, fields["rho_rel"])
        mask = sim.domain.part_mask & (fields["state"] > 0)
        rho = fields["rho_rel"][mask]
        rho0 = sim.tables.rho_rel0
        mean_rho = float(rho.mean()) if rho.size else float("nan")
        consolidated = float(np.mean(fields["state"][mask] >= 2)) if rho.size else 0.0
        porosity = 1.0 - mean_rho
        solid = fields["rho_rel"][mask & (fields["state"] >= 2)]
        solid_porosity = float(1.0 - solid.mean()) if solid.size else None
        mech = part_stress(sim, fields) if sim.case.solver.mechanics != "off" else None
        outcome = part_outcome(sim, fields, None if mech is None else mech["fields"]["crack_risk_stress"])
        fields.update(outcome["fields"])
        if mech is not None:
            fields.update(mech["fields"])
        shrinkage = 1.0 - rho0 / mean_rho if rho.size else 0.0
        from ..sintering import part_height
        from ..sintering.asbuilt import detached_fragments

        # what the material occupies with its vesicles (gas: volume, no mass): the part's height, meshes and
        # loose fragments stand on it
        fields["volume_fill"] = swollen(fields["fill"], fields["vesicle_porosity"])
        # the base of the part is the top of the substrate (the first layer's first cell)
        columns = (fields["state"], sim.domain.part_mask, sim.domain.grid.dx,
                   swollen(net_mass, fields["vesicle_porosity"]), fields["rho_rel"], sim.domain.substrate_cells)
        height, height_median = part_height(*columns), part_height(*columns, reduce=np.median)
        summary = {
            "peak_temperature_K": float(max(sim.peak_temperature, fields["T_peak"].max())),
            "melt_pool": {"max_width_m": sim.melt_pool.max_width, "max_depth_m": sim.melt_pool.max_depth,
                          "max_length_m": sim.melt_pool.max_length},
            "part": {"count": len(sim.parts),
                     "mean_relative_density": mean_rho, "porosity": porosity, "consolidated_fraction": consolidated,
                     "consolidated_porosity": solid_porosity, **outcome["summary"], "height_m": height,
                     "height_median_m": height_median,
                     "shrinkage": shrinkage,
                     "detached_fragments": detached_fragments(fields["state"], sim.domain.part_mask,
                                                              fields["volume_fill"], sim.domain.grid.dx),
                     "sintered_depth_m": depth_from_surface(fields["state"] >= 2, fields["state"], sim.domain.grid.dx),
                     "melted_depth_m": depth_from_surface(fields["state"] >= 3, fields["state"], sim.domain.grid.dx),
                     "melted_fraction": melted_fraction(fields["state"], th.field("mass"), mask),
                     "solidification": solidification_summary(fields, sim.domain.part_mask)},
            "sintering": sintering_summary(sim.case.solver.sintering, sim.material),
            "mechanics": None if mech is None else mech["summary"],
            "probes": probe_summary(sim, fields["T_peak"]),
            "energy": L.as_dict(),
            "domain": domain_summary(sim.domain),
            "run": {"arch": sim.arch, "wall_time_s": sim.wall_time, "cell_updates": th.cell_updates,
                    "steps": th.steps, "simulated_time_s": th.time, "version": __version__,
                    "warnings": list(sim.setup_warnings)},
        }
        hist = np.array(sim.melt_pool.history, float).reshape(-1, 4)
        return cls(summary, fields, sim.domain.grid, hist)

    def write(self, out_dir: str | Path) -> dict[str, Path]:
        """summary.json, fields.npz and melt_pool.csv, each written atomically."""
        out = Path(out_dir)
        files = {"summary": write_json(out / "summary.json", self.summary)}
        fields = dict(self.fields)
        if "state" in fields:  # a void cell has no temperature: NaN, as in the VTK frames, not 0 K
            void = np.asarray(fields["state"]) == VOID_STATE
            for name in ("T", "T_peak"):
                if name in fields:
                    fields[name] = np.where(void, np.nan, fields[name])
        with atomic_path(out / "fields.npz") as tmp:
            with open(tmp, "wb") as fh:
                np.savez_compressed(fh, origin=np.asarray(self.grid.origin), dx=self.grid.dx, **fields)
        files["fields"] = out / "fields.npz"
        lines = ["t_s,length_m,width_m,depth_m"] + [",".join(f"{v:.6g}" for v in row) for row in self.melt_pool_history]
        files["melt_pool"] = write_text(out / "melt_pool.csv", "\n".join(lines) + "\n")
        return files


def domain_summary(domain) -> dict:
    """The simulated domain's size, origin and cells (summary keys ``domain.*``)."""
    g = domain.grid
    return {**{f"size_{a}_m": float(e) for a, e in zip("xyz", g.extent)},
            **{f"origin_{a}_m": float(o) for a, o in zip("xyz", g.origin)},
            "cell_size_m": float(g.dx), "cells": int(np.prod(g.shape))}


def summary_keys_markdown() -> str:
    """The README's table of summary keys, from :data:`SUMMARY_UNITS`."""
    rows = ["| key | unit and meaning |", "|---|---|"]
    rows += ["| `{}` | {} |".format(k, v.replace("|", "\\|")) for k, v in SUMMARY_UNITS.items()]
    return "\n".join(rows)
