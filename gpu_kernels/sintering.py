"""Sintering kernels: per-cell densification from the temperature history.

One pass over the active cells per step. Each cell carries an accumulator ``acc``:

* model 0, viscous sintering: the reduced time tau = int gamma / (eta_eff(T) a) dt, and
  rho = rho0/(1 - 3 tau/8)^3 (Frenkel 1945) below tau_switch, then rho_visc(tau) from a table
  uniform in tau (Mackenzie & Shuttleworth 1949 pore closure); both stages depend on time only
  through tau, so the result holds for any temperature history;
* model 1, master sintering curve (Su & Johnson 1996, J. Am. Ceram. Soc. 79:3211): the work of
  sintering Theta = int (1/T) exp(-Q/(R T)) dt and rho = rho0 + (1 - rho0)/(1 + exp(-(ln Theta - mid)/w)).

Cells colder than ``T_active`` are skipped: below it the accumulator gains too little in 1e7 s
to move the density by 1e-9 (tables.py), which spares the transcendental functions in the cold bulk;
the pass itself covers only the box of cells the thermal solver found at or above it (its ``hot_box``).
Densification is irreversible, so rho_rel = max(rho_rel, rho(acc)); at or above the liquidus
the cell is fully dense. The accumulator keeps running in dense and molten cells.

Each face between two non-void cells carries an accumulator of its own, ``acc_face`` (components: the face to
+x, +y, +z of the cell): the same law run at the face's temperature, T_f = (k_a T_a + k_b T_b)/(k_a + k_b),
where the heat flux through the two half-cells in series is continuous (the harmonic-mean face conductivity
the thermal solver uses, Patankar 1980, sec. 4.2-3). It measures how far the material across that face
sintered or fused together, from the moment both sides held material: a track laid beside a cold track, or
a layer spread on a cold layer, bonds to it only as far as the contact re-softens (outcomes.bonding). A
face at or above the liquidus, or between two molten cells, is fused (``acc_full``). The face accumulator
stops at ``acc_full``, where either law is at full density, so that settling, which merges parcels into a
cell, averages bounded values: a merged cell's face is made of its parcels' faces, and the mean of
accumulators spanning decades would follow the largest. A face with nothing across it (a void
cell) holds NO_CONTACT and is left out of that mean. ``layer_face`` holds the share of each cell's face
to +z that joins the material of two successive spreads (set by the Densifier when powder is spread): an
area, so settling moves it whole with the top of the parcel whose face it was (into the cell that receives
that top; at most 1 where two such tops land in one cell): the inter-layer area, wherever settling has
moved it. The tables are built by regolith_sim.sintering.tables.

``settle`` then lets each (i, j) column settle under gravity where densified cells left room
(a conservative 1D remap along k: mass and enthalpy conserved to round-off, emptied cells VOID).
"""

from gpu_kernels import backend
from gpu_kernels.backend import ti
from gpu_kernels.lookup import table_lookup
from gpu_kernels.thermal import MOLTEN, VOID, box_range

MODEL_VISCOUS, MODEL_MASTER_CURVE = 0, 1
#: ``acc_face`` of a face with a void cell across it (an accumulator is never negative)
NO_CONTACT = -1.0
#: Layout of ``par``, the per-run constants of ``densify`` in one small array (a launch costs ~1.6 us and a
#: few us of Python per scalar argument): the ln eta(T) table's start [K] and 1/spacing, gamma/a [1/(Pa s)],
#: Frenkel's end tau_switch and 1/spacing of the rho_visc(tau) table, Q/R [K], the sigmoid's ln Theta
#: midpoint and 1/width, theta_lo [s/K], rho0, the liquidus [K], T_active [K], acc_full, the accumulator
#: at full density (the faces' ceiling), and 1/spacing of the acc(rho) table (``settle``). Filled by the Densifier.
PARAMS = ("T0", "inv_dT", "gamma_over_a", "tau_switch", "inv_dtau", "q_over_r", "ln_theta_mid", "inv_width",
          "theta_lo", "rho0", "liquidus", "T_active", "acc_full", "inv_drho")
P_RHO0, P_INV_DRHO, P_ACC_FULL = PARAMS.index("rho0"), PARAMS.index("inv_drho"), PARAMS.index("acc_full")

