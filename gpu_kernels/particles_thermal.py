"""Heat transfer between regolith grains (lumped temperature per grain) and from a heat source.

Same array layout as :mod:`gpu_kernels.particles` (``x``, ``pm``, ``active``, ``nbr``/``nnbr``,
``neck``, the half list: each pair once, its flow added to both grains); the neighbour list must
reach at least the radiation partner gap. Per grain i:

* contact conduction ``Q = 2 k_s a (T_j - T_i)`` through a contact of radius ``a``: two
  constriction resistances ``1/(4 k a)`` in series (Batchelor & O'Brien 1977, Proc. R. Soc.
  Lond. A 355:313, limit of a non-conducting interstitial gas, i.e. vacuum; the same
  ``2 k_s a`` follows from Cooper, Mikic & Yovanovich 1969, Int. J. Heat Mass Transfer 12:279).
  ``a`` is the larger of the Hertz radius ``sqrt(R* delta)`` times ``Q_ASCALE`` and the sinter
  neck. ``Q_ASCALE = (E_sim/E_true)^(1/3)`` undoes the softened modulus used for a long DEM
  time step (Hertz a ~ E^(-1/3) at equal force).
* radiation between near neighbours: the exchange of two parallel grey plates,
  eps/(2 - eps) = 1/(1/eps + 1/eps - 1), over the projected disc of the smaller grain (view factor
  taken as 1 across the narrow gap):
  ``Q = Q_RADF * sigma * eps/(2 - eps) * pi r_min^2 (T_j^4 - T_i^4)`` for surface gaps below
  ``Q_RADGAP * r_min``. Over a packing this gives a radiative conductivity ~ 4 sigma T^3 d, the
  scaling of the bed models of Damkoehler / Breitbach & Barthels (1980, Nucl. Technol. 49:392),
  whose pre-factor (view factors, non-isothermal grains) ``Q_RADF`` stands for.
* the top surface, from a height map of square columns of side h (``hmap``): each column belongs to the grain
  whose cap is highest over its centre (``owner``), and that grain absorbs from a gaussian spot
  ``q = q0 exp(-2 rho^2 / w^2)`` (w: 1/e^2 radius) all that falls on the column,
  ``alpha q0 (pi w^2 / 8) [erf(sqrt 2 (x1 - x_c) / w) - erf(sqrt 2 (x0 - x_c) / w)] [same in y]``, and emits
  ``eps sigma h^2 (T^4 - T_env^4)`` from it. The columns tile the plane once, so the grains absorb alpha times
  the spot's power over the covered columns, never more (discs of exposed grains overlap in projection: a
  flux on each one's whole disc gave a poured bed 1.075 alpha P; the flux at a grain's centre on its disc gave
  a 0.05 mm spot on a 0.3 mm grain 8 P). A grain that owns a column is exposed; ``absorbed[0]`` is the
  step's absorbed power [W]. erf from erfc's Chebyshev fit (Press et al. 1992, Numerical Recipes in C,
  2nd ed., Sec. 6.2: fractional error below 1.2e-7 everywhere), differenced in the tail it is accurate in.
"""

from gpu_kernels import backend
from gpu_kernels.backend import ti

SIGMA_SB = 5.670374419e-8  # W/(m^2 K^4)

# --- indices into ``tprm`` ----------------------------------------------------------------------
Q_K = 0  # solid conductivity k_s [W/(m K)]
Q_CP = 1  # specific heat [J/(kg K)]
Q_EPS = 2  # emissivity
Q_ABS = 3  # absorptivity of the source radiation
Q_TENV = 4  # radiative sink temperature seen by exposed grains [K]
Q_RADGAP = 5  # radiation partners: surface gap below Q_RADGAP * r_min
Q_RADF = 6  # multiplier of the neighbour radiation (0: off)
Q_ASCALE = 7  # contact radius correction for a softened modulus
Q_HM_X0 = 8  # height map origin x [m]
Q_HM_Y0 = 9  # height map origin y [m]
Q_HM_H = 10  # height map cell [m]
Q_HM_Z0 = 11  # height map datum [m]
Q_HM_DZ = 12  # height map quantum [m]
Q_SURF = 13  # 1: exposed grains absorb the source and emit to the environment
N_TPRM = 16

_EMPTY = -1.0e30  # an empty column of the (float) height map


