"""Thermal kernels: enthalpy-form finite-volume heat conduction on a voxel grid.

Arrays are indexed [i, j, k] = [x, y, z], z up, k contiguous. Per cell the state code is
0 void (no material yet), 1 powder, 2 sintered, 3 molten, 4 re-solidified. Conservation of
energy in each cell of volume dx^3 and mass m = f rho_p dx^3, f the cell's mass fraction (its relative
density when deposited; densification raises the relative density, which sets k and the optics, while
the mass stays: the shrinkage it implies is reported, not yet moved on the grid):

    m dh/dt = sum_faces k_f (T_n - T) dx  +  Q_source  -  sum_exposed [eps sigma (T^4 - T_sky^4) + h_c (T - T_amb)] dx^2

with the face conductivity the harmonic mean of the two cells' k (Patankar 1980, Numerical Heat
Transfer and Fluid Flow, Sec. 4.2-3), with the radiating faces (``faces``, a compile-time switch of every kernel
that evaluates a flux or a bound) a porous cell's radiative term taken over the face's temperatures with
the jump at an opaque neighbour (``radiating_face_k``), and T recovered from h by the material's tabulated h(T),
which carries the latent heat over the melting range (Voller & Prakash 1987, IJHMT 30:1709).
Side faces take the harmonic mean of the cells' ``kside`` = k v, v = mass/rho_rel the share of the cell its
material fills: settling moves material down, so a partly filled cell's material lies on the cell under it and
meets its side neighbours over v of a face (the two half-cells in series over their own cross-sections, as the
harmonic mean of k v gives); full cells, powder included, have v = 1. For the same reason a side face open to
void radiates, convects and evaporates over v of its area (``exposed_area``); a top face over all of it.
Energy terms are accumulated into ``ledger`` exactly as applied, so the run's balance closes
to round-off: ledger[0] absorbed, [1] radiated, [2] convected, [3] through the bottom boundary
(positive out of the domain), [4] through a held top face (positive out), [5] evaporated
(gpu_kernels.evaporation).

Multirate stepping. Columns are grouped in tiles of TILE x TILE; each tile is FAST (stepped every
step) or SLOW (stepped once per group of steps with the group's accumulated time, allowed where the
tile's own explicit stability limit is that long: cold powder far from the spot and the heated part),
and in the FAST tiles the layers under ``k_split`` are SLOW too (the deep, cold substrate under the
heated part). ``diffuse`` and ``update_properties`` take the tile map, ``k_split`` and a compile-time
``group``: -1 steps every cell, FAST or SLOW only that group's cells (``group_range``). A face between
a fast and a slow cell is integrated by the fast pass at every fast step and its heat is put into both
cells at once, and the slow pass leaves that face out, so the interface conserves energy exactly (the
flux-register idea of Berger & Colella 1989, J. Comput. Phys. 82:64, applied to time subcycling on a
uniform grid).

What bounds the next explicit step (the largest diffusivity and surface coefficient) and the box of
the cells where sintering acts are kept by ``update_properties`` while it updates each cell
(``watch``, ``box``), and evaporation is applied inside ``diffuse``: an explicit step is four launches
(``deposit_surface``, ``diffuse``, ``update_properties``, then the densifier's ``densify`` over the
box) and one read of the bound.
"""

from gpu_kernels import backend
from gpu_kernels import evaporation as KE
from gpu_kernels.backend import ti
from gpu_kernels.lookup import table_lookup

VOID, POWDER, SINTERED, MOLTEN, RESOLIDIFIED = 0, 1, 2, 3, 4
SIGMA = 5.670374419e-8  # Stefan-Boltzmann constant [W/(m^2 K^4)]

LEDGER_ABSORBED, LEDGER_RADIATED, LEDGER_CONVECTED, LEDGER_BOTTOM, LEDGER_TOP = 0, 1, 2, 3, 4  # 5 evaporation.py's
PROFILE_GAUSSIAN, PROFILE_TOPHAT, PROFILE_SUPERGAUSSIAN, PROFILE_UNIFORM = 0, 1, 2, 3
TILE = 8             #: columns per tile edge in the multirate map
FAST, SLOW, ALL = 0, 1, -1
#: The group of a super-time-step's rough region (a box of fast cells around the spot and the melt, see
#: ``sts_stage`` and ``rough_step``); a pass over it goes through the box's columns only.
ROUGH = 2

#: Layout of ``par``, the per-run constants of the explicit-step kernels (``update_properties``, ``diffuse``)
#: packed into one small array: on the CPU backend a launch costs about 1.6 us per scalar argument and 4.5 us
#: per array (benchmarks/RESULTS.md), so one array beats twenty scalars. ``cp_T0``/``cp_inv_dT`` and
#: ``hT0``/``inv_hdT`` place the cp(T) and h(T) tables; ``T_watch`` is the temperature from which cells
#: enter the watched box (``update_properties``). ``c_rad`` is the loose powder's radiative coefficient
#: contact chi / 350^3 [W/(m K^4)] (0: no radiative term, or radiating faces off), ``inv_c_rad`` its inverse (0
#: with it), ``jump_solid``/``jump_melt`` the radiative jump constants (1/eps - 1/2) / (2 sigma dx) [m K^4/W] of
#: the solid's and the melt's emissivity (``radiating_face_k``). Filled by ThermalSolver (its ``_pack_params``).
PARAMS = ("h0", "inv_dh", "contact", "chi", "k_dense", "k_melt", "rho_rel0", "solidus", "liquidus", "k_const",
          "T_hot", "cp_T0", "cp_inv_dT", "hT0", "inv_hdT", "rho_p", "dx", "eps_solid", "eps_melt", "T_sky",
          "h_conv", "T_amb", "bottom_dirichlet", "T_watch", "top_held", "T_top", "inv_melt_range", "inv_phi0",
          "k_gas", "gas_exp", "c_rad", "inv_c_rad", "jump_solid", "jump_melt")
(P_H0, P_INV_DH, P_CONTACT, P_CHI, P_K_DENSE, P_K_MELT, P_RHO_REL0, P_SOLIDUS, P_LIQUIDUS, P_K_CONST, P_T_HOT,
 P_CP_T0, P_CP_INV_DT, P_HT0, P_INV_HDT, P_RHO_P, P_DX, P_EPS_SOLID, P_EPS_MELT, P_T_SKY, P_H_CONV, P_T_AMB,
 P_BOTTOM, P_T_WATCH, P_TOP_HELD, P_T_TOP, P_INV_MELT_RANGE, P_INV_PHI0, P_K_GAS, P_GAS_EXP, P_C_RAD, P_INV_C_RAD,
 P_JUMP_SOLID, P_JUMP_MELT) = range(len(PARAMS))
#: Layout of ``spot``, a surface source's per-run constants for ``deposit_surface`` (as ``PARAMS``): the
#: profile code, the super-gaussian order, the grid's x and y origin [m] and cell [m], the particle density
#: [kg/m^3], the powder's extinction per unit relative density [1/m] and the relative density from which
#: material absorbs at its surface.
SPOT_PARAMS = ("profile", "order", "x0", "y0", "dx", "rho_p", "beta_per_rel", "rho_rel_dense")
#: Columns of a ``watch`` row (one row per tile group, FAST and SLOW; see ``update_properties``); W_DT, the step's
#: largest temperature change, only after an update given ``h_start``; W_MOVED, nz minus the lowest layer whose
#: temperature the update changed by more than ``QUIET_REL`` of itself (0: none).
W_ALPHA, W_SURF, W_TMAX, W_BAD, W_DT, W_MOVED = 0, 1, 2, 3, 4, 5
WATCH_COLUMNS = 6
#: A cell whose temperature an update changes by at most this fraction of itself has not been reached by heat
#: yet (a stage's round-off is ~1e-16 of it in f64, ~1e-7 in f32: there, cells that round-off moves count as
#: reached, so less is left out; cells that do not change at all compare equal in either precision).
QUIET_REL = 1e-9
#: An empty box's lower corner: above any index.
BOX_EMPTY = 2 ** 30

nd1 = ti.types.ndarray(ndim=1)
nd2 = ti.types.ndarray(ndim=2)
nd3 = ti.types.ndarray(ndim=3)


@ti.func
def melt_fraction(t, solidus, inv_melt_range):
    """Share of the freezing range [solidus, liquidus] a cell at ``t`` has passed, in [0, 1];
    ``inv_melt_range`` = 1 / (liquidus - solidus) [1/K] (``PARAMS``: the cell loops multiply, not divide)."""
    return ti.min(ti.max((t - solidus) * inv_melt_range, 0.0), 1.0)


@ti.func
def conductivity_of(t, rr, contact, chi, k_dense, k_melt, rho_rel0, inv_phi0, solidus, inv_melt_range, k_const,
                    k_gas, gas_exp):
    """k(T, relative density) [W/(m K)] (materials.laws.conductivity): contact conductivity of the powder (plus,
    under a gas, the conduction of the gas-filled bed, k_gas (T/300 K)^gas_exp; 0 in vacuum) blended towards the
    (melting) dense matrix as it sinters, plus the radiative T^3 term of the pores.
    ``inv_phi0`` = 1 / (1 - rho_rel0), the inverse of the loose powder's porosity, and ``inv_melt_range`` as
    in ``melt_fraction``: a division costs several multiplications in the cell loops (PARAMS).
    Works on a scalar or on a vector of cells alike (the benchmark's 8-lane layout), hence t x 0 + k_const."""
    k = t * 0.0 + k_const
    if k_const <= 0.0:
        f = melt_fraction(t, solidus, inv_melt_range)
        phi = 1.0 - rr
        sint = ti.min(ti.max((rr - rho_rel0) * inv_phi0, 0.0), 1.0)
        matrix = ((1.0 - f) * k_dense + f * k_melt) * ti.max(1.0 - 1.5 * phi, 0.0)
        tr = t * (1.0 / 350.0)
        radiative = contact * chi * tr * tr * tr * ti.min(phi * inv_phi0, 1.0)
        powder = t * 0.0 + contact
        if k_gas > 0.0:
            powder += k_gas * backend.pow(t * (1.0 / 300.0), gas_exp)
        k = (1.0 - sint) * powder + sint * matrix + radiative
    return k