nd1 = ti.types.ndarray(ndim=1)
nd2 = ti.types.ndarray(ndim=2)
nd3 = ti.types.ndarray(ndim=3)
nd4 = ti.types.ndarray(ndim=4)


@ti.func
def sintering_rate(model: ti.i32, t, ln_eta: nd1, par: nd1):
    """d acc / dt at temperature t: gamma / (eta_eff(t) a) for the viscous law, exp(-Q/(R t)) / t for the
    master sintering curve (constants in ``par``, see :data:`PARAMS`)."""
    r = 0.0
    if model == MODEL_VISCOUS:
        # ln eta is tabulated, not eta: eta spans 30 decades, its log is smooth in T.
        r = par[2] * backend.exp(-table_lookup(ln_eta, par[0], par[1], t))
    else:
        r = backend.exp(-par[5] / t) / t
    return r


@ti.func
def _one_below(lo, hi):
    """A box's lower bound [lo, hi) moved one cell down for the faces into the box; an empty box stays empty
    (box_range gives it as (lo, lo) with lo anywhere)."""
    r = lo
    if hi > lo:
        r = ti.max(lo - 1, 0)
    return r


@ti.kernel
def densify(T: nd3, kcond: nd3, rho_rel: nd3, state: nd3, acc: nd3, acc_face: nd4, rho_before: nd3, ln_eta: nd1,
            rho_visc: nd1, par: nd1, model: ti.i32, dt: float, box: nd2, used: nd1):
    """Advance the accumulator of the non-void cells in ``box`` by dt [s] at their current temperature and
    raise their relative density (constants in ``par``, see :data:`PARAMS`); advance ``acc_face`` of the faces
    between non-void cells at their temperature (cell conductivities ``kcond``); ``rho_before`` receives, in
    the box, the density at entry (for mass-conserving shrinkage). ``box`` is the thermal solver's
    ``hot_box`` (two rows of inclusive index ranges, see thermal.update_properties): it holds every cell at or
    above ``T_active`` or molten, and every other cell is skipped anyway, so the pass costs what the hot
    region holds; it reaches one cell lower along each axis for the faces into the box. ``used`` receives the
    union box, [lo, hi) per axis (outside it nothing changed)."""
    i0, i1 = box_range(box, 0)
    j0, j1 = box_range(box, 1)
    k0, k1 = box_range(box, 2)
    for a, v in ti.static(enumerate((i0, i1, j0, j1, k0, k1))):
        used[a] = v
    n = ti.Vector([state.shape[0], state.shape[1], state.shape[2]])
    for i, j in ti.ndrange((_one_below(i0, i1), i1), (_one_below(j0, j1), j1)):
        tau_switch, inv_dtau = par[3], par[4]
        ln_theta_mid, inv_width, theta_lo = par[6], par[7], par[8]
        rho0, liquidus, T_active, acc_full = par[9], par[10], par[11], par[12]
        for k in range(_one_below(k0, k1), k1):
            s = state[i, j, k]
            rb = rho_rel[i, j, k]
            rho_before[i, j, k] = rb
            t = T[i, j, k]
            if s == VOID:
                continue
            for f in ti.static(range(3)):
                e = ti.Vector([ti.static(int(f == 0)), ti.static(int(f == 1)), ti.static(int(f == 2))])
                q = ti.Vector([i, j, k]) + e
                if q[f] < n[f]:
                    sq = state[q[0], q[1], q[2]]
                    if sq == VOID:
                        acc_face[i, j, k, f] = NO_CONTACT
                    else:
                        ka, kb, tq = kcond[i, j, k], kcond[q[0], q[1], q[2]], T[q[0], q[1], q[2]]
                        tf = 0.5 * (t + tq)
                        if ka + kb > 0.0:
                            tf = (ka * t + kb * tq) / (ka + kb)
                        if tf >= liquidus or (s == MOLTEN and sq == MOLTEN):
                            acc_face[i, j, k, f] = acc_full
                        elif tf >= T_active:
                            acc_face[i, j, k, f] = ti.min(ti.max(acc_face[i, j, k, f], 0.0) +
                                                          dt * sintering_rate(model, tf, ln_eta, par), acc_full)
            if t < T_active and s != MOLTEN:
                continue
            r = rho0
            a = acc[i, j, k] + dt * sintering_rate(model, t, ln_eta, par)
            if model == MODEL_VISCOUS:
                if rb < 1.0:
                    if a < tau_switch:
                        c = 1.0 - 0.375 * a
                        r = rho0 / (c * c * c)
                    else:
                        r = table_lookup(rho_visc, tau_switch, inv_dtau, a)
            else:
                # below theta_lo the sigmoid is within 1e-9 of rho0: skip its log and exp
                if rb < 1.0 and a > theta_lo:
                    r = rho0 + (1.0 - rho0) / (1.0 + backend.exp(-(backend.log(a) - ln_theta_mid) * inv_width))
            acc[i, j, k] = ti.min(a, acc_full)  # past acc_full the density is full (and a melt's tau has no bound)
            # a MOLTEN cell below the liquidus is freezing, dense since it reached the liquidus, unless settling merged
            # it with powder: then its density is the merged one, and it densifies from there by its accumulator
            if t >= liquidus:
                r = 1.0
            rho_rel[i, j, k] = ti.max(rb, r)


