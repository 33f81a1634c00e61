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
* exposed grains (nothing above them at their centre column, from a height map of the top
  surface) absorb from a gaussian spot ``q = q0 exp(-2 rho^2 / w^2)`` (w: 1/e^2 radius) what falls on
  their projected disc, ``alpha q0 pi r^2 w^2 / (w^2 + 2 r^2) exp(-2 d^2 / (w^2 + 2 r^2))`` (d: the
  grain's distance from the spot's axis): the overlap integral of the spot with a gaussian aperture of the
  disc's area (1/e^2 radius sqrt(2) r), the product of two gaussians being one. It is q(d) pi r^2 for a
  spot much wider than the grain and the whole alpha P of a narrow spot on the grain's axis, and over grains
  that tile the surface it sums to alpha P times their areal coverage, never more (``q(d) pi r^2`` alone
  gave a 0.05 mm spot on a 0.3 mm grain 8 times the power the spot carries). Exposed grains emit
  ``eps sigma pi r^2 (T^4 - T_env^4)``: they tile the top surface with their projected discs.
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


@ti.kernel
def heat_step(x: ti.types.ndarray(), pm: ti.types.ndarray(), active: ti.types.ndarray(),
              temp: ti.types.ndarray(), heat: ti.types.ndarray(), gsum: ti.types.ndarray(),
              fixed: ti.types.ndarray(), exposed: ti.types.ndarray(), nbr: ti.types.ndarray(),
              nnbr: ti.types.ndarray(), neck: ti.types.ndarray(), hmap: ti.types.ndarray(),
              tprm: ti.types.ndarray(), src: ti.math.vec4, dt: float, mode: ti.i32):
    """Heat flows [W] into each grain (``heat``), then a temperature update of the free grains.

    ``src`` = (x_c [m], y_c [m], q0 [W/m^2], w [m]) of the gaussian spot. ``mode`` 0: explicit
    step ``dT = dt Q / (m c_p)`` (stable for dt below min m c_p / gsum); mode 1: one damped Jacobi
    sweep ``dT = dt Q / gsum`` (dt is then a relaxation factor <= 1) towards the steady state.
    ``gsum`` receives each grain's total (linearised) conductance [W/K]; ``fixed`` grains keep
    their temperature (boundary conditions).
    """
    n_p = x.shape[0]
    nx = hmap.shape[0]
    ny = hmap.shape[1]
    for cx, cy in ti.ndrange(nx, ny):
        hmap[cx, cy] = _EMPTY
    h = tprm[Q_HM_H]
    for i in range(n_p):
        if tprm[Q_SURF] > 0.0 and active[i] != 0:
            r = pm[i][0]
            c0x = ti.cast(ti.floor((x[i][0] - r - tprm[Q_HM_X0]) / h), ti.i32)
            c1x = ti.cast(ti.floor((x[i][0] + r - tprm[Q_HM_X0]) / h), ti.i32)
            c0y = ti.cast(ti.floor((x[i][1] - r - tprm[Q_HM_Y0]) / h), ti.i32)
            c1y = ti.cast(ti.floor((x[i][1] + r - tprm[Q_HM_Y0]) / h), ti.i32)
            for cx in range(ti.max(c0x, 0), ti.min(c1x + 1, nx)):
                for cy in range(ti.max(c0y, 0), ti.min(c1y + 1, ny)):
                    px = tprm[Q_HM_X0] + (cx + 0.5) * h - x[i][0]
                    py = tprm[Q_HM_Y0] + (cy + 0.5) * h - x[i][1]
                    rho2 = px * px + py * py
                    if rho2 < r * r:
                        top = x[i][2] + ti.sqrt(r * r - rho2)
                        ti.atomic_max(hmap[cx, cy], ti.floor((top - tprm[Q_HM_Z0]) / tprm[Q_HM_DZ]))
    k_s = tprm[Q_K]
    eps = tprm[Q_EPS]
    f_rad = tprm[Q_RADF] * SIGMA_SB * eps / (2.0 - eps)
    for i in range(n_p):  # the grain's own exchange: source and emission if exposed (plain writes)
        q = 0.0
        g = 0.0
        expo = 0
        if active[i] != 0:
            ri = pm[i][0]
            ti_ = temp[i]
            if tprm[Q_SURF] > 0.0:
                cx = ti.cast(ti.floor((x[i][0] - tprm[Q_HM_X0]) / h), ti.i32)
                cy = ti.cast(ti.floor((x[i][1] - tprm[Q_HM_Y0]) / h), ti.i32)
                if 0 <= cx < nx and 0 <= cy < ny:
                    px = tprm[Q_HM_X0] + (cx + 0.5) * h - x[i][0]
                    py = tprm[Q_HM_Y0] + (cy + 0.5) * h - x[i][1]
                    own = x[i][2] + ti.sqrt(ti.max(ri * ri - px * px - py * py, 0.0))
                    if ti.floor((own - tprm[Q_HM_Z0]) / tprm[Q_HM_DZ]) >= hmap[cx, cy]:
                        expo = 1
                if expo == 1:
                    proj = ti.math.pi * ri * ri
                    rx = x[i][0] - src[0]
                    ry = x[i][1] - src[1]
                    if src[3] > 0.0:
                        s2 = src[3] * src[3] + 2.0 * ri * ri  # the spot seen through the disc (module docstring)
                        q += tprm[Q_ABS] * src[2] * proj * (src[3] * src[3] / s2) \
                            * backend.exp(-2.0 * (rx * rx + ry * ry) / s2)
                    te = tprm[Q_TENV]
                    q -= eps * SIGMA_SB * proj * (ti_ * ti_ * ti_ * ti_ - te * te * te * te)
                    g += eps * SIGMA_SB * proj * 4.0 * ti_ * ti_ * ti_
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