@ti.func
def erfc(x):
    """Complementary error function (Press et al. 1992, Sec. 6.2, ``erfcc``)."""
    z = ti.abs(x)
    t = 1.0 / (1.0 + 0.5 * z)
    poly = -z * z - 1.26551223 + t * (1.00002368 + t * (0.37409196 + t * (0.09678418 + t * (
        -0.18628806 + t * (0.27886807 + t * (-1.13520398 + t * (1.48851587 + t * (-0.82215223 + t * 0.17087277))))))))
    r = t * backend.exp(poly)
    if x < 0.0:
        r = 2.0 - r
    return r


@ti.func
def erf_interval(a, b):
    """erf(b) - erf(a) for a <= b, as a difference of erfc on the side of the tail (no cancellation of 1 - 1)."""
    d = 0.0
    if a >= 0.0:
        d = erfc(a) - erfc(b)
    elif b <= 0.0:
        d = erfc(-b) - erfc(-a)
    else:
        d = 2.0 - erfc(b) - erfc(-a)
    return d


@ti.func
def column_level(x: ti.template(), tprm: ti.template(), i, r, cx, cy, h):
    """Height level of grain i's cap over the centre of column (cx, cy) (-1e30 where the column's centre is off
    its disc): whole steps of Q_HM_DZ above Q_HM_Z0, the same expression wherever a pass compares levels."""
    px = tprm[Q_HM_X0] + (cx + 0.5) * h - x[i][0]
    py = tprm[Q_HM_Y0] + (cy + 0.5) * h - x[i][1]
    rho2 = px * px + py * py
    level = _EMPTY
    if rho2 < r * r:
        level = ti.floor((x[i][2] + ti.sqrt(r * r - rho2) - tprm[Q_HM_Z0]) / tprm[Q_HM_DZ])
    return level


@ti.func
def column_span(x: ti.template(), tprm: ti.template(), i, r, h, nx, ny):
    """The columns [c0x, c1x) x [c0y, c1y) of the height map that grain i's disc can reach."""
    c0x = ti.cast(ti.floor((x[i][0] - r - tprm[Q_HM_X0]) / h), ti.i32)
    c1x = ti.cast(ti.floor((x[i][0] + r - tprm[Q_HM_X0]) / h), ti.i32) + 1
    c0y = ti.cast(ti.floor((x[i][1] - r - tprm[Q_HM_Y0]) / h), ti.i32)
    c1y = ti.cast(ti.floor((x[i][1] + r - tprm[Q_HM_Y0]) / h), ti.i32) + 1
    return ti.max(c0x, 0), ti.min(c1x, nx), ti.max(c0y, 0), ti.min(c1y, ny)