@ti.func
def _target_volume(c, n_full, split_top, f_top):
    """Volume (in cells) that target cell c of a settled column holds: whole cells from the bottom,
    then the remainder f_top; a remainder below the minimum fill is shared with the cell under it."""
    v = 1.0
    if split_top != 0 and c >= n_full - 1:
        v = 0.5 * (1.0 + f_top)
    elif c >= n_full:
        v = f_top
    return v


@ti.func
def _write_target(state: ti.template(), rho_rel: ti.template(), mass: ti.template(), h: ti.template(),
                  T: ti.template(), T_peak: ti.template(), t_hot: ti.template(), acc: ti.template(),
                  acc_face: ti.template(), layer_face: ti.template(), rho_before: ti.template(), t_liq: ti.template(),
                  cool_rate: ti.template(), acc_of_rho: ti.template(), par: ti.template(), i, j, c, st, M, V, E, TH,
                  F, L, TT, TP, tl, cr):
    """Store target cell c of a settled column: mass M in volume V, with the mass sums of enthalpy E, time above
    T_hot TH and temperature TT turned into mass-weighted means, the face accumulators F (a 3-vector,
    :func:`_face_means`) and the inter-layer share L of the face to +z; state ``st`` and solidification record
    (``tl`` last time at the liquidus, ``cr`` cooling rate) are the largest contributor's. The accumulator is the
    one that brings a fresh powder to the cell's density M/V (``acc_of_rho``, constants in ``par``): the mean of
    its parcels' would overstate it, since density saturates in the accumulator (a third of melt, at acc_full,
    merged with powder would read as a cell two thirds of the way to full density, which densify would then make
    it, while its density is M/V)."""
    state[i, j, c] = ti.cast(st, ti.i8)
    t_liq[i, j, c] = tl
    cool_rate[i, j, c] = cr
    mass[i, j, c] = M
    rr = ti.min(M / V, 1.0)
    rho_rel[i, j, c] = rr
    rho_before[i, j, c] = rr
    h[i, j, c] = E / M
    acc[i, j, c] = table_lookup(acc_of_rho, par[P_RHO0], par[P_INV_DRHO], rr)
    for f in ti.static(range(3)):
        acc_face[i, j, c, f] = F[f]
    layer_face[i, j, c] = L
    t_hot[i, j, c] = TH / M
    T[i, j, c] = TT / M
    T_peak[i, j, c] = TP


@ti.func
def _face_means(AF, WF):
    """Face accumulators of a settled cell: the mass-weighted mean over the parcels that had a contact there
    (AF the weighted sums, WF the weights), NO_CONTACT where none had."""
    F = ti.Vector([NO_CONTACT, NO_CONTACT, NO_CONTACT])
    for f in ti.static(range(3)):
        if WF[f] > 0.0:
            F[f] = AF[f] / WF[f]
    return F


