"""Prototype: the production explicit thermal step (``update_properties`` + ``diffuse`` of
gpu_kernels/thermal.py) on 8-lane vectors laid along k, to measure whether SIMD reaches the CPU aim.

Layout. A field of shape (nx, ny, nz) is stored as an ndarray of 8-vectors of shape (nx, ny, nz // 8):
lane u of block b of column (i, j) is cell (i, j, 8 b + u). NumPy converts by a reshape
(:func:`to_lanes`, :func:`from_lanes`). Taichi's LLVM CPU backend does not vectorise the scalar inner k
loop of the production kernels; straight-line 8-wide vector arithmetic is left to LLVM's SLP vectoriser.
(Measured with Taichi 1.7.4: its CPU JIT optimises for generic x86-64, SSE2, so the SLP pass forms
2 x f64 / 4 x f32 operations and leaves the divisions scalar; the step gains 1.6-2x, not the 4x of a
constant-coefficient stencil: benchmarks/thermal_lanes.py.) So every per-cell branch of the production kernels becomes a lane
mask (``ti.select``), the k +- 1 neighbours are the block shifted by one lane with the edge lane taken
from the block below / above (:func:`from_below`, :func:`from_above`), and the only branches left are
uniform over a block. Columns (i, j) run in parallel and the blocks of a column serially, carrying the
block above and the flux through the block's top face from one block to the next, so each vertical
face is evaluated once, as in the production ``diffuse``.

Physics: exactly that of gpu_kernels/thermal.py for full cells (same equations and sources; see its docstring; its
side faces of partly filled cells, which take their fill there, and its radiating faces, which take a porous cell's
radiative term over the face's temperatures there, are not here: the agreement check turns those off):
enthalpy-form finite volumes, T(h) from a uniform table with linear interpolation (Voller & Prakash
1987), k(T, relative density) of ``conductivity_of``, states, T_peak and time above T_hot,
harmonic-mean face conductivity (Patankar 1980, Sec. 4.2-3), void cells carrying k = 0 (a face to void
conducts nothing and is an exposed face), radiation eps(T) sigma (T^4 - T_sky^4) plus convection from
exposed faces (void neighbours and the domain top), insulated sides, the bottom held at T_bottom
through half a cell, and the energy ledger (radiated, convected, bottom). Whole grid only: no k range,
no multirate tile groups, no sources (prototype; nz % 8 == 0).

Lanes hold the runtime's float type (``backend.init(precision=...)``): Taichi types a float literal as
the default float, so f32 lanes in an f64 runtime would be widened to f64 arithmetic. Passes:

* ``update_properties``: T(h), T_peak, t_hot, state, k per cell (the table look-up is a per-lane
  gather; everything else is 8-wide).
* ``diffuse``: h += dt x net heat flow from T and k, ledger sums (one atomic per column).
* ``step_fused``: both in one sweep, writing T and k into second buffers (neighbours must see the old
  ones), so the arrays are read once per step.
"""
import numpy as np

from gpu_kernels.backend import ti
from gpu_kernels.thermal import (conductivity_of, LEDGER_BOTTOM, LEDGER_CONVECTED, LEDGER_RADIATED, MOLTEN, POWDER,
                                 RESOLIDIFIED, SIGMA, SINTERED, VOID, conducted, emissivity_at)

LANES = 8

nd1 = ti.types.ndarray(ndim=1)
nd2 = ti.types.ndarray(ndim=2)
nd3 = ti.types.ndarray(ndim=3)