@ti.kernel
def heat_step(x: ti.types.ndarray(), pm: ti.types.ndarray(), active: ti.types.ndarray(),
              temp: ti.types.ndarray(), heat: ti.types.ndarray(), gsum: ti.types.ndarray(),
              fixed: ti.types.ndarray(), exposed: ti.types.ndarray(), nbr: ti.types.ndarray(),
              nnbr: ti.types.ndarray(), neck: ti.types.ndarray(), hmap: ti.types.ndarray(),
              owner: ti.types.ndarray(), absorbed: ti.types.ndarray(),
              tprm: ti.types.ndarray(), src: ti.math.vec4, dt: float, mode: ti.i32):
    """Heat flows [W] into each grain (``heat``), then a temperature update of the free grains.

    ``src`` = (x_c [m], y_c [m], q0 [W/m^2], w [m]) of the gaussian spot. ``mode`` 0: explicit
    step ``dT = dt Q / (m c_p)`` (stable for dt below min m c_p / gsum); mode 1: one damped Jacobi
    sweep ``dT = dt Q / gsum`` (dt is then a relaxation factor <= 1) towards the steady state.
    ``gsum`` receives each grain's total (linearised) conductance [W/K]; ``fixed`` grains keep
    their temperature (boundary conditions). ``hmap`` and ``owner`` (grain index, as a float) are the
    top surface's height map and its columns' grains, ``absorbed[0]`` the power absorbed from the spot [W].
    """
    n_p = x.shape[0]
    nx = hmap.shape[0]
    ny = hmap.shape[1]
    for cx, cy in ti.ndrange(nx, ny):
        hmap[cx, cy] = _EMPTY
        owner[cx, cy] = -1.0
    absorbed[0] = 0.0
    h = tprm[Q_HM_H]
    # owner and hmap are float maps: i32 atomics inside these loop nests lose writes on Vulkan/llvmpipe
    for i in range(n_p):
        if tprm[Q_SURF] > 0.0 and active[i] != 0:
            r = pm[i][0]
            x0, x1, y0, y1 = column_span(x, tprm, i, r, h, nx, ny)
            for cx in range(x0, x1):
                for cy in range(y0, y1):
                    ti.atomic_max(hmap[cx, cy], column_level(x, tprm, i, r, cx, cy, h))
    for i in range(n_p):  # of the grains level with a column's top, the highest index takes it
        if tprm[Q_SURF] > 0.0 and active[i] != 0:
            r = pm[i][0]
            x0, x1, y0, y1 = column_span(x, tprm, i, r, h, nx, ny)
            for cx in range(x0, x1):
                for cy in range(y0, y1):
                    level = column_level(x, tprm, i, r, cx, cy, h)
                    if level > _EMPTY and level >= hmap[cx, cy]:
                        ti.atomic_max(owner[cx, cy], ti.cast(i, float))
    k_s = tprm[Q_K]
    eps = tprm[Q_EPS]
    f_rad = tprm[Q_RADF] * SIGMA_SB * eps / (2.0 - eps)
    # the spot over a column: q0 pi w^2 / 8 times the two erf intervals, in units of s = sqrt(2) / w
    s = 0.0
    if src[3] > 0.0:
        s = ti.sqrt(2.0) / src[3]
    spot = tprm[Q_ABS] * src[2] * ti.math.pi * src[3] * src[3] / 8.0
    for i in range(n_p):  # the grain's own exchange: source and emission over the columns it owns (plain writes)
        q = 0.0
        g = 0.0
        expo = 0
        if tprm[Q_SURF] > 0.0 and active[i] != 0:
            r = pm[i][0]
            x0, x1, y0, y1 = column_span(x, tprm, i, r, h, nx, ny)
            n_own = 0
            q_in = 0.0
            for cx in range(x0, x1):
                for cy in range(y0, y1):
                    if owner[cx, cy] == ti.cast(i, float):
                        n_own += 1
                        if s > 0.0:
                            ax = tprm[Q_HM_X0] + cx * h - src[0]
                            ay = tprm[Q_HM_Y0] + cy * h - src[1]
                            q_in += erf_interval(s * ax, s * (ax + h)) * erf_interval(s * ay, s * (ay + h))
            if n_own > 0:
                expo = 1
                ti_ = temp[i]
                te = tprm[Q_TENV]
                area = n_own * h * h
                q_abs = spot * q_in
                absorbed[0] += q_abs
                q = q_abs - eps * SIGMA_SB * area * (ti_ * ti_ * ti_ * ti_ - te * te * te * te)
                g = eps * SIGMA_SB * area * 4.0 * ti_ * ti_ * ti_
        heat[i] = q
        gsum[i] = g
        exposed[i] = expo
    for i in range(n_p):  # pairs of the half list, each once: j receives the opposite flow (atomic)
        if active[i] != 0 and nnbr[i] > 0:
            ri = pm[i][0]
            ti_ = temp[i]
            q = 0.0
            g = 0.0
            for kk in range(nnbr[i]):
                j = nbr[i, kk]
                if active[j] != 0:
                    rj = pm[j][0]
                    dist = (x[j] - x[i]).norm()
                    gap = dist - ri - rj
                    rmin = ti.min(ri, rj)
                    tj = temp[j]
                    qij = 0.0
                    gij = 0.0
                    if gap < 0.0 or neck[i, kk] > 0.0:
                        rs = ri * rj / (ri + rj)
                        a = ti.max(ti.sqrt(rs * ti.max(-gap, 0.0)) * tprm[Q_ASCALE], neck[i, kk])
                        gc = 2.0 * k_s * a
                        qij += gc * (tj - ti_)
                        gij += gc
                    if f_rad > 0.0 and gap < tprm[Q_RADGAP] * rmin:
                        area = ti.math.pi * rmin * rmin
                        qij += f_rad * area * (tj * tj * tj * tj - ti_ * ti_ * ti_ * ti_)
                        gij += f_rad * area * (tj * tj + ti_ * ti_) * (tj + ti_)
                    q += qij
                    g += gij
                    heat[j] -= qij
                    gsum[j] += gij
            heat[i] += q
            gsum[i] += g
    for i in range(n_p):
        if active[i] != 0 and fixed[i] == 0:
            if mode == 0:
                temp[i] += dt * heat[i] / (pm[i][1] * tprm[Q_CP])
            elif gsum[i] > 0.0:
                temp[i] += dt * heat[i] / gsum[i]