@ti.kernel
def settle(
    state: nd3, rho_rel: nd3, mass: nd3, h: nd3, T: nd3, T_peak: nd3, t_hot: nd3, acc: nd3, acc_face: nd4,
    layer_face: nd3, rho_before: nd3, t_liq: nd3, cool_rate: nd3, mass_lost: nd3, alkali_lost: nd3, acc_of_rho: nd1,
    par: nd1, drained: nd2, min_gap: float, min_fill: float,
) -> float:
    """Uniaxial settling of each (i, j) column under its own weight, conserving mass and enthalpy.

    A cell holds the mass fraction ``mass`` of a full-density cell at relative density ``rho_rel``,
    so its material fills the volume fraction v = mass/rho_rel of the cell. Where the cells below a
    column's top cell have room (sum of 1 - v >= ``min_gap`` cells) the column is compacted: the
    material is stacked from the bottom in its own order, each slab keeping its density, and cut into
    whole cells (a 1D conservative remap); so is a column that melt drained from (``drained`` > 0: the
    capillary uptake's front) where that left its top cell holding less than ``min_fill``. A cell that receives
    several slabs gets their total mass, the mass-weighted enthalpy and temperature, the accumulator of its density
    (``_write_target``), face accumulators (over the parcels that had a contact there: each keeps the bond it made
    to the material beside and above it, an approximation where neighbouring columns settle by different amounts;
    the new top's face upward has none), the inter-layer share of the face to +z (the sum over the parcels whose top
    it receives, at most 1: an area) and time above T_hot, the evaporated mass and its alkali share of each parcel
    in proportion to the mass it brings (the loss moves with the material that suffered it), and the state, peak
    temperature and solidification record of the largest share (a sliver of melt that round-off cuts into a cell of
    powder leaves it powder, at its own peak); its density is mass/volume. A top remainder below ``min_fill`` of a
    cell is shared with the cell under it (two cells of (1 + f)/2 each), so no sliver with a tiny heat capacity
    limits the time step. Emptied cells become VOID. Returns the number of columns moved (a float sum: an integer
    one summed under a branch is the pattern that lost columns of ``activate`` on Mesa's Vulkan driver). Material
    only moves down, so a target cell is never above the source being read and the remap runs in place."""
    nx, ny, nz = state.shape[0], state.shape[1], state.shape[2]
    moved = 0.0
    for i, j in ti.ndrange(nx, ny):
        kt = -1
        for k in range(nz):
            if state[i, j, k] != VOID:
                kt = k
        gap = 0.0
        vol = 0.0
        v_top = 1.0
        for k in range(kt + 1):
            v = 0.0
            if state[i, j, k] != VOID:
                v = mass[i, j, k] / rho_rel[i, j, k]
            vol += v
            if k < kt:
                gap += 1.0 - v
            else:
                v_top = v
        if kt > 0 and (gap >= min_gap or (drained[i, j] > 0.0 and v_top < min_fill)):
            moved += 1.0
            n_full = ti.cast(ti.floor(vol), ti.i32)
            f_top = vol - n_full
            split_top = 0
            n_t = n_full
            if f_top > 1e-9:
                n_t = n_full + 1
                if f_top < min_fill and n_full >= 1:
                    split_top = 1
            n_t = ti.max(n_t, 1)
            c = 0
            need = _target_volume(0, n_full, split_top, f_top)
            M, E, TH, TT, TP, V, best = 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0
            AF, WF = ti.Vector([0.0, 0.0, 0.0]), ti.Vector([0.0, 0.0, 0.0])
            LS = 0.0
            ML, AL = 0.0, 0.0  # evaporated mass and its alkali share, carried with the material they left
            bs = VOID
            b_tl, b_cr = 0.0, 0.0
            for k in range(kt + 1):
                if state[i, j, k] == VOID:
                    ML += mass_lost[i, j, k]  # (a record in an empty cell stays in the column: none is lost)
                    AL += alkali_lost[i, j, k]
                    continue
                m, r = mass[i, j, k], rho_rel[i, j, k]
                mlk, alk = mass_lost[i, j, k], alkali_lost[i, j, k]
                hk, thk, Tk, tpk, sk = h[i, j, k], t_hot[i, j, k], T[i, j, k], T_peak[i, j, k], state[i, j, k]
                afk = ti.Vector([acc_face[i, j, k, 0], acc_face[i, j, k, 1], acc_face[i, j, k, 2]])
                # read before a target write may reach cell k
                tlk, crk, lfk = t_liq[i, j, k], cool_rate[i, j, k], layer_face[i, j, k]
                v = m / r
                remaining, m_rem = v, m
                while remaining > 0.0:
                    take = remaining
                    if c < n_t - 1:
                        take = ti.min(remaining, need)
                    dm = m_rem
                    if take < remaining:
                        dm = m * take / v
                    m_rem -= dm
                    remaining -= take
                    need -= take
                    M += dm
                    E += dm * hk
                    AF += ti.select(afk >= 0.0, dm * afk, 0.0)
                    WF += ti.select(afk >= 0.0, dm, 0.0)
                    if remaining <= 0.0:  # the parcel's top, where the face it had up now lies
                        LS += ti.select(afk[2] >= 0.0, lfk, 0.0)
                    TH += dm * thk
                    TT += dm * Tk
                    ML += mlk * dm / m
                    AL += alk * dm / m
                    V += take
                    if dm > best:
                        best, bs, TP = dm, sk, tpk
                        b_tl, b_cr = tlk, crk
                    if c < n_t - 1 and need <= 0.0:
                        _write_target(state, rho_rel, mass, h, T, T_peak, t_hot, acc, acc_face, layer_face, rho_before,
                                      t_liq, cool_rate, acc_of_rho, par, i, j, c, bs, M, V, E, TH, _face_means(AF, WF),
                                      ti.min(LS, 1.0), TT, TP, b_tl, b_cr)
                        mass_lost[i, j, c], alkali_lost[i, j, c] = ML, AL
                        M, E, TH, TT, TP, V, best, LS = 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0
                        ML, AL = 0.0, 0.0
                        AF, WF = ti.Vector([0.0, 0.0, 0.0]), ti.Vector([0.0, 0.0, 0.0])
                        c += 1
                        need = _target_volume(c, n_full, split_top, f_top)
            _write_target(state, rho_rel, mass, h, T, T_peak, t_hot, acc, acc_face, layer_face, rho_before, t_liq,
                          cool_rate, acc_of_rho, par, i, j, c, bs, M, V, E, TH, _face_means(AF, WF), ti.min(LS, 1.0),
                          TT, TP, b_tl, b_cr)
            mass_lost[i, j, c], alkali_lost[i, j, c] = ML, AL
            acc_face[i, j, c, 2] = NO_CONTACT  # the column's new top: nothing above it
            layer_face[i, j, c] = 0.0
            for k in range(c + 1, kt + 1):
                state[i, j, k] = VOID
                mass[i, j, k] = 0.0
                rho_rel[i, j, k] = 1.0
                rho_before[i, j, k] = 1.0
                h[i, j, k] = 0.0
                acc[i, j, k] = 0.0
                for f in ti.static(range(3)):
                    acc_face[i, j, k, f] = NO_CONTACT
                layer_face[i, j, k] = 0.0
                t_hot[i, j, k] = 0.0
                t_liq[i, j, k] = 0.0
                cool_rate[i, j, k] = 0.0
                T[i, j, k] = 0.0
                T_peak[i, j, k] = 0.0
                mass_lost[i, j, k] = 0.0
                alkali_lost[i, j, k] = 0.0
    return moved