@ti.func
def group_range(tiles: ti.template(), group: ti.template(), i, j, k0, k1, k_split):
    """[lo, hi) of the layers of column (i, j) in group ``group`` within [k0, k1): a FAST tile's cells from
    ``k_split`` up are FAST and those below SLOW (the deep substrate lags too); a SLOW tile's are all SLOW;
    ALL takes every layer. An empty range is (k0, k0)."""
    lo, hi = k0, k1
    if ti.static(group != ALL):
        fast_tile = tiles[i // TILE, j // TILE] == FAST
        if ti.static(group == FAST):
            if fast_tile:
                lo = ti.max(k0, k_split)
            else:
                hi = k0
        elif fast_tile:
            hi = ti.max(ti.min(k1, k_split), k0)
    return lo, hi


@ti.func
def group_at(tile, k_split, k):
    """FAST or SLOW: the group of the cell in layer k of a column whose tile is ``tile`` (``group_range``)."""
    g = tile
    if tile == FAST and k < k_split:
        g = SLOW
    return g


@ti.func
def tile_of(tiles: ti.template(), group: ti.template(), i, j):
    """The tile code of column (i, j) (read once per column: the four neighbours' serve all its cells); FAST
    for a pass over ALL, which does not look."""
    code = FAST
    if ti.static(group != ALL):
        code = ti.cast(tiles[i // TILE, j // TILE], ti.i32)
    return code


@ti.func
def clear_watch(watch: ti.template(), box: ti.template(), row: ti.template()):
    for n in ti.static(range(WATCH_COLUMNS)):
        watch[row, n] = 0.0
    for a in ti.static(range(3)):
        box[row, 2 * a] = BOX_EMPTY
        box[row, 2 * a + 1] = -1


@ti.func
def box_range(box: ti.template(), axis: ti.template()):
    """[lo, hi) of the union of both rows of ``box`` along ``axis`` (0 i, 1 j, 2 k); empty as (lo, lo), so a
    2D range over two empty axes has no iterations (not (-n) x (-n) of them)."""
    lo = ti.min(box[0, 2 * axis], box[1, 2 * axis])
    hi = ti.max(box[0, 2 * axis + 1], box[1, 2 * axis + 1]) + 1
    return lo, ti.max(hi, lo)


@ti.func
def freezing_rate(fall, dt, h_sol, h_liq, solidus, liquidus):
    """Mean cooling rate [K/s] through the freezing range of a cell losing ``fall`` [J/kg] of enthalpy in dt [s]:
    (liquidus - solidus) / the time that loss rate takes through the range's enthalpy, h_liq - h_sol (written so,
    free of cancellation)."""
    return (liquidus - solidus) * fall / (dt * (h_liq - h_sol))


@ti.func
def leave_melt(t_liq: ti.template(), cool_rate: ti.template(), i, j, k, h0, h1, t0, t, now, dt, h_sol, h_liq, solidus,
               liquidus):
    """A molten cell that ended a step of dt [s] at ``now`` below the liquidus, at t [K] and enthalpy h1 [J/kg], from
    t0 and h0 at the step's start: the times it crossed the liquidus and the solidus (enthalpies h_liq and h_sol)
    within the step, linear in time in enthalpy (the heat leaving a cell changes little over a step; its
    temperature stalls through the freezing range as the latent heat comes out). Below the solidus it has frozen:
    ``cool_rate`` gets (liquidus - solidus) / (solidus crossing - liquidus crossing), the mean rate through the
    freezing range. Returns its new state (MOLTEN or RESOLIDIFIED).
    (Taking the step's end as the solidus crossing, and a whole step for a range crossed within one, capped the
    rate at (liquidus - solidus) / dt: the demo's median cooling rate followed its step lengths.)"""
    s = MOLTEN
    fall = h0 - h1
    # at or above the liquidus at the start: crossed it in this step (none in a refresh of dt = 0, after settling)
    crossed = t0 >= liquidus and fall > 0.0 and dt > 0.0
    if crossed:
        t_liq[i, j, k] = now - dt * (h_liq - h1) / fall
    if t < solidus:
        s = RESOLIDIFIED
        if crossed:  # the whole range within the step
            cool_rate[i, j, k] = freezing_rate(fall, dt, h_sol, h_liq, solidus, liquidus)
        else:
            t_sol = now - dt
            if fall > 0.0 and h0 > h_sol and dt > 0.0:
                t_sol = now - dt * (h_sol - h1) / fall
            t_f = t_sol - t_liq[i, j, k]
            if t_f > 0.0:
                cool_rate[i, j, k] = (liquidus - solidus) / t_f
    return s


@ti.kernel
def update_properties(
    h: nd3, rho_rel: nd3, state: nd3, T: nd3, kcond: nd3, kside: nd3, krad: nd3, T_peak: nd3, t_hot: nd3, t_liq: nd3,
    cool_rate: nd3, mass: nd3, T_of_h: nd1, cp_of_T: nd1, par: nd1, dt: float, now: float, k0: ti.i32, k1: ti.i32,
    tiles: nd2, k_split: ti.i32, group: ti.template(), watch: nd2, box: nd2, evaporation: ti.template(),
    mass_lost: nd3, alkali_lost: nd3, h_of_T: nd1, evap_par: nd1, ledger: nd1, h_start: nd3, change: ti.template(),
    faces: ti.template(),
):
    """T from h, then k(T, relative density) per cell, material state, peak temperature and time spent
    above ``T_hot``, in the cells of group ``group`` in the layers [k0, k1) (``group_range``). A separate
    pass: per-face evaluation of k costs six times the arithmetic in the diffusion sweep.

    Solidification: ``t_liq`` keeps the last time [s] a cell was at or above the liquidus (a step's end, or
    the crossing within a step that took it below); when a molten cell falls below the solidus, ``cool_rate``
    gets its mean cooling rate through the freezing range, (liquidus - solidus) / local solidification time
    [K/s] (the local solidification time t_f of Flemings 1974, Solidification Processing, Ch. 5), the crossings
    placed within the step, linear in time in enthalpy (``leave_melt``), from the cell's state at the step's
    start: the stored T, or ``h_start`` with ``change`` (a super-time-step's stages overwrite T). A cell that
    passed the solidus but not the liquidus (a partial melt) gets, as it falls below the solidus, the rate through
    the whole range at the enthalpy loss rate of that step (``freezing_rate``), as a melt crossing the range within
    one step does: its melt froze, and the solid it left holds thermal stress from then on as a melt's does
    (regolith_sim.outcomes.cracking), whatever share of it had melted. Only cells above the liquidus, leaving the
    melt or freezing from a partial melt touch these fields.

    While it holds each cell's new T and k, the pass also keeps, in row ``group`` of ``watch`` (FAST for
    ALL, which clears the SLOW row), what bounds the next explicit step over the cells it updated (the
    maxima of ``explicit_rates``, the highest T, a non-finite flag: see ``stability_bounds``, which
    computes the same from the stored fields) and, in the same row of ``box``, the bounding box (i_lo,
    i_hi, j_lo, j_hi, k_lo, k_hi, inclusive) of the cells at or above ``T_watch`` or molten (where
    sintering runs). So the step's stability bound and the region where sintering can act cost no pass
    of their own: each row stays exact for its cells until they are updated again. (Where the faces radiate, the
    bound reads the neighbours' new T, k and krad: a second loop of the same launch computes it.)

    With ``evaporation`` (a super-time-step's end: its stages leave it out) each cell first takes the
    evaporation sink of the step and boils (``evaporate_at``), from the enthalpy the step left: a pass of
    its own before cost as much as this one.

    With ``change`` (a super-time-step's end, or a controlled explicit one's), [W_DT] of the row gets the largest
    |T - T(h_start)| of the cells, ``h_start`` their enthalpy at the step's start: the step's largest temperature
    change, which sets the next source-off step (ThermalSolver.implicit_dt), as for an implicit step.

    [W_MOVED] of the row marks the lowest layer whose temperature changed by more than ``QUIET_REL`` (from the
    stored T: after a super-time-step, its last stage's input): ThermalSolver keeps the layers under the reach
    of that change out of its passes while nothing reaches them (its quiet bottom)."""
    row = ti.static(SLOW if group == SLOW else FAST)
    clear_watch(watch, box, row)
    if ti.static(group == ALL):
        clear_watch(watch, box, SLOW)
    # the freezing range's ends in enthalpy (leave_melt), once per launch
    h_sol = table_lookup(h_of_T, par[P_HT0], par[P_INV_HDT], par[P_SOLIDUS])
    h_liq = table_lookup(h_of_T, par[P_HT0], par[P_INV_HDT], par[P_LIQUIDUS])
    nx, ny, nz = h.shape[0], h.shape[1], h.shape[2]
    for i, j in ti.ndrange(nx, ny):
        lo, hi = group_range(tiles, group, i, j, k0, k1, k_split)
        if lo >= hi:
            continue
        evaporated = 0.0
        h_b1, h_b2 = 0.0, 0.0
        if ti.static(evaporation):
            h_b1, h_b2 = KE.boiling_enthalpies(h_of_T, evap_par, par[P_HT0], par[P_INV_HDT])
        h0, inv_dh, T_hot, T_watch = par[P_H0], par[P_INV_DH], par[P_T_HOT], par[P_T_WATCH]
        contact, chi, k_dense, k_melt = par[P_CONTACT], par[P_CHI], par[P_K_DENSE], par[P_K_MELT]
        rho_rel0, solidus, liquidus, k_const = par[P_RHO_REL0], par[P_SOLIDUS], par[P_LIQUIDUS], par[P_K_CONST]
        inv_phi0, inv_melt = par[P_INV_PHI0], par[P_INV_MELT_RANGE]
        cp_T0, cp_inv_dT, rho_p, h_conv = par[P_CP_T0], par[P_CP_INV_DT], par[P_RHO_P], par[P_H_CONV]
        eps = ti.max(par[P_EPS_SOLID], par[P_EPS_MELT])
        a_max, s_max, t_max, bad = 0.0, 0.0, 0.0, 0
        d_max = 0.0
        kw_lo, kw_hi = BOX_EMPTY, -1
        moved = BOX_EMPTY
        for k in range(lo, hi):
            s = state[i, j, k]
            if s == VOID:
                kcond[i, j, k] = 0.0  # diffuse reads k = 0 as "no material here"
                kside[i, j, k] = 0.0
                if ti.static(faces):
                    krad[i, j, k] = 0.0
                continue
            hc = h[i, j, k]
            t = table_lookup(T_of_h, h0, inv_dh, hc)
            if ti.static(evaporation):
                evaporated += evaporate_at(h, kcond, kside, mass, mass_lost, alkali_lost, T_of_h, h_of_T, cp_of_T,
                                           evap_par, par, i, j, k, nx, ny, nz, dt, h_b1, h_b2, t)
                if h[i, j, k] != hc:
                    t = table_lookup(T_of_h, h0, inv_dh, h[i, j, k])
            t_before = T[i, j, k]
            if moved == BOX_EMPTY and ti.abs(t - t_before) > QUIET_REL * ti.abs(t):
                moved = k
            T[i, j, k] = t
            if ti.static(change):
                t_before = table_lookup(T_of_h, h0, inv_dh, h_start[i, j, k])
                d_max = ti.max(d_max, ti.abs(t - t_before))
            T_peak[i, j, k] = ti.max(T_peak[i, j, k], t)
            if t > T_hot:
                t_hot[i, j, k] += dt
            rr = rho_rel[i, j, k]
            if t >= liquidus:
                s = MOLTEN
                t_liq[i, j, k] = now
            elif s == MOLTEN or (t < solidus and t_before >= solidus):  # leaving the melt, or a partial melt freezing
                h_before = 0.0
                if ti.static(change):
                    h_before = h_start[i, j, k]
                else:
                    h_before = table_lookup(h_of_T, par[P_HT0], par[P_INV_HDT], t_before)
                if s == MOLTEN:
                    s = leave_melt(t_liq, cool_rate, i, j, k, h_before, h[i, j, k], t_before, t, now, dt, h_sol,
                                   h_liq, solidus, liquidus)
                elif h_before > h[i, j, k] and dt > 0.0:
                    cool_rate[i, j, k] = freezing_rate(h_before - h[i, j, k], dt, h_sol, h_liq, solidus, liquidus)
            if s == POWDER and rr > rho_rel0 + 0.01:
                s = SINTERED
            state[i, j, k] = s
            store_conductivity(kcond, kside, krad, mass, i, j, k, rr,
                               conductivity_of(t, rr, contact, chi, k_dense, k_melt, rho_rel0, inv_phi0, solidus,
                                               inv_melt, k_const, par[P_K_GAS], par[P_GAS_EXP]), par, faces)
            if ti.static(not faces):  # (else the second loop, once the neighbours are final)
                a_max, s_max, t_max, bad = watch_cell(T, kcond, kside, krad, mass, par, faces, cp_of_T, cp_T0,
                                                      cp_inv_dT, rho_p, eps, h_conv, i, j, k, a_max, s_max, t_max, bad)
            if t >= T_watch or s == MOLTEN:
                kw_lo = ti.min(kw_lo, k)
                kw_hi = k
        store_watch(watch, row, a_max, s_max, t_max, bad)
        if moved != BOX_EMPTY:
            ti.atomic_max(watch[row, W_MOVED], nz - moved)
        if ti.static(change):
            ti.atomic_max(watch[row, W_DT], d_max)
        if ti.static(evaporation):
            if evaporated != 0.0:
                ledger[KE.LEDGER_EVAPORATED] += evaporated
        if kw_hi >= 0:
            ti.atomic_min(box[row, 0], i)
            ti.atomic_max(box[row, 1], i)
            ti.atomic_min(box[row, 2], j)
            ti.atomic_max(box[row, 3], j)
            ti.atomic_min(box[row, 4], kw_lo)
            ti.atomic_max(box[row, 5], kw_hi)
    # Where the faces radiate, a cell's bound reads its neighbours' new temperatures and conductivities
    # (radiating_stiffness): a second loop, which runs after the first has written them all.
    if ti.static(faces):
        for i, j in ti.ndrange(nx, ny):
            lo, hi = group_range(tiles, group, i, j, k0, k1, k_split)
            watch_column(T, kcond, kside, krad, mass, state, par, faces, cp_of_T, par[P_CP_T0], par[P_CP_INV_DT],
                         par[P_RHO_P], ti.max(par[P_EPS_SOLID], par[P_EPS_MELT]), par[P_H_CONV], watch, row, i, j, lo,
                         hi)


@ti.kernel
def conductivity_from(T: nd3, T_rad: nd3, rho_rel: nd3, state: nd3, kcond: nd3, kside: nd3, krad: nd3, mass: nd3,
                      par: nd1, k0: ti.i32, k1: ti.i32, faces: ti.template()):
    """k(T, relative density) from a trial temperature field (Picard update of the implicit step), with the pores'
    radiative term c T^3 (``store_conductivity``) at ``T_rad``: the iterate, where the rest of k is lagged at the
    step's start (``radiating_face_k`` takes that term over the faces' temperatures, from k at them)."""
    for i, j in ti.ndrange(T.shape[0], T.shape[1]):
        for k in range(k0, k1):
            if state[i, j, k] != VOID:
                rr = rho_rel[i, j, k]
                t, tr = T[i, j, k], T_rad[i, j, k]
                kc = cell_conductivity(t, rr, par)
                if tr != t:
                    kc += radiative_coefficient(rr, par) * (tr * tr * tr - t * t * t)
                store_conductivity(kcond, kside, krad, mass, i, j, k, rr, kc, par, faces)


@ti.func
def cell_conductivity(t, rr, par: ti.template()):
    """``conductivity_of`` with the run's constants from ``par`` (PARAMS)."""
    return conductivity_of(t, rr, par[P_CONTACT], par[P_CHI], par[P_K_DENSE], par[P_K_MELT], par[P_RHO_REL0],
                           par[P_INV_PHI0], par[P_SOLIDUS], par[P_INV_MELT_RANGE], par[P_K_CONST], par[P_K_GAS],
                           par[P_GAS_EXP])


@ti.func
def radiative_coefficient(rr, par: ti.template()):
    """c [W/(m K^4)] of a cell of relative density ``rr``, its pores' radiative term c T^3 (``conductivity_of``):
    c_rad min(porosity / porosity0, 1); 0 where the faces do not radiate (c_rad = 0)."""
    return par[P_C_RAD] * ti.min(ti.max(1.0 - rr, 0.0) * par[P_INV_PHI0], 1.0)


@ti.func
def store_conductivity(kcond: ti.template(), kside: ti.template(), krad: ti.template(), mass: ti.template(), i, j, k,
                       rr, kc, par: ti.template(), faces: ti.template()):
    """Cell (i, j, k)'s conductivity ``kc`` [W/(m K)] into ``kcond`` and that of its side faces into ``kside``: k v,
    v = mass/rho_rel (at most 1) the share of the cell its material fills (module docstring); ``rr`` its rho_rel.
    ``krad`` gets the share of k per K^3 its pores' radiation carries, c / k [1/K^3], with c = c_rad
    min(porosity / porosity0, 1) [W/(m K^4)] the radiative coefficient of ``conductivity_of`` (c T^3 its radiative
    term; 0 when dense, for a constant k, or with radiating faces off): ``radiating_face_k`` takes that term
    over each face's temperatures, and the one ratio serves the side faces' k v as well."""
    kcond[i, j, k] = kc
    m = mass[i, j, k]
    v = 1.0
    if m < rr:  # (a full cell, the most common, skips the division)
        v = m / rr
    kside[i, j, k] = kc * v
    if ti.static(faces):  # (else krad is not read: rad_at)
        c = radiative_coefficient(rr, par)
        r = 0.0
        if c > 0.0 and kc > 0.0:
            r = c / kc
        krad[i, j, k] = r


@ti.func
def face_k(k1, k2):
    """Conductivity [W/(m K)] of the face between two cells: the harmonic mean (Patankar 1980,
    Sec. 4.2-3). Void cells carry k = 0, so a face towards void conducts nothing."""
    return 2.0 * k1 * k2 / (k1 + k2 + 1e-300)


@ti.func
def conducted(k1, k2, t1, t2, inv_dx):
    """Heat flux density [W/m^2] from a cell at t2 (conductivity k2) into one at t1 (k1) through their
    shared face."""
    return face_k(k1, k2) * (t2 - t1) * inv_dx


@ti.func
def jump_factor(c_own, c_other, t_other, par: ti.template()):
    """Share of a porous half-cell's radiative conductance left once the radiation meets an opaque neighbour:
    1 / (1 + w c_own s), w = 1 - c_other / c_rad the neighbour's opacity (0 for loose powder, 1 dense),
    s = (1/eps - 1/2) / (2 sigma dx) at the neighbour's emissivity (solid to melt with its melt fraction). The
    radiative flux from an opaque wall into a semi-transparent medium meets a resistance (1/eps - 1/2) / (4 sigma
    T^3) besides the medium's own (Deissler 1964, J. Heat Transfer 86:240, the jump condition of the diffusion
    approximation), in series with the half-cell's dx / (2 c T^3): without it a thin cell of powder next to a
    melt at 2,700 K would take up more than a black body's exchange."""
    j = 1.0
    w = 1.0 - c_other * par[P_INV_C_RAD]
    if c_own > 0.0 and w > 1e-9:  # (loose powder's c = (c / k) k carries round-off: no opacity)
        s = par[P_JUMP_SOLID] + (par[P_JUMP_MELT] - par[P_JUMP_SOLID]) * melt_fraction(
            t_other, par[P_SOLIDUS], par[P_INV_MELT_RANGE])
        j = 1.0 / (1.0 + w * c_own * s)
    return j


@ti.func
def radiating_face_k(k1, k2, r1, r2, t1, t2, par: ti.template()):
    """Conductivity [W/(m K)] of the face between a cell at t1 (conductivity k1, radiative share per K^3 r1, as
    ``store_conductivity`` keeps it) and one at t2. A porous cell's radiative term c T^3 is taken over the face's
    temperatures, c (t1 + t2)(t1^2 + t2^2) / 4 (the mean of T^3 between them: the Kirchhoff transform of
    k = c T^3, so c (t2^4 - t1^4) / 4 crosses, as radiative diffusion carries it), times the ``jump_factor``
    towards an opaque neighbour, then the two sides' harmonic mean (``face_k``). At each cell's own temperature
    the radiative term under a melt at 2,700 K is a hundredth of what the pores pass (powder at 300 K: 0.002
    against ~0.3 W/(m K) for JSC-1A), which leaves a sheet of cold powder under each pool on fine cells.
    Symmetric in the two cells, so each face's heat leaves one cell and enters the other, and the same at
    equal temperatures and without radiation (r = 0: dense cells, a constant k). Side faces pass k v and the same
    r (v the cell's fill). The explicit step's bound takes these faces' secant and the neighbours' exchange
    (``radiating_stiffness``)."""
    ka, kb = k1, k2
    if r1 + r2 > 0.0:
        s1, s2 = t1 * t1, t2 * t2
        m3 = (t1 + t2) * (s1 + s2) * 0.25
        c1, c2 = r1 * k1, r2 * k2
        j1, j2 = 1.0, 1.0
        inv = par[P_INV_C_RAD]
        if (c1 + c2) * inv < 2.0 - 1e-9:  # (one side not loose powder: an opacity to jump at)
            j1, j2 = jump_factor(c1, c2, t2, par), jump_factor(c2, c1, t1, par)
        ka = k1 + c1 * (m3 * j1 - s1 * t1)
        kb = k2 + c2 * (m3 * j2 - s2 * t2)
    return face_k(ka, kb)


@ti.func
def rad_at(krad: ti.template(), faces: ti.template(), i, j, k):
    """Cell (i, j, k)'s radiative share per K^3 (``store_conductivity``); where the faces do not radiate
    (``faces`` False, a compile-time switch of every kernel that evaluates a flux) a constant 0, so the compiler
    drops ``radiating_face_k``'s radiative branch and the sweeps read and compute what they did before the faces."""
    r = 0.0
    if ti.static(faces):
        r = krad[i, j, k]
    return r


@ti.func
def face_flux(k1, k2, r1, r2, t1, t2, inv_dx, par: ti.template()):
    """``conducted`` through a face of ``radiating_face_k``."""
    return radiating_face_k(k1, k2, r1, r2, t1, t2, par) * (t2 - t1) * inv_dx


@ti.func
def lateral_flux(h: ti.template(), ks: ti.template(), krad: ti.template(), T: ti.template(), mass: ti.template(),
                 par: ti.template(), faces: ti.template(), tile2, k_split, group: ti.template(), k, i2, j2, ks_own,
                 r_own, t_own, inv_dx, dt, rho_p):
    """Flux into a cell in layer k across a side face towards cell (i2, j2, k), whose column's tile is
    ``tile2``, for a multirate pass: a fast cell next to a slow one
    also takes the heat out of (or puts it into) the slow cell at once; a slow cell leaves out faces
    towards fast cells (the fast pass already moved their heat). ``diffuse`` treats the vertical face
    between a fast tile's deep SLOW cells and its FAST ones the same way. ``ks``: side conductivities (kside);
    ``krad``, ``r_own``: radiative shares (``face_flux``)."""
    q = 0.0
    if ti.static(group == ALL):
        q = face_flux(ks_own, ks[i2, j2, k], r_own, rad_at(krad, faces, i2, j2, k), t_own, T[i2, j2, k], inv_dx, par)
    elif ti.static(group == ROUGH):  # (tile2 is ``rough_code``'s: faces out of the region are the stages')
        if tile2 == ROUGH:
            q = face_flux(ks_own, ks[i2, j2, k], r_own, rad_at(krad, faces, i2, j2, k), t_own, T[i2, j2, k], inv_dx,
                          par)
    else:
        if group_at(tile2, k_split, k) == group:
            q = face_flux(ks_own, ks[i2, j2, k], r_own, rad_at(krad, faces, i2, j2, k), t_own, T[i2, j2, k], inv_dx,
                          par)
        elif ti.static(group == FAST):
            q = face_flux(ks_own, ks[i2, j2, k], r_own, rad_at(krad, faces, i2, j2, k), t_own, T[i2, j2, k], inv_dx,
                          par)
            if q != 0.0:  # (a void neighbour has no mass to take the heat, and passes none)
                ti.atomic_add(h[i2, j2, k], -q * dt / (mass[i2, j2, k] * rho_p) * inv_dx)
    return q


@ti.func
def exposed_area(n_top, n_side, kc, ks):
    """Area of a cell open to space [faces of dx^2] from its open top face (``n_top``: 0 or 1) and side faces
    (``n_side``): the top face whole, each side face over the share v = ``ks``/``kc`` (kside/kcond) of it the
    cell's material fills, as for conduction (module docstring): settled material lies on the cell under it."""
    area = n_top * 1.0
    if n_side > 0:  # (a branch, not a select: most cells have no open side, and skip the division)
        area += n_side * ks / (kc + 1e-300)
    return area


@ti.func
def exposed_faces(kcond: ti.template(), kside: ti.template(), i, j, k, nx, ny, nz, top_held):
    """Area of cell (i, j, k) open to space [faces of dx^2] (``exposed_area``): faces to void neighbours (k = 0,
    as ``cell_flux`` reads them) and the top of the domain (unless ``top_held``: then it is held at a temperature,
    see ``cell_flux``)."""
    n_side = 0
    if i > 0:
        n_side += ti.cast(kcond[i - 1, j, k] == 0.0, ti.i32)
    if i < nx - 1:
        n_side += ti.cast(kcond[i + 1, j, k] == 0.0, ti.i32)
    if j > 0:
        n_side += ti.cast(kcond[i, j - 1, k] == 0.0, ti.i32)
    if j < ny - 1:
        n_side += ti.cast(kcond[i, j + 1, k] == 0.0, ti.i32)
    n_top = ti.cast(top_held == 0, ti.i32)
    if k < nz - 1:
        n_top = ti.cast(kcond[i, j, k + 1] == 0.0, ti.i32)
    return exposed_area(n_top, n_side, kcond[i, j, k], kside[i, j, k])


@ti.func
def emissivity_at(t, eps_solid, eps_melt, solidus, inv_melt_range):
    f = melt_fraction(t, solidus, inv_melt_range)
    return (1.0 - f) * eps_solid + f * eps_melt


@ti.func
def column_start(h: ti.template(), kcond: ti.template(), krad: ti.template(), T: ti.template(), mass: ti.template(),
                 par: ti.template(), faces: ti.template(), tiles: ti.template(), group: ti.template(), i, j, k0, k1,
                 k_split, nx, ny, inv_dx, dt_w, rho_p):
    """What a pass over column (i, j) needs before its first cell: its layer range [lo, hi) (``group_range``),
    the tile codes of its four neighbours (read once per column) and the flux through the face under the
    range. That face (lo > 0 only where a fast tile's FAST cells stand on its deep SLOW ones, or on the quiet
    bottom a pass over ALL leaves out, k0 > 0) is the pass's, which moves its heat out of the cell under it at
    once (times ``dt_w``, the weight of this flux evaluation in the step: dt for an Euler step, see
    ``sts_stage``); the face over the range (hi = k_split in a SLOW pass) is left out (layers from k1 up are
    void: nothing to leave out there)."""
    lo, hi = group_range(tiles, group, i, j, k0, k1, k_split)
    t_w = tile_of(tiles, group, ti.max(i - 1, 0), j)
    t_e = tile_of(tiles, group, ti.min(i + 1, nx - 1), j)
    t_s = tile_of(tiles, group, i, ti.max(j - 1, 0))
    t_n = tile_of(tiles, group, i, ti.min(j + 1, ny - 1))
    q_below = 0.0
    if lo > 0 and lo < hi:
        q_below = face_flux(kcond[i, j, lo], kcond[i, j, lo - 1], rad_at(krad, faces, i, j, lo),
                            rad_at(krad, faces, i, j, lo - 1), T[i, j, lo], T[i, j, lo - 1], inv_dx, par)
        if ti.static(group != SLOW):
            if q_below != 0.0:
                ti.atomic_add(h[i, j, lo - 1], -q_below * dt_w / (mass[i, j, lo - 1] * rho_p) * inv_dx)
    return lo, hi, t_w, t_e, t_s, t_n, q_below


@ti.func
def cell_flux(h: ti.template(), kcond: ti.template(), kside: ti.template(), krad: ti.template(), T: ti.template(),
              mass: ti.template(), T_bottom: ti.template(), ledger: ti.template(), par: ti.template(),
              faces: ti.template(), group: ti.template(), i, j, k, hi,
              k_split, t_w, t_e, t_s, t_n, q_below, nx, ny, nz, inv_dx, dt_w, book):
    """Net heat flux density into cell (i, j, k) [W/m^2 summed over its faces, each of area dx^2] from the
    temperatures ``T``, with the flux through its bottom face ``q_below`` given (walking up the column, the
    flux through a cell's top face is, negated, the next cell's bottom-face flux: each vertical face is
    evaluated once). Returns (q, the next cell's q_below, exposed area in faces: ``exposed_area``). The energy
    that leaves through the domain's bottom, by radiation and by convection is booked in ``ledger`` times ``dt_w`` x
    ``book`` (0 where a rough cell's stage is not its final update: ``sts_stage``), and heat into a lagging
    neighbour is moved at once (``lateral_flux``), times ``dt_w``. Void cells have
    k = 0 (update_properties), so neighbours' states need not be read: a face to void conducts nothing and
    is an exposed face."""
    dx, rho_p, T_sky, h_conv, T_amb = par[P_DX], par[P_RHO_P], par[P_T_SKY], par[P_H_CONV], par[P_T_AMB]
    dt_b = dt_w * book
    kc, ks, r = kcond[i, j, k], kside[i, j, k], rad_at(krad, faces, i, j, k)
    t = T[i, j, k]
    q = q_below
    if k == 0 and par[P_BOTTOM] != 0.0:
        qb = kc * (T_bottom[i, j] - t) * 2.0 * inv_dx
        q += qb
        ledger[LEDGER_BOTTOM] += -qb * dx * dx * dt_b
    n_top, n_side = 0, 0
    q_above = 0.0
    if k < nz - 1:
        k_up = kcond[i, j, k + 1]
        if k + 1 < hi:
            q_above = face_flux(kc, k_up, r, rad_at(krad, faces, i, j, k + 1), t, T[i, j, k + 1], inv_dx, par)
        n_top = ti.cast(k_up == 0.0, ti.i32)
    elif par[P_TOP_HELD] != 0.0:  # the domain's top face held at T_top through half a cell, as the bottom
        qt = kc * (par[P_T_TOP] - t) * 2.0 * inv_dx
        q += qt
        ledger[LEDGER_TOP] += -qt * dx * dx * dt_b
    else:
        n_top = 1
    q += q_above
    if i > 0:
        q += lateral_flux(h, kside, krad, T, mass, par, faces, t_w, k_split, group, k, i - 1, j, ks, r, t, inv_dx, dt_w,
                          rho_p)
        n_side += ti.cast(kside[i - 1, j, k] == 0.0, ti.i32)
    if i < nx - 1:
        q += lateral_flux(h, kside, krad, T, mass, par, faces, t_e, k_split, group, k, i + 1, j, ks, r, t, inv_dx, dt_w,
                          rho_p)
        n_side += ti.cast(kside[i + 1, j, k] == 0.0, ti.i32)
    if j > 0:
        q += lateral_flux(h, kside, krad, T, mass, par, faces, t_s, k_split, group, k, i, j - 1, ks, r, t, inv_dx, dt_w,
                          rho_p)
        n_side += ti.cast(kside[i, j - 1, k] == 0.0, ti.i32)
    if j < ny - 1:
        q += lateral_flux(h, kside, krad, T, mass, par, faces, t_n, k_split, group, k, i, j + 1, ks, r, t, inv_dx, dt_w,
                          rho_p)
        n_side += ti.cast(kside[i, j + 1, k] == 0.0, ti.i32)
    n_exposed = exposed_area(n_top, n_side, kc, ks)
    if n_exposed > 0.0:
        eps = emissivity_at(t, par[P_EPS_SOLID], par[P_EPS_MELT], par[P_SOLIDUS], par[P_INV_MELT_RANGE])
        sky4 = T_sky * T_sky * T_sky * T_sky
        q_rad = eps * SIGMA * (t * t * t * t - sky4) * n_exposed
        q_cv = h_conv * (t - T_amb) * n_exposed
        q -= q_rad + q_cv
        ledger[LEDGER_RADIATED] += q_rad * dx * dx * dt_b
        ledger[LEDGER_CONVECTED] += q_cv * dx * dx * dt_b
    return q, -q_above, n_exposed


@ti.kernel
def diffuse(
    h: nd3, T: nd3, kcond: nd3, kside: nd3, krad: nd3, mass: nd3, T_bottom: nd2, ledger: nd1, par: nd1, dt: float,
    k0: ti.i32, k1: ti.i32, tiles: nd2, k_split: ti.i32, group: ti.template(), evaporation: ti.template(),
    mass_lost: nd3, alkali_lost: nd3, T_of_h: nd1, h_of_T: nd1, cp_of_T: nd1, evap_par: nd1, faces: ti.template(),
):
    """One explicit step of the enthalpy equation with the fluxes evaluated from ``T``, applied to ``h``
    in place in the layers [k0, k1) (T is only read, so updating h in place is exact). Exposed faces
    (towards a void cell or the top of the domain) radiate and convect; the sides are symmetry planes;
    the bottom face is held at ``T_bottom[i, j]`` through half a cell (the deep substrate temperature
    from the site model) when ``bottom_dirichlet`` is set, else insulated (``cell_flux``). The implicit
    step calls it with its converged temperatures as ``T`` for a conservative update. Only the cells of
    group ``group`` are stepped (multirate, see the module docstring and ``group_range``). With
    ``evaporation``, each exposed cell then loses its evaporation heat of the step
    (``evaporation.evaporate_cell``, constants ``evap_par``): no other cell writes it in this pass, so
    that is the sink applied to the enthalpy the step left; any cell left above the boiling point of its
    vapours then boils down to it (``evaporation.boil_cell``)."""
    nx, ny, nz = h.shape[0], h.shape[1], h.shape[2]
    for i, j in ti.ndrange(nx, ny):
        dx, rho_p = par[P_DX], par[P_RHO_P]
        inv_dx = 1.0 / dx
        lo, hi, t_w, t_e, t_s, t_n, q_below = column_start(h, kcond, krad, T, mass, par, faces, tiles, group, i, j, k0,
                                                           k1, k_split, nx, ny, inv_dx, dt, rho_p)
        evaporated = 0.0
        h_b1, h_b2 = 0.0, 0.0
        if ti.static(evaporation):
            h_b1, h_b2 = KE.boiling_enthalpies(h_of_T, evap_par, par[P_HT0], par[P_INV_HDT])
        for k in range(lo, hi):
            if kcond[i, j, k] == 0.0:  # void
                q_below = 0.0
                continue
            q, q_below_next, n_exposed = cell_flux(h, kcond, kside, krad, T, mass, T_bottom, ledger, par, faces, group,
                                                   i, j, k, hi, k_split, t_w, t_e, t_s, t_n, q_below, nx, ny, nz,
                                                   inv_dx, dt, 1.0)
            q_below = q_below_next
            h[i, j, k] += dt * q / (mass[i, j, k] * rho_p * dx)
            if ti.static(evaporation):
                if n_exposed > 0.0:
                    evaporated += KE.evaporate_cell(
                        h, mass, mass_lost, alkali_lost, T_of_h, h_of_T, cp_of_T, evap_par, i, j, k, n_exposed,
                        par[P_H0], par[P_INV_DH], par[P_HT0], par[P_INV_HDT], par[P_CP_T0], par[P_CP_INV_DT], dt,
                        dx, rho_p)
                evaporated += KE.boil_cell(h, mass, mass_lost, alkali_lost, evap_par, i, j, k, h_b1, h_b2, dx, rho_p)
        if ti.static(evaporation):
            if evaporated != 0.0:
                ledger[KE.LEDGER_EVAPORATED] += evaporated


# -- super-time-stepping (RKL2) -----------------------------------------------------------------------
# A step of dt far above the explicit limit dt_FE in s stages of the second-order Runge-Kutta-Legendre
# method (Meyer, Balsara & Aslam 2012, MNRAS 422:2102; Meyer, Balsara & Aslam 2014, J. Comput. Phys.
# 257:594, Eq. 16-18), stable for dt <= dt_FE (s^2 + s - 2) / 4:
#     Y_1 = Y_0 + mu~_1 dt M(Y_0)
#     Y_j = mu_j Y_{j-1} + nu_j Y_{j-2} + (1 - mu_j - nu_j) Y_0 + mu~_j dt M(Y_{j-1}) + gamma~_j dt M(Y_0),
# Y the enthalpy, M(Y) = dh/dt of the conduction, radiation and convection fluxes at T(Y). Every stage is a
# linear combination, so Y_s = Y_0 + dt sum_i W_i M(Y_i) with weights W_i the host unrolls
# (regolith_sim.thermal.sts): each stage books its boundary fluxes in the ledger, and moves the heat of its
# faces towards lagging cells into them, times W_i dt, and the balance closes to round-off as for an Euler
# step. The coefficients of the step are rows of ``coef`` (STS_MU, STS_NU, STS_MUT, STS_GAMT, STS_W).
# RKL2's amplification stays within [0, 1] over the stiff modes where e^z is about 0, so the sharp
# contrasts a spot leaves in the melt decay too slowly; a rough region (a box of cells around the spot and
# the hot cells, ``rough_code``) is stepped again by Euler steps at the limit (``rough_step``), the stages
# providing the heat across its faces, which the same weights book on both sides.
STS_MU, STS_NU, STS_MUT, STS_GAMT, STS_W = range(5)
#: Stages after the first per ``sts_stage`` launch: its 29 arguments cost ~160 us a launch on the CPU backend,
#: a quarter of a stage of the demo, so the stages are unrolled (each still two parallel loops).
STS_BATCH = 4


@ti.kernel
def sts_stage(h: nd3, h_a: nd3, h_b: nd3, h_c: nd3, h0: nd3, m0: nd3, src: nd3, T: nd3, kcond: nd3, kside: nd3,
              krad: nd3, mass: nd3, T_bottom: nd2, ledger: nd1, par: nd1, coef: nd2, stage: ti.i32, count: ti.i32,
              first: ti.template(), dt: float, k0: ti.i32, k1: ti.i32, tiles: nd2, k_split: ti.i32,
              group: ti.template(), rbox: nd1, inflow: nd3, rho_rel: nd3, T_of_h: nd1, faces: ti.template()):
    """Stages ``stage`` .. ``stage`` + ``count`` - 1 (1..s; at most ``STS_BATCH``, the ``first`` stage alone) of
    an RKL2 step of dt [s] over the cells of group ``group``. Stage j computes Y_j from Y_{j-1} (whose
    temperatures and conductivities ``T`` and ``kcond`` a first loop takes from it after the first stage: a
    stage's state is no physical time, so peak temperatures, states and the rest wait for the step's end, in
    ``update_properties``; the loops run one after the other), Y_{j-2} and Y_0 (``h0``) and its rate M(Y_0)
    (``m0``), which the ``first`` stage stores. The launch's first stage reads Y_{j-1} from ``h_a`` and Y_{j-2}
    from ``h_c`` and writes Y_j into ``h_b``; the next ones alternate between ``h_a`` and ``h_b`` (Y_{j+1} into
    ``h_a`` over Y_{j-1}, ...). The sources' deposit of the step, ``src`` [J/kg], is a constant rate src/dt
    in M: as the weights W_i sum to 1, Y_s holds all of it, and a spot's energy is not put into the top cells
    at once (a spike the stages would damp only weakly). Cell-local reads and writes only (neighbours are read
    through T and kcond), so the output may be the array of Y_{j-2} or, in the first stage, of Y_{j-1}.
    Lagging cells' heat goes into ``h``, where they keep their enthalpy. ``h0`` keeps Y_0 to the step's end: its
    property update measures the step's largest temperature change from it (``update_properties``' ``h_start``).

    The cells of the rough region ``rbox`` (``rough_code``) go through the stages too, so that their
    neighbours see them move, but ``rough_step`` steps them again from Y_0: their boundary fluxes are not
    booked here, and ``inflow`` [J/kg] gathers what the stages put into them across the region's faces (times
    the weights, so exactly what their neighbours lost), plus their share of ``src``. So a stage after the
    first computes only the rough cells whose value a later stage's interface flux can still reach
    (``rough_stage_top``): in an s-stage step, stage j those at most max(s - j, 1) cells deep in the region;
    the others keep stale values that nothing reads, and the result is the same to the bit."""
    if ti.static(first):
        sts_flux(h, h_a, h_c, h_b, h0, m0, src, T, kcond, kside, krad, mass, T_bottom, ledger, par, faces, coef, stage,
                 True, dt, k0, k1, tiles, k_split, group, rbox, inflow, h.shape[0], 1)
    else:
        s = coef.shape[0] - 1
        for m in ti.static(range(STS_BATCH)):
            j = ti.min(stage + m, s)  # (the stages past count run over no columns)
            n_run = ti.select(m < count, h.shape[0], 0)
            # Rough cells deeper than ``allow`` in the region (``rough_stage_top``) are left out of this stage:
            # no interface flux of a later stage depends on them (the rough steps start again from Y_0).
            allow = ti.max(s - j, 1)
            if ti.static(m == 0):
                sts_refresh(h_a, T, kcond, kside, krad, rho_rel, mass, T_of_h, par, faces, tiles, rbox, group, k0, k1,
                            k_split, n_run, allow)
                sts_flux(h, h_a, h_c, h_b, h0, m0, src, T, kcond, kside, krad, mass, T_bottom, ledger, par, faces, coef,
                         j, False, dt, k0, k1, tiles, k_split, group, rbox, inflow, n_run, allow)
            elif ti.static(m % 2 == 1):
                sts_refresh(h_b, T, kcond, kside, krad, rho_rel, mass, T_of_h, par, faces, tiles, rbox, group, k0, k1,
                            k_split, n_run, allow)
                sts_flux(h, h_b, h_a, h_a, h0, m0, src, T, kcond, kside, krad, mass, T_bottom, ledger, par, faces, coef,
                         j, False, dt, k0, k1, tiles, k_split, group, rbox, inflow, n_run, allow)
            else:
                sts_refresh(h_a, T, kcond, kside, krad, rho_rel, mass, T_of_h, par, faces, tiles, rbox, group, k0, k1,
                            k_split, n_run, allow)
                sts_flux(h, h_a, h_b, h_b, h0, m0, src, T, kcond, kside, krad, mass, T_bottom, ledger, par, faces, coef,
                         j, False, dt, k0, k1, tiles, k_split, group, rbox, inflow, n_run, allow)


@ti.func
def sts_refresh(h_prev: ti.template(), T: ti.template(), kcond: ti.template(), kside: ti.template(),
                krad: ti.template(), rho_rel: ti.template(), mass: ti.template(), T_of_h: ti.template(),
                par: ti.template(), faces: ti.template(), tiles: ti.template(), rbox: ti.template(),
                group: ti.template(), k0, k1, k_split, n_run, allow):
    """The first loop of a stage after the first (``sts_stage``): T and k of the cells of group ``group`` from
    Y_{j-1} (``h_prev``), in the columns i < ``n_run``, but for the rough cells deeper than ``allow`` + 1 (the
    neighbours of those the stage updates are read)."""
    nx, ny = h_prev.shape[0], h_prev.shape[1]
    for i, j in ti.ndrange(n_run, ny):
        lo, hi = group_range(tiles, group, i, j, k0, k1, k_split)
        top = rough_stage_top(tiles, rbox, i, j, nx, ny, hi, allow + 1)
        for k in range(lo, top):
            if kcond[i, j, k] != 0.0:  # not void (update_properties keeps k = 0 there)
                refresh_cell(h_prev, T, kcond, kside, krad, rho_rel, mass, T_of_h, par, faces, i, j, k)


@ti.func
def sts_flux(h: ti.template(), h_prev: ti.template(), h_two: ti.template(), h_out: ti.template(), h0: ti.template(),
             m0: ti.template(), src: ti.template(), T: ti.template(), kcond: ti.template(), kside: ti.template(),
             krad: ti.template(), mass: ti.template(), T_bottom: ti.template(), ledger: ti.template(),
             par: ti.template(), faces: ti.template(), coef: ti.template(), stage, first: ti.template(), dt, k0, k1,
             tiles: ti.template(),
             k_split, group: ti.template(), rbox: ti.template(), inflow: ti.template(), n_run, allow):
    """The flux loop of stage ``stage`` (``sts_stage``): Y_stage into ``h_out`` from M(Y_{stage-1}) (T and kcond),
    ``h_prev`` = Y_{stage-1}, ``h_two`` = Y_{stage-2}, in the columns i < ``n_run``; after the first stage not
    in the rough cells deeper than ``allow`` (``rough_stage_top``)."""
    nx, ny, nz = h.shape[0], h.shape[1], h.shape[2]
    mu, nu, mut, gamt = coef[stage, STS_MU], coef[stage, STS_NU], coef[stage, STS_MUT], coef[stage, STS_GAMT]
    dt_w = coef[stage - 1, STS_W] * dt  # this stage evaluates M(Y_{stage-1})
    for i, j in ti.ndrange(n_run, ny):
        dx, rho_p = par[P_DX], par[P_RHO_P]
        inv_dx = 1.0 / dx
        inv_rho_dx, inv_dt = 1.0 / (rho_p * dx), 1.0 / dt  # (per column: the cells multiply)
        lo, hi, t_w, t_e, t_s, t_n, q_below = column_start(h, kcond, krad, T, mass, par, faces, tiles, group, i, j, k0,
                                                           k1, k_split, nx, ny, inv_dx, dt_w, rho_p)
        own_rough = rough_code(tiles, rbox, i, j, nx, ny) == ROUGH
        top = hi
        if ti.static(first):
            # A spot's energy that reaches a lagging deep cell (through a few cells of powder) goes in at once,
            # as in an Euler step.
            for k in range(k0, lo if lo < hi else k1):  # (all of a column the group leaves out)
                if src[i, j, k] != 0.0:
                    ti.atomic_add(h[i, j, k], src[i, j, k])
        else:  # (the first stage stores Y_0 and M(Y_0) of every cell)
            top = rough_stage_top(tiles, rbox, i, j, nx, ny, hi, allow)
        for k in range(lo, top):
            if kcond[i, j, k] == 0.0:  # void
                q_below = 0.0
                continue
            rough = own_rough and rbox[4] <= k and k < rbox[5]
            q, q_below_next, n_exposed = cell_flux(h, kcond, kside, krad, T, mass, T_bottom, ledger, par, faces, group,
                                                   i, j, k, hi, k_split, t_w, t_e, t_s, t_n, q_below, nx, ny, nz,
                                                   inv_dx, dt_w, 0.0 if rough else 1.0)
            q_below = q_below_next
            rate = q * inv_rho_dx / mass[i, j, k] + src[i, j, k] * inv_dt
            if rough:
                into = 0.0
                # (with rbox[6], cells inside the box's faces have no face out of the region: nothing to add)
                if rbox[6] == 0 or i == rbox[0] or i + 1 == rbox[1] or j == rbox[2] or j + 1 == rbox[3] or \
                        k == rbox[4] or k + 1 == rbox[5]:
                    into = dt_w * rough_interface(kcond, kside, krad, T, par, faces, tiles, rbox, i, j, k, nx, ny, nz,
                                                  inv_dx) / (mass[i, j, k] * rho_p * dx)
                if ti.static(first):
                    inflow[i, j, k] = src[i, j, k] + into
                else:
                    inflow[i, j, k] += into
            if ti.static(first):
                y0 = h_prev[i, j, k]
                h0[i, j, k] = y0
                m0[i, j, k] = rate
                h_out[i, j, k] = y0 + mut * dt * rate
            else:
                h_out[i, j, k] = (mu * h_prev[i, j, k] + nu * h_two[i, j, k] + (1.0 - mu - nu) * h0[i, j, k]
                                  + mut * dt * rate + gamt * dt * m0[i, j, k])


@ti.func
def refresh_cell(h: ti.template(), T: ti.template(), kcond: ti.template(), kside: ti.template(),
                 krad: ti.template(), rho_rel: ti.template(), mass: ti.template(), T_of_h: ti.template(),
                 par: ti.template(), faces: ti.template(), i, j, k):
    """T(h) and k(T, relative density) of one cell (no state, peak or clock: see ``sts_stage``)."""
    t = table_lookup(T_of_h, par[P_H0], par[P_INV_DH], h[i, j, k])
    T[i, j, k] = t
    rr = rho_rel[i, j, k]
    store_conductivity(kcond, kside, krad, mass, i, j, k, rr, cell_conductivity(t, rr, par), par, faces)


@ti.func
def rough_code(tiles: ti.template(), rbox: ti.template(), i, j, nx, ny):
    """ROUGH if column (i, j) is in the rough region of a super-time-step: inside the box ``rbox`` (i_lo,
    i_hi, j_lo, j_hi, k_lo, k_hi; half-open; its layers from k_lo on are the region's) and in a fast tile
    (lagging cells keep to their own pass); else FAST. Outside the grid: FAST (no face there)."""
    code = FAST
    if 0 <= i and i < nx and 0 <= j and j < ny:
        if rbox[0] <= i and i < rbox[1] and rbox[2] <= j and j < rbox[3]:
            if tiles[i // TILE, j // TILE] != SLOW:
                code = ROUGH
    return code


@ti.func
def rough_stage_top(tiles: ti.template(), rbox: ti.template(), i, j, nx, ny, hi, allow):
    """The top of the layers of column (i, j) a super-time-step's stage must update: ``hi``, except in a column
    of the rough region more than ``allow`` cells from its sides, where the region's cells more than ``allow``
    layers above its bottom are left out. Stage j of s evaluates M(Y_{j-1}); a rough cell's Y_j can reach the
    region's interface (and so the cells outside and ``inflow``) in stage j' only if it lies within j' - 1 - j
    cells of the cells next to the interface, i.e. at most s - j cells deep (the cells next to it, 1 deep, are
    kept in every stage: their stage books the interface flux). The depth is the distance to the box's faces
    towards cells of the grid: faces on the grid's sides have no cells behind them, and the cells above k1 are
    void. ``rbox[6]`` = 0 (a lagging tile in the box, or cells above it) turns this off."""
    top = hi
    if rbox[6] != 0 and rough_code(tiles, rbox, i, j, nx, ny) == ROUGH:
        lat = BOX_EMPTY
        if rbox[0] > 0:
            lat = ti.min(lat, i - rbox[0] + 1)
        if rbox[1] < nx:
            lat = ti.min(lat, rbox[1] - i)
        if rbox[2] > 0:
            lat = ti.min(lat, j - rbox[2] + 1)
        if rbox[3] < ny:
            lat = ti.min(lat, rbox[3] - j)
        if lat > allow:
            bottom = rbox[4]
            if bottom > 0:  # cells under the region: those up to allow layers above them are kept
                bottom += allow
            top = ti.min(hi, bottom)
    return top


@ti.func
def rough_interface(kcond: ti.template(), kside: ti.template(), krad: ti.template(), T: ti.template(),
                    par: ti.template(), faces: ti.template(), tiles: ti.template(), rbox: ti.template(), i, j, k, nx,
                    ny, nz, inv_dx):
    """Heat flux density [W/m^2] into rough cell (i, j, k) across its faces to cells outside the rough region
    (void neighbours have k = 0 and pass none)."""
    kc, ks, r, t = kcond[i, j, k], kside[i, j, k], rad_at(krad, faces, i, j, k), T[i, j, k]
    q = 0.0
    if k == rbox[4] and k > 0:
        q += face_flux(kc, kcond[i, j, k - 1], r, rad_at(krad, faces, i, j, k - 1), t, T[i, j, k - 1], inv_dx, par)
    if k + 1 == rbox[5] and k + 1 < nz:
        q += face_flux(kc, kcond[i, j, k + 1], r, rad_at(krad, faces, i, j, k + 1), t, T[i, j, k + 1], inv_dx, par)
    if i > 0 and rough_code(tiles, rbox, i - 1, j, nx, ny) != ROUGH:
        q += face_flux(ks, kside[i - 1, j, k], r, rad_at(krad, faces, i - 1, j, k), t, T[i - 1, j, k], inv_dx, par)
    if i < nx - 1 and rough_code(tiles, rbox, i + 1, j, nx, ny) != ROUGH:
        q += face_flux(ks, kside[i + 1, j, k], r, rad_at(krad, faces, i + 1, j, k), t, T[i + 1, j, k], inv_dx, par)
    if j > 0 and rough_code(tiles, rbox, i, j - 1, nx, ny) != ROUGH:
        q += face_flux(ks, kside[i, j - 1, k], r, rad_at(krad, faces, i, j - 1, k), t, T[i, j - 1, k], inv_dx, par)
    if j < ny - 1 and rough_code(tiles, rbox, i, j + 1, nx, ny) != ROUGH:
        q += face_flux(ks, kside[i, j + 1, k], r, rad_at(krad, faces, i, j + 1, k), t, T[i, j + 1, k], inv_dx, par)
    return q


#: Euler steps of the rough region per ``rough_step`` launch: a launch costs about as much as a step of a small
#: region (~85 us on the CPU backend, 17 arguments), so the steps are unrolled, each still two parallel loops.
ROUGH_BATCH = 4


@ti.kernel
def rough_step(h: nd3, h0: nd3, T: nd3, kcond: nd3, kside: nd3, krad: nd3, mass: nd3, rho_rel: nd3, T_of_h: nd1,
               T_bottom: nd2, ledger: nd1, par: nd1, inflow: nd3, dt: float, frac: float, k1: ti.i32, tiles: nd2,
               rbox: nd1, restore: ti.i32, count: ti.i32, faces: ti.template()):
    """``count`` (at most ``ROUGH_BATCH``) explicit Euler steps of dt [s] each of the rough region of a
    super-time-step (``rough_code``). Each: T(h) and k(T, relative density) of its cells first (with
    ``restore``, in the first, from their enthalpy at the start of the super-time-step, ``h0``, put back), then
    the fluxes between them and their boundary fluxes (booked in ``ledger``), plus ``frac`` of ``inflow``
    (what the stages moved into them across the region's faces, and their source deposit: ``sts_stage``),
    frac = dt over the super-time-step. The loops run one after the other; steps past ``count`` have empty
    ranges. ``ThermalSolver.step_sts`` takes as many as the explicit limit asks for: where the spot and the
    melt leave sharp contrasts, Euler steps at the limit damp them as the heat equation does (RKL2's stages
    leave about half of them)."""
    nx, ny, nz = h.shape[0], h.shape[1], h.shape[2]
    for m in ti.static(range(ROUGH_BATCH)):
        i_hi = ti.select(m < count, rbox[1], rbox[0])  # (an empty range for the steps past count)
        for i, j in ti.ndrange((rbox[0], i_hi), (rbox[2], rbox[3])):
            if rough_code(tiles, rbox, i, j, nx, ny) != ROUGH:
                continue
            for k in range(rbox[4], ti.min(rbox[5], k1)):
                if kcond[i, j, k] != 0.0:
                    if ti.static(m == 0):
                        if restore != 0:
                            h[i, j, k] = h0[i, j, k]
                    refresh_cell(h, T, kcond, kside, krad, rho_rel, mass, T_of_h, par, faces, i, j, k)
        for i, j in ti.ndrange((rbox[0], i_hi), (rbox[2], rbox[3])):
            dx, rho_p = par[P_DX], par[P_RHO_P]
            inv_dx = 1.0 / dx
            if rough_code(tiles, rbox, i, j, nx, ny) != ROUGH:
                continue
            t_w, t_e = rough_code(tiles, rbox, i - 1, j, nx, ny), rough_code(tiles, rbox, i + 1, j, nx, ny)
            t_s, t_n = rough_code(tiles, rbox, i, j - 1, nx, ny), rough_code(tiles, rbox, i, j + 1, nx, ny)
            hi = ti.min(rbox[5], k1)
            q_below = 0.0  # (the face under the region is the stages')
            for k in range(rbox[4], hi):
                if kcond[i, j, k] == 0.0:  # void
                    q_below = 0.0
                    continue
                q, q_below_next, _ = cell_flux(h, kcond, kside, krad, T, mass, T_bottom, ledger, par, faces, ROUGH, i,
                                               j, k, hi, 0, t_w, t_e, t_s, t_n, q_below, nx, ny, nz, inv_dx, dt, 1.0)
                q_below = q_below_next
                h[i, j, k] += dt * q / (mass[i, j, k] * rho_p * dx) + frac * inflow[i, j, k]


@ti.kernel
def zero_columns(a: nd3, i_lo: ti.i32, i_hi: ti.i32, j_lo: ti.i32, j_hi: ti.i32):
    """a = 0 in the columns [i_lo, i_hi) x [j_lo, j_hi): clears a super-time-step's source deposit where the last
    one put it (ndarray.fill of the whole grid cost ~250 us a step on the CPU backend)."""
    for i, j in ti.ndrange((i_lo, i_hi), (j_lo, j_hi)):
        for k in range(a.shape[2]):
            a[i, j, k] = 0.0


@ti.func
def evaporate_at(h: ti.template(), kcond: ti.template(), kside: ti.template(), mass: ti.template(),
                 mass_lost: ti.template(), alkali_lost: ti.template(), T_of_h: ti.template(), h_of_T: ti.template(),
                 cp_of_T: ti.template(), evap_par: ti.template(), par: ti.template(), i, j, k, nx, ny, nz, dt, h_b1,
                 h_b2, t):
    """The evaporation sink of a step of dt [s] of cell (i, j, k) if it has exposed faces, applied to the
    enthalpy the step left (``evaporation.evaporate_cell``), then boiling if it is left above the boiling point
    of its vapours (``evaporation.boil_cell``, boiling enthalpies ``h_b1``, ``h_b2``): a super-time-step's, split
    off its stages (``diffuse`` applies them in its own pass), from ``update_properties``. Returns the heat taken
    [J]. ``t`` is T(h) of the cell: the exposed faces are counted only where it is hot enough to evaporate
    (evaporate_cell's own test, T >= evap_par[12], done first: most cells are cold)."""
    evaporated = 0.0
    if t >= evap_par[12]:
        n_exposed = exposed_faces(kcond, kside, i, j, k, nx, ny, nz, par[P_TOP_HELD])
        if n_exposed > 0.0:
            evaporated += KE.evaporate_cell(
                h, mass, mass_lost, alkali_lost, T_of_h, h_of_T, cp_of_T, evap_par, i, j, k, n_exposed,
                par[P_H0], par[P_INV_DH], par[P_HT0], par[P_INV_HDT], par[P_CP_T0], par[P_CP_INV_DT], dt,
                par[P_DX], par[P_RHO_P])
    evaporated += KE.boil_cell(h, mass, mass_lost, alkali_lost, evap_par, i, j, k, h_b1, h_b2, par[P_DX],
                               par[P_RHO_P])
    return evaporated


# -- implicit (backward-Euler) step -----------------------------------------------------------------
# Backward Euler in enthalpy form, M (h(T) - h^n)/dt = sum_f K_f (T_f - T) + Kb (T_b - T) - R(T), is
# solved by Newton-type iterations in T: h(T) and the radiative loss R(T) are linearised about the
# iterate T^m (h ~ h(T^m) + c (T - T^m), c = dh/dT from the table, latent heat included; R ~ R(T^m) +
# R'(T^m) (T - T^m)), k is lagged at T^m (Picard), and after each linear solve the enthalpy is updated
# as h = h(T^m) + c (T - T^m) and T taken back from the h(T) table: the Voller & Swaminathan (1991,
# Numer. Heat Transfer B 19:175) source update, which keeps the iteration convergent across the
# melting range. The linear system is symmetric positive definite (a 7-point M-matrix); it is solved
# matrix-free by conjugate gradients with a Jacobi preconditioner (Saad 2003, Iterative Methods for
# Sparse Linear Systems, Alg. 9.1). Units: M [kg], K [W/K], T [K], residuals [W].


@ti.func
def face_conductance(kc: ti.template(), krad: ti.template(), T: ti.template(), par: ti.template(),
                     faces: ti.template(), i, j, k, i2, j2, k2, dx):
    """K_f = k_f dx [W/K] of the face towards a neighbour (``radiating_face_k`` at the temperatures ``T``); 0
    towards void (k = 0)."""
    return radiating_face_k(kc[i, j, k], kc[i2, j2, k2], rad_at(krad, faces, i, j, k), rad_at(krad, faces, i2, j2, k2),
                            T[i, j, k], T[i2, j2, k2], par) * dx


@ti.kernel
def implicit_assemble(
    h_old: nd3, Tm: nd3, kcond: nd3, kside: nd3, krad: nd3, par: nd1, mass: nd3, state: nd3, T_bottom: nd2,
    diag: nd3, rhs: nd3, c_eff: nd3, h_m: nd3,
    h_of_T: nd1, hT0: float, inv_hdT: float,
    dt: float, dx: float, rho_p: float, eps_solid: float, eps_melt: float, solidus: float, liquidus: float,
    T_sky: float, h_conv: float, T_amb: float, bottom_dirichlet: ti.i32, top_held: ti.i32, T_top: float, k0: ti.i32,
    k1: ti.i32, faces: ti.template(),
) -> float:
    """Diagonal and right-hand side of the system linearised about T^m; stores c = dh/dT and h(T^m).
    Returns the sum of the diagonal (the scale of the CG stopping test)."""
    nx, ny, nz = Tm.shape[0], Tm.shape[1], Tm.shape[2]
    hdT = 1.0 / inv_hdT
    total = 0.0
    for i, j in ti.ndrange(nx, ny):
        for k in range(k0, k1):
            if state[i, j, k] == VOID:
                continue
            t = Tm[i, j, k]
            hm = table_lookup(h_of_T, hT0, inv_hdT, t)
            c = (table_lookup(h_of_T, hT0, inv_hdT, t + hdT) - table_lookup(h_of_T, hT0, inv_hdT, t - hdT)) \
                / (2.0 * hdT)
            c = ti.max(c, 1e-3)
            M = mass[i, j, k] * rho_p * dx * dx * dx
            a = M * c / dt
            b = M / dt * (c * t - hm + h_old[i, j, k])
            if i > 0:
                a += face_conductance(kside, krad, Tm, par, faces, i, j, k, i - 1, j, k, dx)
            if i < nx - 1:
                a += face_conductance(kside, krad, Tm, par, faces, i, j, k, i + 1, j, k, dx)
            if j > 0:
                a += face_conductance(kside, krad, Tm, par, faces, i, j, k, i, j - 1, k, dx)
            if j < ny - 1:
                a += face_conductance(kside, krad, Tm, par, faces, i, j, k, i, j + 1, k, dx)
            if k > 0:
                a += face_conductance(kcond, krad, Tm, par, faces, i, j, k, i, j, k - 1, dx)
            elif bottom_dirichlet != 0:
                kb = kcond[i, j, k] * 2.0 * dx
                a += kb
                b += kb * T_bottom[i, j]
            if k < nz - 1:
                a += face_conductance(kcond, krad, Tm, par, faces, i, j, k, i, j, k + 1, dx)
            elif top_held != 0:
                kt = kcond[i, j, k] * 2.0 * dx
                a += kt
                b += kt * T_top
            n_exposed = exposed_faces(kcond, kside, i, j, k, nx, ny, nz, top_held)
            if n_exposed > 0.0:
                eps = emissivity_at(t, eps_solid, eps_melt, solidus, 1.0 / (liquidus - solidus))
                area = n_exposed * dx * dx
                loss = (eps * SIGMA * (t * t * t * t - T_sky * T_sky * T_sky * T_sky) + h_conv * (t - T_amb)) * area
                slope = (4.0 * eps * SIGMA * t * t * t + h_conv) * area
                a += slope
                b += slope * t - loss
            diag[i, j, k] = a
            rhs[i, j, k] = b
            c_eff[i, j, k] = c
            h_m[i, j, k] = hm
            total += a
    return total


@ti.kernel
def implicit_matvec(x: nd3, Ax: nd3, kcond: nd3, kside: nd3, krad: nd3, Tm: nd3, par: nd1, state: nd3, diag: nd3,
                    dx: float, k0: ti.i32, k1: ti.i32, faces: ti.template()) -> float:
    """Ax = A x for the assembled system (off-diagonals -K_f, at the linearisation's temperatures ``Tm``);
    returns x . Ax over active cells."""
    nx, ny, nz = x.shape[0], x.shape[1], x.shape[2]
    dot = 0.0
    for i, j in ti.ndrange(nx, ny):
        for k in range(k0, k1):
            if state[i, j, k] == VOID:
                continue
            s = diag[i, j, k] * x[i, j, k]
            if i > 0:
                s -= face_conductance(kside, krad, Tm, par, faces, i, j, k, i - 1, j, k, dx) * x[i - 1, j, k]
            if i < nx - 1:
                s -= face_conductance(kside, krad, Tm, par, faces, i, j, k, i + 1, j, k, dx) * x[i + 1, j, k]
            if j > 0:
                s -= face_conductance(kside, krad, Tm, par, faces, i, j, k, i, j - 1, k, dx) * x[i, j - 1, k]
            if j < ny - 1:
                s -= face_conductance(kside, krad, Tm, par, faces, i, j, k, i, j + 1, k, dx) * x[i, j + 1, k]
            if k > 0:
                s -= face_conductance(kcond, krad, Tm, par, faces, i, j, k, i, j, k - 1, dx) * x[i, j, k - 1]
            if k < nz - 1:
                s -= face_conductance(kcond, krad, Tm, par, faces, i, j, k, i, j, k + 1, dx) * x[i, j, k + 1]
            Ax[i, j, k] = s
            dot += x[i, j, k] * s
    return dot


@ti.kernel
def cg_start(Ax: nd3, rhs: nd3, diag: nd3, r: nd3, p: nd3, state: nd3, k0: ti.i32, k1: ti.i32) -> float:
    """r = b - A x (Ax given), p = D^-1 r; returns r . D^-1 r."""
    rz = 0.0
    for i, j in ti.ndrange(Ax.shape[0], Ax.shape[1]):
        for k in range(k0, k1):
            if state[i, j, k] != VOID:
                rr = rhs[i, j, k] - Ax[i, j, k]
                zz = rr / diag[i, j, k]
                r[i, j, k] = rr
                p[i, j, k] = zz
                rz += rr * zz
    return rz


@ti.kernel
def cg_advance(x: nd3, r: nd3, p: nd3, Ap: nd3, diag: nd3, state: nd3, alpha: float, k0: ti.i32,
               k1: ti.i32) -> float:
    """x += alpha p, r -= alpha A p; returns the new r . D^-1 r."""
    rz = 0.0
    for i, j in ti.ndrange(x.shape[0], x.shape[1]):
        for k in range(k0, k1):
            if state[i, j, k] != VOID:
                x[i, j, k] += alpha * p[i, j, k]
                rr = r[i, j, k] - alpha * Ap[i, j, k]
                r[i, j, k] = rr
                rz += rr * rr / diag[i, j, k]
    return rz


@ti.kernel
def cg_direction(r: nd3, p: nd3, diag: nd3, state: nd3, beta: float, k0: ti.i32, k1: ti.i32):
    """p = D^-1 r + beta p."""
    for i, j in ti.ndrange(r.shape[0], r.shape[1]):
        for k in range(k0, k1):
            if state[i, j, k] != VOID:
                p[i, j, k] = r[i, j, k] / diag[i, j, k] + beta * p[i, j, k]


@ti.kernel
def implicit_source_update(Tm: nd3, x: nd3, c_eff: nd3, h_m: nd3, state: nd3, T_of_h: nd1, h0: float,
                           inv_dh: float, k0: ti.i32, k1: ti.i32) -> float:
    """Voller-Swaminathan update: h = h(T^m) + c (x - T^m), T^m <- T(h); returns max |change of T^m|."""
    change = 0.0
    for i, j in ti.ndrange(Tm.shape[0], Tm.shape[1]):
        for k in range(k0, k1):
            if state[i, j, k] != VOID:
                t_old = Tm[i, j, k]
                hn = h_m[i, j, k] + c_eff[i, j, k] * (x[i, j, k] - t_old)
                t_new = table_lookup(T_of_h, h0, inv_dh, hn)
                Tm[i, j, k] = t_new
                x[i, j, k] = t_new
                ti.atomic_max(change, ti.abs(t_new - t_old))
    return change


@ti.kernel
def max_abs_difference(a: nd3, b: nd3, state: nd3, k0: ti.i32, k1: ti.i32) -> float:
    """max |a - b| over active cells."""
    m = 0.0
    for i, j in ti.ndrange(a.shape[0], a.shape[1]):
        for k in range(k0, k1):
            if state[i, j, k] != VOID:
                ti.atomic_max(m, ti.abs(a[i, j, k] - b[i, j, k]))
    return m


@ti.kernel
def add_scaled(dst: nd3, src: nd3, factor: float, state: nd3, k0: ti.i32, k1: ti.i32):
    """dst += factor x src over active cells (the history term of BDF2)."""
    for i, j in ti.ndrange(src.shape[0], src.shape[1]):
        for k in range(k0, k1):
            if state[i, j, k] != VOID:
                dst[i, j, k] += factor * src[i, j, k]


@ti.kernel
def subtract_into(a: nd3, b: nd3, out: nd3, state: nd3, k0: ti.i32, k1: ti.i32):
    """out = a - b over active cells."""
    for i, j in ti.ndrange(a.shape[0], a.shape[1]):
        for k in range(k0, k1):
            if state[i, j, k] != VOID:
                out[i, j, k] = a[i, j, k] - b[i, j, k]


@ti.kernel
def copy_active(src: nd3, dst: nd3, state: nd3, k0: ti.i32, k1: ti.i32):
    for i, j in ti.ndrange(src.shape[0], src.shape[1]):
        for k in range(k0, k1):
            if state[i, j, k] != VOID:
                dst[i, j, k] = src[i, j, k]


@ti.func
def profile_intensity(profile, r2, w, n_sg, i0):
    """Relative intensity at squared radius r2 for a spot of 1/e^2 radius w (times i0)."""
    val = 0.0
    if profile == PROFILE_GAUSSIAN:
        val = backend.exp(-2.0 * r2 / (w * w))
    elif profile == PROFILE_TOPHAT:
        val = 1.0 if r2 <= w * w else 0.0
    elif profile == PROFILE_SUPERGAUSSIAN:
        val = backend.exp(-2.0 * backend.pow(r2 / (w * w), 0.5 * n_sg))
    else:
        val = 1.0
    return val * i0


@ti.func
def cell_weight(profile, x, y, xs, ys, w, n_sg, dx):
    """Profile integrated over a cell's top face by a 4 x 4 midpoint rule [m^2 x relative intensity]."""
    acc = 0.0
    for a, b in ti.static(ti.ndrange(4, 4)):
        px = x + (a + 0.5) * 0.25 * dx - 0.5 * dx - xs
        py = y + (b + 0.5) * 0.25 * dx - 0.5 * dx - ys
        acc += profile_intensity(profile, px * px + py * py, w, n_sg, 1.0)
    return acc * dx * dx / 16.0


@ti.kernel
def deposit_surface(h: nd3, rho_rel: nd3, mass: nd3, state: nd3, top: nd2, ledger: nd1, spot: nd1, xs: float,
                    ys: float, w: float, energy: float, i_lo: ti.i32, i_hi: ti.i32, j_lo: ti.i32, j_hi: ti.i32):
    """Absorb ``energy`` [J] from a surface source of radius ``w`` [m] centred at (xs, ys) into the exposed
    columns (the source's constants in ``spot``: :data:`SPOT_PARAMS`).

    The cell weights are normalised by their sum over the whole (unclipped) spot box [i_lo, i_hi) x
    [j_lo, j_hi), taken in a first loop of this launch, so the deposited energy is exact even where the
    spot hangs over the domain's edge. Within a column the energy is spread with depth by Beer-Lambert
    extinction in the powder, beta = 3 rho_rel / (2 d) for opaque spheres (Gusarov & Kruth 2005, IJHMT
    48:3423), i.e. ``beta_per_rel`` x relative density; dense material (rho_rel >= rho_rel_dense) absorbs
    at its surface cell. Whatever passes the first cells is absorbed in the last one reached."""
    nx, ny = h.shape[0], h.shape[1]
    profile, n_sg, x0, y0, dx = ti.cast(spot[0], ti.i32), spot[1], spot[2], spot[3], spot[4]
    rho_p, beta_per_rel, rho_rel_dense = spot[5], spot[6], spot[7]
    norm = 0.0
    for i, j in ti.ndrange((i_lo, i_hi), (j_lo, j_hi)):
        norm += cell_weight(profile, x0 + (i + 0.5) * dx, y0 + (j + 0.5) * dx, xs, ys, w, n_sg, dx)
    for i, j in ti.ndrange((ti.max(i_lo, 0), ti.min(i_hi, nx)), (ti.max(j_lo, 0), ti.min(j_hi, ny))):
        kt = top[i, j]
        if kt < 0:
            continue
        e_col = energy * cell_weight(profile, x0 + (i + 0.5) * dx, y0 + (j + 0.5) * dx, xs, ys, w, n_sg, dx) / norm
        remaining = 1.0
        k = kt
        while k >= 0 and remaining > 0.0:
            rr = rho_rel[i, j, k]
            frac = remaining
            if rr < rho_rel_dense and k > 0 and state[i, j, k - 1] != VOID:
                frac = remaining * (1.0 - backend.exp(-beta_per_rel * rr * dx))
            if remaining - frac < 1e-6:
                frac = remaining
            h[i, j, k] += e_col * frac / (mass[i, j, k] * rho_p * dx * dx * dx)
            remaining -= frac
            k -= 1
        ledger[LEDGER_ABSORBED] += e_col


@ti.kernel
def loss_weight(T: nd3, mass: nd3, state: nd3, load: nd2, loss_T: nd1, loss_T0: float, loss_inv_dT: float,
                dx: float, k0: ti.i32, k1: ti.i32) -> float:
    """sum over the load's cells (in each column the layers from ``load[i, j]``, at least k0, to k1-1; a column
    without load holds a ``load`` past the grid) of eps''(T) x solid volume [m^3]: the load's share of the cavity
    field."""
    total = 0.0
    for i, j in ti.ndrange(T.shape[0], T.shape[1]):
        for k in range(ti.max(k0, load[i, j]), k1):
            if state[i, j, k] != VOID:
                total += table_lookup(loss_T, loss_T0, loss_inv_dT, T[i, j, k]) * mass[i, j, k] * dx * dx * dx
    return total


@ti.kernel
def deposit_volumetric(
    h: nd3, T: nd3, mass: nd3, state: nd3, load: nd2, ledger: nd1, loss_T: nd1, loss_T0: float,
    loss_inv_dT: float, energy_per_weight: float, rho_p: float, dx: float, k0: ti.i32, k1: ti.i32,
):
    """Microwave heating in a field uniform over the load: the absorbed power density of a dielectric
    is p = 2 pi f eps0 eps'' |E|^2 (Metaxas & Meredith 1983, Industrial Microwave Heating, Eq. 2.19),
    so cell i takes the share eps''(T_i) V_i / sum_j eps''(T_j) V_j of the absorbed energy, i.e.
    ``energy_per_weight`` [J/m^3] x eps''(T_i) x its solid volume (eps'' of a cell scales with its
    solid fraction). Hotter cells take more: with eps'' rising with T this is thermal runaway. Only the
    load's cells (in each column the layers from ``load[i, j]``, at least k0, to k1-1) are in the field."""
    for i, j in ti.ndrange(h.shape[0], h.shape[1]):
        for k in range(ti.max(k0, load[i, j]), k1):
            if state[i, j, k] != VOID:
                e_per_mass = energy_per_weight * table_lookup(loss_T, loss_T0, loss_inv_dT, T[i, j, k]) / rho_p
                h[i, j, k] += e_per_mass
                ledger[LEDGER_ABSORBED] += e_per_mass * rho_p * mass[i, j, k] * dx * dx * dx


@ti.kernel
def activate(state: nd3, rho_rel: nd3, mass: nd3, h: nd3, T: nd3, T_peak: nd3, mask: nd2, k_lo: ti.i32, k_hi: ti.i32,
             rho_rel0: float, h_init: float, T_init: float):
    """Switch on powder in layers k_lo..k_hi-1 where ``mask`` is set. The caller counts the cells it switches on
    and books their enthalpy (an f32 sum over a layer's cells would round it): an i32 count returned from inside
    this loop nest left the last 32 columns of a 72 x 36 grid unfilled on Mesa's Vulkan driver."""
    nx, ny = state.shape[0], state.shape[1]
    for i, j in ti.ndrange(nx, ny):
        if mask[i, j] != 0:
            for k in range(k_lo, k_hi):
                if state[i, j, k] == VOID:
                    state[i, j, k] = POWDER
                    rho_rel[i, j, k] = rho_rel0
                    mass[i, j, k] = rho_rel0
                    h[i, j, k] = h_init
                    T[i, j, k] = T_init
                    T_peak[i, j, k] = T_init


@ti.kernel
def column_tops(state: nd3, top: nd2):
    """Index of the highest non-void cell of each column (-1 for an empty column)."""
    nx, ny, nz = state.shape[0], state.shape[1], state.shape[2]
    for i, j in ti.ndrange(nx, ny):
        kt = -1
        for k in range(nz):
            if state[i, j, k] != VOID:
                kt = k
        top[i, j] = kt


@ti.kernel
def stored_energy(h: nd3, mass: nd3, state: nd3, rho_p: float, dx: float) -> float:
    """Sum of m h over active cells [J]."""
    total = 0.0
    for i, j, k in ti.ndrange(h.shape[0], h.shape[1], h.shape[2]):
        if state[i, j, k] != VOID:
            total += h[i, j, k] * mass[i, j, k] * rho_p * dx * dx * dx
    return total


@ti.func
def explicit_rates(T: ti.template(), kcond: ti.template(), kside: ti.template(), krad: ti.template(),
                   mass: ti.template(), par: ti.template(), faces: ti.template(), cp_of_T: ti.template(), T0, inv_dT,
                   rho_p, eps, h_conv, i, j, k):
    """(diffusivity k/(rho c) [m^2/s], surface coefficient (4 eps sigma T^3 + h_c)/(rho c) [m/s]) of a
    cell: what bounds its explicit step (see ThermalSolver.stable_dt). Reads the neighbours' T, k and krad where
    the faces radiate (``radiating_stiffness``): called once they are final."""
    t = T[i, j, k]
    rc = mass[i, j, k] * rho_p * table_lookup(cp_of_T, T0, inv_dT, t)
    # An effective diffusivity, the faces' conductances summed over six (the row sum of the operator, which
    # bounds its spectrum: Gershgorin): the vertical faces carry k, the four side faces k v. A top cell's face
    # to the void above conducts nothing, so it counts one vertical face: a settled column's partly filled top
    # cell (small heat capacity) would otherwise set the limit of the whole step for a face it does not have.
    # (The cell above is read from kcond, which is 0 for void and which, when the bound is taken in the update
    # loop, this column's own pass updates only after this cell: the count does not depend on the order of the
    # threads. The domain's top face counts: a held top temperature conducts through it.)
    kc, ks = kcond[i, j, k], kside[i, j, k]
    vertical = 2.0
    if k + 1 < kcond.shape[2]:
        if kcond[i, j, k + 1] == 0.0:
            vertical = 1.0
    sum_k = vertical * kc + 4.0 * ks
    if ti.static(faces):
        sum_k += radiating_stiffness(T, kcond, kside, krad, par, i, j, k, t, kc, ks)
    return sum_k / (6.0 * rc), (4.0 * eps * SIGMA * t * t * t + h_conv) / rc


@ti.func
def radiating_stiffness(T: ti.template(), kcond: ti.template(), kside: ti.template(), krad: ti.template(),
                        par: ti.template(), i, j, k, t, kc, ks):
    """What the radiating faces (``radiating_face_k``) add to a cell's conductances in its explicit bound [W/(m K)],
    summed over its faces to material (side faces over the cell's fill v = ks/kc):
    * its own radiative term over the face, c J (m3 - t^3), m3 = (t + T_n)(t^2 + T_n^2)/4: the secant conductance a
      cold cell under a hot one meets. Bounded by the cell's own conductance at the tangent only, an Euler step
      (or a super-time-step's stage) would carry a cold powder cell past its hot neighbour, and the stages after
      it below where it started (found in a loss-free bed at 500 K: a cell at 479 K under one at 1,246 K);
    * a porous neighbour's exchange c_n J (T_n^4 - t^4)/4, which changes with the cell's own t at the rate
      c_n J t^3: the hot melt next to powder is the cell it bounds."""
    c_own = krad[i, j, k] * kc
    nx, ny, nz = kcond.shape[0], kcond.shape[1], kcond.shape[2]
    vertical, side = 0.0, 0.0
    if k > 0:
        vertical += face_stiffness(T, kcond, krad, par, i, j, k - 1, c_own, t)
    if k + 1 < nz:
        vertical += face_stiffness(T, kcond, krad, par, i, j, k + 1, c_own, t)
    if i > 0:
        side += face_stiffness(T, kcond, krad, par, i - 1, j, k, c_own, t)
    if i + 1 < nx:
        side += face_stiffness(T, kcond, krad, par, i + 1, j, k, c_own, t)
    if j > 0:
        side += face_stiffness(T, kcond, krad, par, i, j - 1, k, c_own, t)
    if j + 1 < ny:
        side += face_stiffness(T, kcond, krad, par, i, j + 1, k, c_own, t)
    v = 1.0
    if ks < kc:
        v = ks / kc
    return vertical + v * side


@ti.func
def face_stiffness(T: ti.template(), kcond: ti.template(), krad: ti.template(), par: ti.template(), i2, j2, k2, c_own,
                   t):
    """``radiating_stiffness``'s terms [W/(m K)] for the face towards neighbour (i2, j2, k2): 0 towards void."""
    out = 0.0
    kn = kcond[i2, j2, k2]
    if kn != 0.0:
        c_n, t_n = krad[i2, j2, k2] * kn, T[i2, j2, k2]
        t3 = t * t * t
        if c_n > 0.0:
            out += c_n * jump_factor(c_n, c_own, t, par) * t3
        if c_own > 0.0 and t_n > t:
            m3 = (t + t_n) * (t * t + t_n * t_n) * 0.25
            out += c_own * jump_factor(c_own, c_n, t_n, par) * (m3 - t3)
    return out


@ti.func
def watch_cell(T: ti.template(), kcond: ti.template(), kside: ti.template(), krad: ti.template(), mass: ti.template(),
               par: ti.template(), faces: ti.template(), cp_of_T: ti.template(), T0, inv_dT, rho_p, eps, h_conv, i, j,
               k, a_max, s_max, t_max, bad):
    """A column's running (max diffusivity, max surface coefficient, max T, non-finite flag) with cell
    (i, j, k) taken in (``explicit_rates``)."""
    t = T[i, j, k]
    alpha, surf = explicit_rates(T, kcond, kside, krad, mass, par, faces, cp_of_T, T0, inv_dT, rho_p, eps, h_conv,
                                 i, j, k)
    flag = bad
    # At the tables' floor T0 (3 K, below any sky, initial or held temperature) a cell has lost more heat than
    # it held: a step past the stability limit, never physics.
    if not (t == t) or t > 1e30 or t <= T0:
        flag = 1
    return ti.max(a_max, alpha), ti.max(s_max, surf), ti.max(t_max, t), flag


@ti.func
def watch_column(T: ti.template(), kcond: ti.template(), kside: ti.template(), krad: ti.template(),
                 mass: ti.template(), state: ti.template(), par: ti.template(), faces: ti.template(),
                 cp_of_T: ti.template(), T0, inv_dT, rho_p, eps, h_conv, out: ti.template(), row, i, j, lo, hi):
    """``watch_cell`` over the material cells of column (i, j) in layers [lo, hi), folded into row ``row`` of
    ``out`` (``store_watch``; nothing for an empty range)."""
    a_max, s_max, t_max, bad = 0.0, 0.0, 0.0, 0
    for k in range(lo, hi):
        if state[i, j, k] != VOID:
            a_max, s_max, t_max, bad = watch_cell(T, kcond, kside, krad, mass, par, faces, cp_of_T, T0, inv_dT, rho_p,
                                                  eps, h_conv, i, j, k, a_max, s_max, t_max, bad)
    if lo < hi:
        store_watch(out, row, a_max, s_max, t_max, bad)


@ti.func
def store_watch(out: ti.template(), row, a_max, s_max, t_max, bad):
    """Fold a column's ``watch_cell`` maxima into row ``row`` of ``out`` (one atomic each per column)."""
    ti.atomic_max(out[row, W_ALPHA], a_max)
    ti.atomic_max(out[row, W_SURF], s_max)
    ti.atomic_max(out[row, W_TMAX], t_max)
    if bad != 0:
        out[row, W_BAD] = 1.0


@ti.kernel
def stability_bounds(T: nd3, kcond: nd3, kside: nd3, krad: nd3, mass: nd3, par: nd1, state: nd3, cp_of_T: nd1,
                     T0: float, inv_dT: float, rho_p: float, eps: float, h_conv: float, k0: ti.i32, k1: ti.i32,
                     tiles: nd2, k_split: ti.i32, group: ti.template(), out: nd2, row: ti.i32,
                     faces: ti.template()):
    """Over the active cells of group ``group`` (``group_range``), into row ``row`` of ``out``: [W_ALPHA] max
    diffusivity k/(rho cp) [m^2/s], [W_SURF] max surface coefficient (4 eps sigma T^3 + h_c)/(rho cp)
    [m/s], [W_TMAX] max T [K], [W_BAD] 1 if any T is not finite or at the tables' floor: what
    ``update_properties`` keeps in its ``watch`` as it goes, computed here from the stored fields (for the health
    check, and for the fast tiles of a new multirate map). Maxima are taken per column first: one atomic per
    column. The row is cleared here (a serial task before the loop) rather than by a separate fill launch."""
    for n in ti.static(range(4)):
        out[row, n] = 0.0
    for i, j in ti.ndrange(T.shape[0], T.shape[1]):
        lo, hi = group_range(tiles, group, i, j, k0, k1, k_split)
        watch_column(T, kcond, kside, krad, mass, state, par, faces, cp_of_T, T0, inv_dT, rho_p, eps, h_conv, out, row,
                     i, j, lo, hi)


@ti.kernel
def quiet_front(h: nd3, T: nd3, kcond: nd3, kside: nd3, krad: nd3, mass: nd3, T_bottom: nd2, ledger: nd1, par: nd1,
                k0: ti.i32, k1: ti.i32, tiles: nd2, out: nd1, faces: ti.template()):
    """Where heat moves now, over the layers [k0, k1): out[0] = nz minus the lowest layer of a cell with a net heat
    flux (``cell_flux``, with nothing moved or booked) or at or above ``T_hot`` or ``T_watch`` (0: none). A cell whose
    neighbours and boundaries all hold its temperature has a flux of exactly 0 (ThermalSolver._place_quiet)."""
    out[0] = 0.0
    nx, ny, nz = h.shape[0], h.shape[1], h.shape[2]
    for i, j in ti.ndrange(nx, ny):
        inv_dx = 1.0 / par[P_DX]
        lo, hi, t_w, t_e, t_s, t_n, q_below = column_start(h, kcond, krad, T, mass, par, faces, tiles, ALL, i, j, k0,
                                                           k1, 0, nx, ny, inv_dx, 0.0, par[P_RHO_P])
        # (a cell at or above T_hot or T_watch changes on its own: densification, and boiling above its boiling
        # points; the densifier works in the box of those at or above T_watch)
        warm = ti.min(par[P_T_HOT], par[P_T_WATCH])
        moved = BOX_EMPTY
        for k in range(lo, hi):
            if kcond[i, j, k] == 0.0:  # void
                q_below = 0.0
                continue
            q, q_below_next, _ = cell_flux(h, kcond, kside, krad, T, mass, T_bottom, ledger, par, faces, ALL, i, j, k,
                                           hi, 0, t_w, t_e, t_s, t_n, q_below, nx, ny, nz, inv_dx, 0.0, 0.0)
            q_below = q_below_next
            if q != 0.0 or T[i, j, k] >= warm:
                moved = k
                break
        if moved != BOX_EMPTY:
            ti.atomic_max(out[0], nz - moved)


@ti.kernel
def keep_slow_box(box: nd2):
    """Row SLOW of ``box`` = the union of both rows: after the tile map changes, a cell last updated in
    the FAST pass may now be slow, and keeps its temperature until the next SLOW pass."""
    for a in ti.static(range(3)):
        box[SLOW, 2 * a] = ti.min(box[FAST, 2 * a], box[SLOW, 2 * a])
        box[SLOW, 2 * a + 1] = ti.max(box[FAST, 2 * a + 1], box[SLOW, 2 * a + 1])


@ti.kernel
def tile_limits(T: nd3, kcond: nd3, kside: nd3, krad: nd3, mass: nd3, par: nd1, state: nd3, cp_of_T: nd1,
                T0: float, inv_dT: float, rho_p: float, eps: float, h_conv: float, dx: float, k0: ti.i32, k1: ti.i32,
                out: nd2, t_max: nd2, lag_limit: float, T_hot: float, depth: nd1, surf_fraction: float,
                faces: ti.template()):
    """out[tile] = min over the tile's active cells of the step [s] a lagging cell may take,
    min(dx^2 / (6 alpha), ``surf_fraction`` dx rho c / (5 (4 eps sigma T^3 + h_c))): the conduction bound of
    ``stability_bounds`` and a fraction of its surface bound (a lagging tile's radiation is integrated with an
    error of order its step over the radiative relaxation time, which that bound is; its conduction only needs
    the step to be stable, as in every explicit step), and t_max[tile] their highest temperature [K].
    For the depth split (``group_range``): depth[0] = the lowest layer of any column holding a cell that
    must not lag (a limit under ``lag_limit`` [s] or hotter than ``T_hot``), depth[1] = the smallest limit
    of the cells under it in every column [s]. The outputs are cleared here, in the same launch."""
    for a, b in out:
        out[a, b] = 1e300
        t_max[a, b] = 0.0
    depth[0] = k1
    depth[1] = 1e300
    for i, j in ti.ndrange(T.shape[0], T.shape[1]):
        lim = 1e300
        hottest = 0.0
        deep = 1e300
        first = k1
        for k in range(k0, k1):
            if state[i, j, k] != VOID:
                t = T[i, j, k]
                hottest = ti.max(hottest, t)
                alpha, surf = explicit_rates(T, kcond, kside, krad, mass, par, faces, cp_of_T, T0, inv_dT, rho_p, eps,
                                             h_conv, i, j, k)
                conduction, surface = dx * dx / (6.0 * alpha + 1e-300), dx / (5.0 * surf + 1e-300)
                cell = ti.min(conduction, surface)
                lim = ti.min(lim, ti.min(conduction, surf_fraction * surface))
                if first == k1:  # still under the column's first cell that must not lag
                    if cell < lag_limit or t > T_hot:
                        first = k
                    else:
                        deep = ti.min(deep, cell)
        ti.atomic_min(out[i // TILE, j // TILE], lim)
        ti.atomic_max(t_max[i // TILE, j // TILE], hottest)
        ti.atomic_min(depth[0], first * 1.0)
        ti.atomic_min(depth[1], deep)


@ti.kernel
def hot_cell(T: nd3, state: nd3, threshold: float, floor: float, out: nd1):
    """Index of a cell above ``threshold``, at or below ``floor`` or not finite (for the divergence message)."""
    for i, j, k in ti.ndrange(T.shape[0], T.shape[1], T.shape[2]):
        if state[i, j, k] != VOID:
            t = T[i, j, k]
            if not (t == t) or t > threshold or t <= floor:
                out[0] = i
                out[1] = j
                out[2] = k


@ti.kernel
def region_extent(T: nd3, state: nd3, threshold: float, out: nd1):
    """Bounding box (i_min, i_max, j_min, j_max, k_min, k_max) of active cells hotter than threshold."""
    for i, j, k in ti.ndrange(T.shape[0], T.shape[1], T.shape[2]):
        if state[i, j, k] != VOID and T[i, j, k] >= threshold:
            ti.atomic_min(out[0], i)
            ti.atomic_max(out[1], i)
            ti.atomic_min(out[2], j)
            ti.atomic_max(out[3], j)
            ti.atomic_min(out[4], k)
            ti.atomic_max(out[5], k)