def to_lanes(a: np.ndarray) -> np.ndarray:
    """(nx, ny, nz) -> (nx, ny, nz // 8, 8): element [i, j, b, u] is cell (i, j, 8 b + u)."""
    nx, ny, nz = a.shape
    if nz % LANES:
        raise ValueError(f"nz = {nz}: the lane layout needs a multiple of {LANES} cells along z")
    return np.ascontiguousarray(a).reshape(nx, ny, nz // LANES, LANES)


def from_lanes(a: np.ndarray) -> np.ndarray:
    """(nx, ny, nb, 8) -> (nx, ny, 8 nb)."""
    nx, ny, nb, _ = a.shape
    return np.ascontiguousarray(a).reshape(nx, ny, nb * LANES)


def lane_ndarray(a: np.ndarray, dtype):
    """A Taichi ndarray of 8-vectors of ``dtype`` holding the (nx, ny, nz) array ``a``."""
    lanes = to_lanes(a)
    out = ti.Vector.ndarray(LANES, dtype, shape=lanes.shape[:3])
    out.from_numpy(lanes.astype(ti.lang.util.to_numpy_type(dtype)))
    return out


@ti.func
def from_below(v, fill):
    """w[u] = v[u - 1], w[0] = fill: the k - 1 neighbours of a block (fill: top lane of the block below)."""
    return ti.Vector([fill, v[0], v[1], v[2], v[3], v[4], v[5], v[6]])


@ti.func
def from_above(v, fill):
    """w[u] = v[u + 1], w[7] = fill: the k + 1 neighbours of a block (fill: bottom lane of the block above)."""
    return ti.Vector([v[1], v[2], v[3], v[4], v[5], v[6], v[7], fill])


@ti.func
def splat(x):
    """The 8-vector (x, ..., x)."""
    return ti.Vector([x, x, x, x, x, x, x, x])


@ti.func
def lookup(table: ti.template(), x0: float, inv_dx: float, x):
    """table_lookup of gpu_kernels.thermal per lane: 8-wide index arithmetic, gathered loads."""
    n = table.shape[0]
    u = ti.min(ti.max((x - x0) * inv_dx, 0.0), n - 1.0)
    idx = ti.max(ti.min(ti.cast(ti.floor(u), ti.i32), n - 2), 0)   # an integer clamp, as table_lookup's
    w = u - idx
    lo, hi = splat(0.0), splat(0.0)
    for m in ti.static(range(LANES)):
        lo[m] = table[idx[m]]
        hi[m] = table[idx[m] + 1]
    return (1.0 - w) * lo + w * hi


@ti.func
def properties(hb, rr, s, tpk, thot, t_old, T_of_h: ti.template(), h0: float, inv_dh: float, contact: float, chi: float,
               k_dense: float, k_melt: float, rho_rel0: float, solidus: float, liquidus: float, k_const: float, T_hot: float,
               dt: float):
    """update_properties on one block: returns (T, T_peak, t_hot, state, k); void lanes keep T,
    T_peak, t_hot and state and get k = 0."""
    void = s == VOID
    t = lookup(T_of_h, h0, inv_dh, hb)
    t_new = ti.select(void, t_old, t)
    tpk_new = ti.select(void, tpk, ti.max(tpk, t))
    thot_new = thot + ti.select(~void & (t > T_hot), splat(dt), splat(0.0))
    si = ti.cast(s, ti.i32)
    s_new = ti.select(t >= liquidus, splat(MOLTEN),
                      ti.select((si == MOLTEN) & (t < solidus), splat(RESOLIDIFIED),
                                ti.select((si == POWDER) & (rr > rho_rel0 + 0.01),
                                          splat(SINTERED), si)))
    s_new = ti.select(void, si, s_new)
    k = conductivity_of(t, rr, contact, chi, k_dense, k_melt, rho_rel0, 1.0 / ti.max(1.0 - rho_rel0, 1e-9), solidus,
                        1.0 / (liquidus - solidus), k_const, 0.0, 0.0)  # (the benchmark's bed is in vacuum)
    return t_new, tpk_new, thot_new, s_new, ti.select(void, splat(0.0), k)


@ti.func
def heat_flow(T: ti.template(), kc: ti.template(), i, j, b, nx, ny, tc, kcur, k_up, t_up, q_in_below,
              Tb: float, inv_dx: float, dt: float, dx: float, eps_solid: float, eps_melt: float, solidus: float, liquidus: float,
              sky4: float, h_conv: float, T_amb: float, bottom_dirichlet: ti.i32):
    """Net heat flow density into each cell of block (i, j, b) [W/m^2, per dx^2 face], the flux up
    through each cell's top face (lane 7's is the next block's bottom flux), and the block's
    radiated, convected and bottom energy [J]. Sides beyond the domain are symmetry planes: the
    clamped neighbour is the cell itself, whose face conducts nothing and is not exposed."""
    q_up = conducted(kcur, k_up, tc, t_up, inv_dx)
    q = from_below(-q_up, q_in_below)
    lane = ti.Vector([0, 1, 2, 3, 4, 5, 6, 7])
    bottom = (lane == 0) & (b == 0) & (bottom_dirichlet != 0)
    qb = ti.select(bottom, kcur * (Tb - tc) * 2.0 * inv_dx, splat(0.0))
    q += qb
    q += q_up
    n_exp = ti.select(k_up == 0.0, splat(1.0), splat(0.0))
    for di, dj in ti.static(((-1, 0), (1, 0), (0, -1), (0, 1))):
        i2 = ti.min(ti.max(i + di, 0), nx - 1)
        j2 = ti.min(ti.max(j + dj, 0), ny - 1)
        kn = kc[i2, j2, b]
        q += conducted(kcur, kn, tc, T[i2, j2, b], inv_dx)
        n_exp += ti.select(kn == 0.0, splat(1.0), splat(0.0))
    n_exp = ti.select(kcur == 0.0, splat(0.0), n_exp)
    eps = emissivity_at(tc, eps_solid, eps_melt, solidus, 1.0 / (liquidus - solidus))
    q_rad = eps * SIGMA * (tc * tc * tc * tc - sky4) * n_exp
    q_cv = h_conv * (tc - T_amb) * n_exp
    q -= q_rad + q_cv
    area_dt = dx * dx * dt
    return q, q_up, q_rad.sum() * area_dt, q_cv.sum() * area_dt, -qb.sum() * area_dt


@ti.func
def column(h: ti.template(), T: ti.template(), kc: ti.template(), mass: ti.template(), T_bottom: ti.template(),
           ledger: ti.template(), i, j, dt: float, dx: float, rho_p: float, eps_solid: float, eps_melt: float, solidus: float,
           liquidus: float, T_sky: float, h_conv: float, T_amb: float, bottom_dirichlet: ti.i32, fused: ti.template(),
           rho_rel: ti.template(), state: ti.template(), T_peak: ti.template(), t_hot: ti.template(),
           T2: ti.template(), k2: ti.template(), T_of_h: ti.template(), h0: float, inv_dh: float, contact: float,
           chi: float, k_dense: float, k_melt: float, rho_rel0: float, k_const: float, T_hot: float):
    """Walk up column (i, j): diffuse each block, then (``fused``) update its properties into T2, k2
    (the property arguments are unused, and not compiled, without ``fused``)."""
    nx, ny, nb = h.shape[0], h.shape[1], h.shape[2]
    inv_dx = 1.0 / dx
    sky4 = T_sky * T_sky * T_sky * T_sky
    Tb = T_bottom[i, j]
    rad, cv, bot = 0.0, 0.0, 0.0
    q_in = 0.0     # flux into lane 0 through the block's bottom face (none at the domain bottom)
    tc, kcur = T[i, j, 0], kc[i, j, 0]
    for b in range(nb):
        ba = ti.min(b + 1, nb - 1)
        t_a, k_a = T[i, j, ba], kc[i, j, ba]
        has_above = b + 1 < nb
        k_up = from_above(kcur, ti.select(has_above, k_a[0], 0.0))
        t_up = from_above(tc, t_a[0])
        q, q_up, r, c, bt = heat_flow(T, kc, i, j, b, nx, ny, tc, kcur, k_up, t_up, q_in, Tb, inv_dx, dt, dx,
                                      eps_solid, eps_melt, solidus, liquidus, sky4, h_conv, T_amb,
                                      bottom_dirichlet)
        rad += r
        cv += c
        bot += bt
        hb = h[i, j, b]
        h_new = ti.select(kcur == 0.0, hb, hb + dt * q / (mass[i, j, b] * rho_p * dx))
        h[i, j, b] = h_new
        if ti.static(fused):
            t, tpk, thot, s, k = properties(h_new, rho_rel[i, j, b], state[i, j, b], T_peak[i, j, b],
                                            t_hot[i, j, b], tc, T_of_h, h0, inv_dh, contact, chi, k_dense,
                                            k_melt, rho_rel0, solidus, liquidus, k_const, T_hot, dt)
            T2[i, j, b] = t
            T_peak[i, j, b] = tpk
            t_hot[i, j, b] = thot
            state[i, j, b] = ti.cast(s, ti.i8)
            k2[i, j, b] = k
        q_in = ti.select(kcur[7] == 0.0, 0.0, -q_up[7])   # a void cell passes nothing up (production resets)
        tc, kcur = t_a, k_a
    ti.atomic_add(ledger[LEDGER_RADIATED], rad)
    ti.atomic_add(ledger[LEDGER_CONVECTED], cv)
    ti.atomic_add(ledger[LEDGER_BOTTOM], bot)


@ti.kernel
def update_properties(h: nd3, rho_rel: nd3, state: nd3, T: nd3, kcond: nd3, T_peak: nd3, t_hot: nd3,
                      T_of_h: nd1, h0: float, inv_dh: float, contact: float, chi: float, k_dense: float, k_melt: float,
                      rho_rel0: float, solidus: float, liquidus: float, k_const: float, T_hot: float, dt: float):
    """T from h, k(T, relative density), state, T_peak and time above T_hot on every block."""
    for i, j in ti.ndrange(h.shape[0], h.shape[1]):
        for b in range(h.shape[2]):
            t, tpk, thot, s, k = properties(h[i, j, b], rho_rel[i, j, b], state[i, j, b], T_peak[i, j, b],
                                            t_hot[i, j, b], T[i, j, b], T_of_h, h0, inv_dh, contact, chi,
                                            k_dense, k_melt, rho_rel0, solidus, liquidus, k_const, T_hot, dt)
            T[i, j, b] = t
            T_peak[i, j, b] = tpk
            t_hot[i, j, b] = thot
            state[i, j, b] = ti.cast(s, ti.i8)
            kcond[i, j, b] = k


@ti.kernel
def diffuse(h: nd3, T: nd3, kcond: nd3, mass: nd3, T_bottom: nd2, ledger: nd1,
            dt: float, dx: float, rho_p: float, eps_solid: float, eps_melt: float, solidus: float, liquidus: float,
            T_sky: float, h_conv: float, T_amb: float, bottom_dirichlet: ti.i32):
    """One explicit step of the enthalpy equation with fluxes from T and k, h updated in place."""
    for i, j in ti.ndrange(h.shape[0], h.shape[1]):
        column(h, T, kcond, mass, T_bottom, ledger, i, j, dt, dx, rho_p, eps_solid, eps_melt, solidus,
               liquidus, T_sky, h_conv, T_amb, bottom_dirichlet, False,
               h, h, h, h, h, h, ledger, dt, dt, dt, dt, dt, dt, dt, dt, dt)


@ti.kernel
def step_fused(h: nd3, T: nd3, kcond: nd3, mass: nd3, T_bottom: nd2, ledger: nd1,
               rho_rel: nd3, state: nd3, T_peak: nd3, t_hot: nd3, T2: nd3, k2: nd3,
               T_of_h: nd1, h0: float, inv_dh: float, contact: float, chi: float, k_dense: float, k_melt: float,
               rho_rel0: float, k_const: float, T_hot: float,
               dt: float, dx: float, rho_p: float, eps_solid: float, eps_melt: float, solidus: float, liquidus: float,
               T_sky: float, h_conv: float, T_amb: float, bottom_dirichlet: ti.i32):
    """diffuse then update_properties in one sweep; the new T and k go to T2 and k2 (swap after)."""
    for i, j in ti.ndrange(h.shape[0], h.shape[1]):
        column(h, T, kcond, mass, T_bottom, ledger, i, j, dt, dx, rho_p, eps_solid, eps_melt, solidus,
               liquidus, T_sky, h_conv, T_amb, bottom_dirichlet, True,
               rho_rel, state, T_peak, t_hot, T2, k2, T_of_h, h0, inv_dh, contact, chi, k_dense, k_melt,
               rho_rel0, k_const, T_hot)