#: Layout of ``cap``, the per-run constants of ``capillary_uptake``: the T(h) table's start [J/kg] and 1/spacing,
#: the ln eta_lp(T) table's start [K] and 1/spacing, the Washburn coefficient gamma cos(theta) d / 6 [N], the
#: solidus [K], 1/(liquidus - solidus) [1/K], the cell height [m], the relative density from which a cell's
#: pores are closed (``rho_open``) and the latent heat of fusion [J/kg]. Filled by regolith_sim.sintering.capillary.
CAPILLARY_PARAMS = ("h0", "inv_dh", "T0", "inv_dT", "coef", "solidus", "inv_range", "dz", "rho_open", "latent")
#: Relative density below which a cell's pores are taken as a powder's at it: the capillary radius
#: phi d / (3 (1 - phi)) grows without bound as rho -> 0 (a sliver of a settled column)
CAPILLARY_RHO_MIN = 0.3
#: Share of a cell's melt that may drain from it: a cell that drained all of its mass would be an empty non-void
#: cell (its mass divides in ``settle``)
DRAIN_MAX = 0.999


@ti.func
def _melt_share(t, cap: ti.template()):
    """Melt fraction at temperature t [K]: linear from the solidus to the liquidus (the lever rule's mean)."""
    return ti.min(ti.max((t - cap[5]) * cap[6], 0.0), 1.0)


@ti.func
def _run_melt(mass: ti.template(), h: ti.template(), T: ti.template(), cap: ti.template(), i, j, k_lo, k_hi):
    """The melt of cells k_lo..k_hi of column (i, j): its mass Ml [full cells], the sum of each cell's melt (its mass
    times its melt share f), and the enthalpy S [J/kg x cell mass] that melt holds as liquid, whose specific
    enthalpy is the cell's plus the latent heat its crystals lack, h + (1 - f) L (the lever rule the enthalpy table
    is built on). What drains from a pool stirred by its Marangoni flow, which turns it over in tens of
    milliseconds, has the pool's mean state: melt x carries x S / Ml."""
    Ml, S = 0.0, 0.0
    for c in range(k_lo, k_hi + 1):
        f = _melt_share(T[i, j, c], cap)
        w = mass[i, j, c] * f
        Ml += w
        S += w * (h[i, j, c] + (1.0 - f) * cap[9])
    return Ml, S


@ti.func
def _drain(mass: ti.template(), h: ti.template(), T: ti.template(), T_of_h: ti.template(), cap: ti.template(), i, j,
           k_lo, k_hi, x, Ml):
    """Take x [full cells] of melt from cells k_lo..k_hi of column (i, j), whose melt is Ml (``_run_melt``; x at
    most ``DRAIN_MAX`` of it), each giving in proportion to its melt, with the liquid's enthalpy; each keeps what
    it does not give and takes its temperature (a little lower: one composition's table ties the melt share to
    the temperature, where the real mush left behind is more refractory)."""
    for c in range(k_lo, k_hi + 1):
        m, f = mass[i, j, c], _melt_share(T[i, j, c], cap)
        dm = x * m * f / Ml
        hc = (m * h[i, j, c] - dm * (h[i, j, c] + (1.0 - f) * cap[9])) / (m - dm)
        h[i, j, c] = hc
        mass[i, j, c] = m - dm
        T[i, j, c] = table_lookup(T_of_h, cap[0], cap[1], hc)


@ti.kernel
def capillary_uptake(state: nd3, rho_rel: nd3, mass: nd3, h: nd3, T: nd3, t_liq: nd3, acc: nd3, acc_face: nd4,
                     front: nd2, T_of_h: nd1, ln_eta: nd1, acc_of_rho: nd1, par: nd1, cap: nd1, dt: float,
                     box: nd2) -> float:
    """Capillary uptake, over dt [s], of the porous cells under the melt of each (i, j) column in ``box`` (the
    thermal solver's ``hot_box``, which holds every cell above the solidus); returns the melt moved [full cells].

    Melt wets the silicate grains it came from and capillarity draws it into the pores of the powder under it
    (gravity adds to that; across a column the powder beside a track is left to conduction). In a pore the melt
    meets the grains, which take its heat within d^2/alpha ~ 10 ms: it flows on as the mixture of melt and grains,
    at the enthalpy h_mix = (m h_p + w h_m) / (m + w) of the cell's grains (mass m) and the melt w that fills its
    pores, and freezes where h_mix lies below the solidus (the freeze-off of melt infiltrating a cold preform).
    The front advances as Washburn (1921, Phys. Rev. 17:273) has it: L^2 = D t, D = r_c gamma cos(theta) / (2 eta),
    with eta that of the liquid in the pores (``ln_eta``, at the temperature of h_mix) and the capillary radius
    r_c = phi d / (3 (1 - phi)) (twice the hydraulic radius of a bed of spheres of diameter d, Carman 1937), phi
    the porosity of the powder as spread. ``front`` carries each column's infiltrated pore volume per area
    Q = phi L [m] while a pool sits on porous cells (0 otherwise); the step adds phi (sqrt(L^2 + D dt) - L),
    which fills the porous cells from the top, each taking the melt its pores hold.

    The melt is the column's run of cells above the solidus (relative density of at least ``rho_open``) right
    over the porous cell; it drains from them in proportion to their melt (``_run_melt``, ``_drain``), carrying
    its mass and enthalpy, so mass and energy are conserved to round-off.
    The filled cell's density is its new mass over its volume, its accumulator that of that density (never less),
    and its face up fused by the melt. A cell whose pores the melt of a fully molten run filled is melt-consolidated
    (a matrix frozen from melt around the grains, as in melt-cast regolith): it becomes MOLTEN, with the run's last
    time at the liquidus (``t_liq``), and freezes as melt does. A cell filled above the solidus joins the run, and
    the front goes on into the cell under it while the step's advance lasts; the columns then settle as
    densification does."""
    nx, ny = state.shape[0], state.shape[1]
    i0, i1 = box_range(box, 0)
    j0, j1 = box_range(box, 1)
    k0, k1 = box_range(box, 2)
    h0, inv_dh, solidus, dz, rho_open = cap[0], cap[1], cap[5], cap[7], cap[8]
    moved = 0.0
    for i, j in ti.ndrange(nx, ny):
        q = front[i, j]
        active = 0
        if i >= i0 and i < i1 and j >= j0 and j < j1:
            run_lo, run_hi = -1, -1  # the run of melt right above the cell being read
            molten, tl = 0, 0.0  # whether the run holds a MOLTEN cell, and their last time at the liquidus
            budget = -1.0  # the front's advance left this step [m of pore volume per area]; < 0: not yet set
            k = k1 - 1
            while k >= 0:
                s, r, t = state[i, j, k], rho_rel[i, j, k], T[i, j, k]
                if s == VOID or (r >= rho_open and _melt_share(t, cap) <= 0.0):
                    if k < k0:
                        break
                    run_lo, run_hi, molten, tl = -1, -1, 0, 0.0
                elif r >= rho_open:
                    if run_hi < 0:
                        run_hi = k
                    run_lo = k
                    if s == MOLTEN:
                        molten, tl = 1, ti.max(tl, t_liq[i, j, k])
                elif run_lo < 0:
                    if k < k0:
                        break
                else:
                    m = mass[i, j, k]
                    v = m / r
                    need = v * (1.0 - r)  # melt that fills its pores [full cells]
                    Ml, S = _run_melt(mass, h, T, cap, i, j, run_lo, run_hi)
                    w_all = ti.min(need, DRAIN_MAX * Ml)  # the melt it can take now [full cells]
                    E_all = 0.0
                    if Ml > 0.0:
                        E_all = w_all * S / Ml
                    h_mix = (m * h[i, j, k] + E_all) / (m + w_all)
                    t_mix = table_lookup(T_of_h, h0, inv_dh, h_mix)
                    if t_mix < solidus or w_all <= 0.0:
                        break
                    active = 1
                    if budget < 0.0:
                        # the powder as spread sets the pores the front runs through (a cell the front is inside
                        # holds filled pores too)
                        rho0 = ti.max(par[P_RHO0], CAPILLARY_RHO_MIN)
                        phi = 1.0 - rho0
                        D = cap[4] * phi / rho0 * backend.exp(-table_lookup(ln_eta, cap[2], cap[3], t_mix))
                        L = q / phi
                        budget = phi * (ti.sqrt(L * L + D * dt) - L)
                    w = ti.min(w_all, budget / dz)
                    E = w * S / Ml
                    _drain(mass, h, T, T_of_h, cap, i, j, run_lo, run_hi, w, Ml)
                    m_new = m + w
                    h[i, j, k] = (m * h[i, j, k] + E) / m_new
                    mass[i, j, k] = m_new
                    rr = ti.min(m_new / v, 1.0)
                    rho_rel[i, j, k] = rr
                    acc[i, j, k] = ti.max(acc[i, j, k], table_lookup(acc_of_rho, par[P_RHO0], par[P_INV_DRHO], rr))
                    acc_face[i, j, k, 2] = par[P_ACC_FULL]
                    budget -= w * dz
                    q += w * dz
                    moved += w
                    t_new = table_lookup(T_of_h, h0, inv_dh, h[i, j, k])
                    T[i, j, k] = t_new
                    if w < need * (1.0 - 1e-9) or rr < rho_open or _melt_share(t_new, cap) <= 0.0:
                        break
                    if molten == 1:
                        state[i, j, k] = ti.cast(MOLTEN, ti.i8)
                        t_liq[i, j, k] = tl
                    run_lo = k
                k -= 1
        front[i, j] = ti.select(active == 1, q, 0.0)
    return moved
