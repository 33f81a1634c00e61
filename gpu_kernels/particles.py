"""Discrete-element (DEM) kernels for regolith grains: neighbour lists, contact forces, integration.

Arrays in, arrays out: every kernel takes ``ti.ndarray`` arguments (one compiled version per
dtype/dimensionality, whatever the number of grains), no file I/O, no Python objects. The
Python side that owns the arrays is :mod:`regolith_sim.particles.dem`. Heat transfer between
grains lives in :mod:`gpu_kernels.particles_thermal`.

Layout (N grains, K neighbour slots per grain, W walls); SI units throughout:

* ``x, v, w, f, tq`` (N, vec3): position [m], velocity [m/s], angular velocity [rad/s],
  force [N] and torque [N m] from the last force evaluation.
* ``pm`` (N, vec4): radius [m], mass [kg], inertial mass and rotational inertia used by the
  integrator [kg], [kg m^2] (equal to the true ones unless quasi-static mass scaling is on).
* ``sums`` (N, vec4): per grain sums of contact stiffness [N/m], dashpot coefficients [N s/m],
  rotational stiffness [N m] and rotational dashpots [N m s], for the quasi-static masses.
* ``active`` (N, i32): 0 for grains removed from the run (fell below the kill plane).
* ``temp`` (N): grain temperature [K] (sets the viscosity of sintering necks).
* ``nbr`` (N, K, i32) / ``nnbr`` (N, i32): half Verlet neighbour list (each pair once, in the row
  of its lower index); the pair's force is evaluated once and applied to both grains (Newton's
  third law, the partner's share added atomically), so ``F_ij = -F_ji`` exactly.
* ``stat`` (8, i32): step/list flags, see :func:`build_neighbours` and :func:`dem_step`.
* ``ht, hr`` (N, K, vec3): tangential spring displacement [m] and rolling spring moment [N m];
  ``neck`` (N, K): sintering neck radius [m] (0: no neck).
* ``walls`` (W, 4, vec3): axis-aligned boxes, rows (lower corner, upper corner, velocity,
  (sliding friction, rolling friction, 1 if the wall attracts grains)).
  ``wht, whr`` (N, W, vec3): wall contact history.
* ``prm``: material and model parameters at the ``P_*`` indices below.
* ``eta_tab``: log10 of the melt viscosity [Pa s] on a uniform temperature grid
  (``prm[P_ETA_T0]`` + k ``prm[P_ETA_DT]``), linearly interpolated.

Models (each cited where it is evaluated):

* Hertz normal force with the Tsuji et al. (1992, Powder Technol. 71:239) damping
  ``F_d = g_n sqrt(S_n m*) v_n``, ``S_n = 2 E* sqrt(R* delta)``; ``g_n`` is calibrated on the host
  so that a binary collision returns the requested coefficient of restitution.
* Mindlin tangential spring ``S_t = 8 G* sqrt(R* delta)`` with Coulomb cap (Di Renzo &
  Di Maio 2004, Chem. Eng. Sci. 59:525, "no-slip" Mindlin).
* Rolling resistance: elastic-plastic spring-dashpot, model C of Ai, Chen, Rotter & Ooi (2011,
  Powder Technol. 206:269): ``k_r = 2.25 S_n mu_r^2 R*^2``, limit ``mu_r R* F_n``, damping
  ``eta_r 2 sqrt(I_r k_r)`` switched off at full mobilisation.
* Cohesion: van der Waals sphere-sphere pull ``A R* / (6 D^2)`` (Hamaker 1937), ``D`` the gap
  held at least at ``D0`` (Walton 2007, NASA/CR-2007-214685; Perko, Nelson & Sadeh 2001,
  J. Geotech. Geoenviron. Eng. 127:371 take ``D0`` from a surface cleanliness ratio).
* Sintering neck (viscous flow): once a touching contact (gap below ``P_BOND_GAP`` R*, rough
  surfaces) is hot enough (viscosity below ``P_ETA_BOND``) its normal force is a Parhami & McMeeking (1998, Mech. Mater. 27:111) type law
  ``F = c_v (v_n - u_s)`` with ``c_v = pi eta x`` and ``u_s = 3 gamma / (4 eta)``, so a free pair
  approaches at Frenkel's rate and the neck ``x^2 = 2 a delta`` (volume conserving, Coble) follows
  Frenkel (1945) ``x^2 / a = 3 gamma t / (2 eta)``.
"""

from gpu_kernels import backend
from gpu_kernels.backend import ti

# --- indices into ``prm`` (contact model parameters) -------------------------------------------
P_GX, P_GY, P_GZ = 0, 1, 2  # gravity [m/s^2]
P_ESTAR = 3  # effective Young's modulus grain-grain E* [Pa]
P_GSTAR = 4  # effective shear modulus grain-grain G* [Pa]
P_ESTAR_W = 5  # grain-wall E* [Pa]
P_GSTAR_W = 6  # grain-wall G* [Pa]
P_DAMP = 7  # g_n of F_d = g_n sqrt(S m*) v, >= 0 (0: elastic)
P_MU = 8  # sliding friction grain-grain
P_MUR = 10  # rolling friction coefficient (dimensionless)
P_ETAR = 11  # rolling viscous damping ratio
P_HAMAKER = 12  # Hamaker constant A [J] (0: no cohesion)
P_D0 = 13  # minimum surface separation of the van der Waals law [m]
P_DCUT = 14  # gap beyond which cohesion is dropped [m]
P_BOND_GAP = 15  # hot grains closer than this fraction of R* bond (rough touching surfaces)
P_SINTER = 16  # 1: sintering necks form
P_GAMMA = 17  # melt surface tension [N/m]
P_ETA_BOND = 18  # a contact bonds (neck forms) once the viscosity is below this [Pa s]
P_ETA_T0 = 19  # first temperature of the viscosity table [K]
P_ETA_DT = 20  # temperature step of the viscosity table [K]
P_QS = 21  # 1: quasi-static run with fictitious (Gershgorin) masses
P_QS_BETA = 22  # safety factor of the fictitious masses
P_ZKILL = 23  # grains whose centre drops below this height are removed [m]
P_NECK_MAX = 24  # neck growth stops at x = P_NECK_MAX * a (a = 2 R*): end of the Frenkel stage
P_QS_DAMP = 25  # quasi-static runs: Cundall local damping coefficient (0.7 is the usual value)
P_QS_STEP = 26  # quasi-static runs: a grain moves at most this fraction of its radius per step
P_QS_BETA_VISC = 27  # safety factor of the fictitious masses on the viscous (neck) part
N_PRM = 32

_TINY = 1e-30  # also representable in f32


@ti.func
def _viscosity(T, eta_tab: ti.template(), prm: ti.template()):
    """Melt viscosity [Pa s] at T [K]: linear interpolation of log10(eta) in the table."""
    n = eta_tab.shape[0]
    s = (T - prm[P_ETA_T0]) / prm[P_ETA_DT]
    s = ti.math.clamp(s, 0.0, n - 1.0)
    k = ti.max(ti.min(ti.cast(ti.floor(s), ti.i32), n - 2), 0)   # an integer clamp (n - 1 - 1e-9 is n - 1 in f32)
    fr = s - k
    return backend.pow(10.0, eta_tab[k] * (1.0 - fr) + eta_tab[k + 1] * fr)


@ti.func
def _to_plane(h, n):
    """Rotate a history vector into the current tangent plane, keeping its length: contacts roll
    and the stored spring must stay tangential (the usual treatment of history models, e.g. LIGGGHTS)."""
    mag = h.norm()
    hp = h - h.dot(n) * n
    mp = hp.norm()
    out = ti.Vector([0.0, 0.0, 0.0])
    if mp > _TINY:
        out = hp * (mag / mp)
    return out


@ti.func
def _contact(n, gap, vrel, wrel, ri, Rs, ms, Ir, temp_c, h_t, h_r, neck, e_star, g_star, mu, mur,
             cohesive, prm: ti.template(), eta_tab: ti.template(), dt, use_coh: ti.template(),
             use_sinter: ti.template(), use_roll: ti.template(), use_qs: ti.template()):
    """Force on grain i from one contact partner; n points from i to the partner (the partner
    receives the opposite force, Newton's third law).

    Returns (normal force vector, tangential force, rolling moment, new h_t, new h_r, new neck,
    the pair's stiffness/dashpot terms for :func:`_gershgorin`). ``vrel`` is the velocity of i relative to the partner at the contact
    point, ``wrel`` their relative angular velocity; Rs, ms, Ir effective radius, mass, inertia.
    The ``use_*`` flags are compile-time constants (``ti.static``): a run without cohesion,
    sintering, rolling resistance or quasi-static masses compiles a kernel without those branches.
    """
    fnv = ti.Vector([0.0, 0.0, 0.0])
    ft = ti.Vector([0.0, 0.0, 0.0])
    mr = ti.Vector([0.0, 0.0, 0.0])
    sk = ti.Vector([0.0, 0.0, 0.0, 0.0])
    delta = -gap
    vn = vrel.dot(n)
    vt = vrel - vn * n
    wroll = wrel - wrel.dot(n) * n
    bonded = False
    eta = 1e30
    if ti.static(use_sinter):
        bonded = neck > 0.0
        bond_gap = prm[P_BOND_GAP] * Rs
        if bonded and gap > bond_gap:
            neck = 0.0  # pulled apart: the neck broke
            bonded = False
        if gap < bond_gap:
            eta = _viscosity(temp_c, eta_tab, prm)
            if (not bonded) and eta < prm[P_ETA_BOND]:
                # the neck starts from the Hertz contact radius of the elastic contact it replaces
                neck = ti.max(ti.sqrt(Rs * ti.max(delta, 0.0)), 1e-6 * Rs)
                bonded = True
    coh = 0.0
    if ti.static(use_coh):
        if cohesive and gap < prm[P_DCUT]:
            d = ti.max(gap, 0.0) + prm[P_D0]
            coh = prm[P_HAMAKER] * Rs / (6.0 * d * d)
    if bonded:
        a_e = 2.0 * Rs
        cv = ti.math.pi * eta * neck
        us = 0.0
        if neck < prm[P_NECK_MAX] * a_e:
            us = 0.75 * prm[P_GAMMA] / eta
        fnv = -cv * (vn - us) * n
        ft = -cv * vt
        mr = -cv * neck * neck * wroll
        # approach builds the neck: x^2 = 2 a delta with material conserved (Coble 1958)
        neck = ti.sqrt(neck * neck + 2.0 * a_e * ti.max(vn, 0.0) * dt)
        h_t = ti.Vector([0.0, 0.0, 0.0])
        h_r = ti.Vector([0.0, 0.0, 0.0])
        if ti.static(use_qs):
            # Gershgorin row sums (diagonal + partner) of the neck dashpots (see _gershgorin)
            sk = ti.Vector([0.0, 2.0 * cv, 0.0, 2.0 * cv * neck * neck])
    elif delta > 0.0:
        sq = ti.sqrt(Rs * delta)
        sn = 2.0 * e_star * sq
        fel = 2.0 / 3.0 * sn * delta  # = 4/3 E* sqrt(R*) delta^1.5
        fn = ti.max(fel + prm[P_DAMP] * ti.sqrt(sn * ms) * vn, 0.0)  # no damping pull-back
        st = 8.0 * g_star * sq
        h_t = _to_plane(h_t, n) + vt * dt
        ft = -st * h_t - prm[P_DAMP] * ti.sqrt(st * ms) * vt
        flim = mu * (fn + coh)  # adhesion adds to the load friction acts on
        ftn = ft.norm()
        if ftn > flim:
            ft = ft * (flim / ti.max(ftn, _TINY))
            h_t = -ft / st
        kr = 0.0
        if ti.static(use_roll):
            kr = 2.25 * sn * mur * mur * Rs * Rs
            h_r = _to_plane(h_r, n) - kr * wroll * dt
            mmax = mur * Rs * (fn + coh)
            hrn = h_r.norm()
            if hrn > mmax:
                h_r = h_r * (mmax / ti.max(hrn, _TINY))
                mr = h_r  # fully mobilised: no damping (Ai et al. 2011, f = 0)
            else:
                mr = h_r - prm[P_ETAR] * 2.0 * ti.sqrt(Ir * kr) * wroll
        fnv = (coh - fn) * n
        if ti.static(use_qs):
            sk = ti.Vector([sn + st, 0.0, st, kr])
    else:
        h_t = ti.Vector([0.0, 0.0, 0.0])
        h_r = ti.Vector([0.0, 0.0, 0.0])
        fnv = coh * n
    return fnv, ft, mr, h_t, h_r, neck, sk


@ti.func
def _gershgorin(sk, r):
    """A contact's share of a grain's Gershgorin row sums (stiffness [N/m], dashpot [N s/m],
    rotational stiffness [N m], rotational dashpot [N m s]) for the grain's radius r, from the
    raw terms of :func:`_contact`: (S_n + S_t, 2 c_v, S_t, k_r or 2 c_v x^2)."""
    out = ti.Vector([sk[0], sk[1], sk[2] * r * r + sk[3], 0.0])
    if sk[1] > 0.0:  # a viscous neck
        out = ti.Vector([0.0, sk[1], 0.0, sk[1] * r * r + sk[3]])
    return out


@ti.func
def _box_contact(p, lo, hi):
    """Gap [m] from point p to an axis-aligned box and the unit normal from p towards the box."""
    q = ti.math.clamp(p, lo, hi)
    d = q - p
    dist = d.norm()
    n = ti.Vector([0.0, 0.0, -1.0])
    gap = dist
    if dist > _TINY:
        n = d / dist
    else:
        # centre inside the box: leave through the nearest face
        best = 1e30
        for a in ti.static(range(3)):
            dl = p[a] - lo[a]
            if dl < best:
                best = dl
                n = ti.Vector([0.0, 0.0, 0.0])
                n[a] = 1.0
            dh = hi[a] - p[a]
            if dh < best:
                best = dh
                n = ti.Vector([0.0, 0.0, 0.0])
                n[a] = -1.0
        gap = -best
    return gap, n


@ti.func
def _step_body(x: ti.template(), v: ti.template(), w: ti.template(), f: ti.template(), tq: ti.template(),
               pm: ti.template(), sums: ti.template(), active: ti.template(), x_ref: ti.template(),
               temp: ti.template(), nbr: ti.template(), nnbr: ti.template(), ht: ti.template(), hr: ti.template(),
               neck: ti.template(), walls: ti.template(), wht: ti.template(), whr: ti.template(),
               eta_tab: ti.template(), prm: ti.template(), stat: ti.template(), dt, half_skin, mode,
               use_coh: ti.template(), use_sinter: ti.template(), use_roll: ti.template(), use_qs: ti.template()):
    """One velocity-Verlet step (kick-drift, forces, kick); mode 1 only evaluates forces.

    Sets ``stat[0]`` to 1 when some grain moved more than ``half_skin`` since the last
    neighbour-list build (the list must be rebuilt before the next step); ``stat[2]`` counts grains
    removed below the kill plane. Nothing is returned, so launching a step needs no read back.

    Forces: gravity and the walls per grain, then each listed pair once (half list, j > i) with
    Newton's third law - the partner's share is added atomically. The ``use_*`` template flags
    select the contact-model branches at compile time.
    """
    n_p = x.shape[0]
    for _ in range(1):
        if stat[3] != 0:
            stat[4] += 1  # lists too short (see build_neighbours): this step is skipped
    for i in range(n_p):
        if stat[3] == 0 and mode == 0 and active[i] != 0:
            v[i] += 0.5 * dt * f[i] / pm[i][2]
            w[i] += 0.5 * dt * tq[i] / pm[i][3]
            x[i] += dt * v[i]
            if (x[i] - x_ref[i]).norm_sqr() > half_skin * half_skin:
                stat[0] = 1
            if x[i][2] < prm[P_ZKILL]:
                active[i] = 0
                ti.atomic_add(stat[2], 1)
    for k in range(walls.shape[0]):
        if stat[3] == 0 and mode == 0:
            walls[k, 0] += dt * walls[k, 2]
            walls[k, 1] += dt * walls[k, 2]
    g = ti.Vector([prm[P_GX], prm[P_GY], prm[P_GZ]])
    for i in range(n_p):  # own forces: gravity and walls (plain writes)
        fi = ti.Vector([0.0, 0.0, 0.0])
        ti_ = ti.Vector([0.0, 0.0, 0.0])
        sk = ti.Vector([0.0, 0.0, 0.0, 0.0])
        if stat[3] != 0:
            fi = f[i]
            ti_ = tq[i]
        elif active[i] != 0:
            ri = pm[i][0]
            mi = pm[i][1]
            ii = 0.4 * mi * ri * ri
            fi = mi * g
            for k in range(walls.shape[0]):
                gap, n = _box_contact(x[i], walls[k, 0], walls[k, 1])
                gap -= ri
                vrel = v[i] - walls[k, 2] + (ri * w[i]).cross(n)
                wp = walls[k, 3]
                fnv, ft, mr, h1, h2, nk, s4 = _contact(
                    n, gap, vrel, w[i], ri, ri, pm[i][2], ii + mi * ri * ri, temp[i], wht[i, k], whr[i, k], 0.0,
                    prm[P_ESTAR_W], prm[P_GSTAR_W], wp[0], wp[1], wp[2] > 0.0, prm, eta_tab, dt,
                    use_coh, False, use_roll, use_qs)
                wht[i, k] = h1
                whr[i, k] = h2
                fi += fnv + ft
                ti_ += (ri * n).cross(ft) + mr
                if ti.static(use_qs):
                    sk += _gershgorin(s4, ri)
        f[i] = fi
        tq[i] = ti_
        if ti.static(use_qs):
            sums[i] = sk
    for i in range(n_p):  # pairs, each once: i's share summed locally, j's added atomically
        if stat[3] == 0 and active[i] != 0 and nnbr[i] > 0:
            ri = pm[i][0]
            mi = pm[i][1]
            mei = pm[i][2]
            ii = 0.4 * mi * ri * ri
            xi = x[i]
            vi = v[i]
            wi = w[i]
            fi = ti.Vector([0.0, 0.0, 0.0])
            ti_ = ti.Vector([0.0, 0.0, 0.0])
            sk = ti.Vector([0.0, 0.0, 0.0, 0.0])
            for kk in range(nnbr[i]):
                j = nbr[i, kk]
                if active[j] == 0:
                    ht[i, kk] = ti.Vector([0.0, 0.0, 0.0])
                    if ti.static(use_roll):
                        hr[i, kk] = ti.Vector([0.0, 0.0, 0.0])
                    if ti.static(use_sinter):
                        neck[i, kk] = 0.0
                else:
                    dx = x[j] - xi
                    dist = ti.max(dx.norm(), _TINY)
                    gap = dist - ri - pm[j][0]
                    nk0 = 0.0
                    if ti.static(use_sinter):
                        nk0 = neck[i, kk]
                    touching = gap < 0.0 or nk0 > 0.0
                    if ti.static(use_coh):
                        touching = touching or gap < prm[P_DCUT]
                    if ti.static(use_sinter):
                        touching = touching or gap < prm[P_BOND_GAP] * ri
                    if not touching:  # listed but apart: only the history is cleared
                        ht[i, kk] = ti.Vector([0.0, 0.0, 0.0])
                        if ti.static(use_roll):
                            hr[i, kk] = ti.Vector([0.0, 0.0, 0.0])
                    else:
                        n = dx / dist
                        rj = pm[j][0]
                        mj = pm[j][1]
                        mej = pm[j][2]
                        rs = ri * rj / (ri + rj)
                        ms = mei * mej / (mei + mej)
                        ij = 0.4 * mj * rj * rj
                        ir = 1.0 / (1.0 / (ii + mi * ri * ri) + 1.0 / (ij + mj * rj * rj))
                        wj = w[j]
                        vrel = vi - v[j] + (ri * wi + rj * wj).cross(n)
                        h_r0 = ti.Vector([0.0, 0.0, 0.0])
                        if ti.static(use_roll):
                            h_r0 = hr[i, kk]
                        tc = 0.0
                        if ti.static(use_sinter):
                            tc = 0.5 * (temp[i] + temp[j])
                        fnv, ft, mr, h1, h2, nk, s4 = _contact(
                            n, gap, vrel, wi - wj, ri, rs, ms, ir, tc, ht[i, kk], h_r0, nk0,
                            prm[P_ESTAR], prm[P_GSTAR], prm[P_MU], prm[P_MUR], True, prm, eta_tab, dt,
                            use_coh, use_sinter, use_roll, use_qs)
                        ht[i, kk] = h1
                        if ti.static(use_roll):
                            hr[i, kk] = h2
                        if ti.static(use_sinter):
                            neck[i, kk] = nk
                        fij = fnv + ft
                        fi += fij
                        ti_ += (ri * n).cross(ft) + mr
                        f[j] -= fij  # Newton's third law (atomic)
                        tq[j] += (rj * n).cross(ft) - mr
                        if ti.static(use_qs):
                            sk += _gershgorin(s4, ri)
                            sums[j] += _gershgorin(s4, rj)
            f[i] += fi
            tq[i] += ti_
            if ti.static(use_qs):
                sums[i] += sk
    for i in range(n_p):
        if stat[3] == 0 and active[i] != 0:
            ri = pm[i][0]
            mi = pm[i][1]
            ii = 0.4 * mi * ri * ri
            me = mi
            ie = ii
            if ti.static(use_qs):
                s = sums[i]
                if s[1] == 0.0:
                    # Cundall's (1987) local damping for grains without viscous necks (those are
                    # overdamped already): removes kinetic energy in a quasi-static run without
                    # slowing steady creep (it vanishes with the net force)
                    al = prm[P_QS_DAMP]
                    f[i] -= al * ti.abs(f[i]) * ti.math.sign(v[i])
                    tq[i] -= al * ti.abs(tq[i]) * ti.math.sign(w[i])
                # Gershgorin bound on the stiffness/damping matrices: an explicit step with these
                # masses is stable whatever dt (dynamic relaxation, Underwood 1983); a grain with
                # no contact yet still moves at most P_QS_STEP r per step
                b = prm[P_QS_BETA]
                dx = prm[P_QS_STEP] * ri
                bv = prm[P_QS_BETA_VISC]
                me = ti.max(mi, b * dt * dt * s[0] + bv * dt * s[1], f[i].norm() * dt * dt / dx)
                ie = ti.max(ii, b * dt * dt * s[2] + bv * dt * s[3], tq[i].norm() * dt * dt / prm[P_QS_STEP])
                pm[i][2] = me
                pm[i][3] = ie
            if mode == 0:
                v[i] += 0.5 * dt * f[i] / me
                w[i] += 0.5 * dt * tq[i] / ie


@ti.kernel
def dem_step(x: ti.types.ndarray(), v: ti.types.ndarray(), w: ti.types.ndarray(), f: ti.types.ndarray(),
             tq: ti.types.ndarray(), pm: ti.types.ndarray(), sums: ti.types.ndarray(),
             active: ti.types.ndarray(), x_ref: ti.types.ndarray(), temp: ti.types.ndarray(),
             nbr: ti.types.ndarray(), nnbr: ti.types.ndarray(), ht: ti.types.ndarray(),
             hr: ti.types.ndarray(), neck: ti.types.ndarray(), walls: ti.types.ndarray(),
             wht: ti.types.ndarray(), whr: ti.types.ndarray(), eta_tab: ti.types.ndarray(),
             prm: ti.types.ndarray(), stat: ti.types.ndarray(), dt: float, half_skin: float,
             mode: ti.i32, use_coh: ti.template(), use_sinter: ti.template(), use_roll: ti.template(),
             use_qs: ti.template()):
    """One velocity-Verlet step: :func:`_step_body` (one launch per step, every loop parallel)."""
    _step_body(x, v, w, f, tq, pm, sums, active, x_ref, temp, nbr, nnbr, ht, hr, neck, walls, wht, whr, eta_tab,
               prm, stat, dt, half_skin, mode, use_coh, use_sinter, use_roll, use_qs)


@ti.func
def _cell_of(p, lo, inv_h, dims):
    c = ti.Vector([0, 0, 0])
    for a in ti.static(range(3)):
        c[a] = ti.math.clamp(ti.cast(ti.floor((p[a] - lo[a]) * inv_h), ti.i32), 0, dims[a] - 1)
    return c


@ti.func
def _build_body(x: ti.template(), pm: ti.template(), active: ti.template(), x_ref: ti.template(),
                cell_id: ti.template(), rank: ti.template(), cell_count: ti.template(), cell_start: ti.template(),
                sorted_ids: ti.template(), block_sum: ti.template(), nbr: ti.template(), nnbr: ti.template(),
                ht: ti.template(), hr: ti.template(), neck: ti.template(), nbr_s: ti.template(),
                nnbr_s: ti.template(), ht_s: ti.template(), hr_s: ti.template(), neck_s: ti.template(),
                stat: ti.template(), lo, cell_h, dims, reach, force):
    """Cell-list counting sort, then a half Verlet list (partners j > i closer than r_i + r_j + reach).

    Launched before every step; it does the work only when ``force`` is set or a grain has moved
    half the skin (``stat[0]``, set by :func:`dem_step`), so the host never has to read a flag back
    to decide. The counting sort is linear in N: atomic counts per cell (the returned old count is
    each grain's rank in its cell), a blocked exclusive scan of the counts, a scatter; partners are
    then visited cell by cell (memory order of the sorted cells). ``cell_h`` must be at least
    2 r_max + reach so partners lie in the 27 surrounding cells. The list is built into the spare
    arrays (``*_s``) with the contact history carried over, then copied into the live ones. If a
    grain has more partners than slots, the live list is left untouched, ``stat[3]`` is set and
    :func:`dem_step` skips steps (counted in ``stat[4]``) until the host has enlarged the lists.
    ``stat[1]``: largest partner count of the last build; ``stat[6]``: number of builds.
    """
    n_p = x.shape[0]
    n_c = cell_count.shape[0]
    n_b = block_sum.shape[0]
    blk = (n_c + n_b - 1) // n_b
    kmax = nbr.shape[1]
    inv_h = 1.0 / cell_h
    for _ in range(1):
        stat[5] = 0
        if stat[3] == 0 and (force != 0 or stat[0] != 0):
            stat[5] = 1
            stat[1] = 0
    for c in range(n_c):
        if stat[5] != 0:
            cell_count[c] = 0
    for i in range(n_p):
        if stat[5] != 0 and active[i] != 0:
            c = _cell_of(x[i], lo, inv_h, dims)
            cid = (c[0] * dims[1] + c[1]) * dims[2] + c[2]
            cell_id[i] = cid
            rank[i] = ti.atomic_add(cell_count[cid], 1)
    for b in range(n_b):
        if stat[5] != 0:
            s = 0
            for c in range(b * blk, ti.min((b + 1) * blk, n_c)):
                s += cell_count[c]
            block_sum[b] = s
    for _ in range(1):  # serial scan over the (few) blocks
        if stat[5] != 0:
            acc = 0
            for b in range(n_b):
                s = block_sum[b]
                block_sum[b] = acc
                acc += s
            cell_start[n_c] = acc
    for b in range(n_b):
        if stat[5] != 0:
            acc = block_sum[b]
            for c in range(b * blk, ti.min((b + 1) * blk, n_c)):
                cell_start[c] = acc
                acc += cell_count[c]
    for i in range(n_p):
        if stat[5] != 0 and active[i] != 0:
            sorted_ids[cell_start[cell_id[i]] + rank[i]] = i
    for i in range(n_p):
        if stat[5] != 0:
            cnt = 0
            if active[i] != 0:
                ri = pm[i][0]
                xi = x[i]
                c0 = _cell_of(xi, lo, inv_h, dims)
                for ox, oy, oz in ti.ndrange((-1, 2), (-1, 2), (-1, 2)):
                    cx = c0[0] + ox
                    cy = c0[1] + oy
                    cz = c0[2] + oz
                    if 0 <= cx < dims[0] and 0 <= cy < dims[1] and 0 <= cz < dims[2]:
                        cid = (cx * dims[1] + cy) * dims[2] + cz
                        for s in range(cell_start[cid], cell_start[cid] + cell_count[cid]):
                            j = sorted_ids[s]
                            cut = ri + pm[j][0] + reach
                            if j > i and (x[j] - xi).norm_sqr() < cut * cut:  # half list: each pair once
                                if cnt < kmax:
                                    nbr_s[i, cnt] = j
                                    h1 = ti.Vector([0.0, 0.0, 0.0])
                                    h2 = ti.Vector([0.0, 0.0, 0.0])
                                    nk = 0.0
                                    for kk in range(nnbr[i]):
                                        if nbr[i, kk] == j:
                                            h1 = ht[i, kk]
                                            h2 = hr[i, kk]
                                            nk = neck[i, kk]
                                    ht_s[i, cnt] = h1
                                    hr_s[i, cnt] = h2
                                    neck_s[i, cnt] = nk
                                cnt += 1
            nnbr_s[i] = ti.min(cnt, kmax)
            ti.atomic_max(stat[1], cnt)
    for _ in range(1):
        if stat[5] != 0 and stat[1] > kmax:
            stat[3] = 1  # too few slots: keep the live list, freeze the steps
            stat[5] = 0
    for i in range(n_p):  # adopt the new list (only its filled slots are copied)
        if stat[5] != 0:
            m = nnbr_s[i]
            nnbr[i] = m
            for kk in range(m):
                nbr[i, kk] = nbr_s[i, kk]
                ht[i, kk] = ht_s[i, kk]
                hr[i, kk] = hr_s[i, kk]
                neck[i, kk] = neck_s[i, kk]
            x_ref[i] = x[i]
    for _ in range(1):
        if stat[5] != 0:
            stat[0] = 0
            stat[6] += 1


@ti.kernel
def build_neighbours(x: ti.types.ndarray(), pm: ti.types.ndarray(), active: ti.types.ndarray(),
                     x_ref: ti.types.ndarray(), cell_id: ti.types.ndarray(), rank: ti.types.ndarray(),
                     cell_count: ti.types.ndarray(), cell_start: ti.types.ndarray(),
                     sorted_ids: ti.types.ndarray(), block_sum: ti.types.ndarray(),
                     nbr: ti.types.ndarray(), nnbr: ti.types.ndarray(), ht: ti.types.ndarray(),
                     hr: ti.types.ndarray(), neck: ti.types.ndarray(), nbr_s: ti.types.ndarray(),
                     nnbr_s: ti.types.ndarray(), ht_s: ti.types.ndarray(), hr_s: ti.types.ndarray(),
                     neck_s: ti.types.ndarray(), stat: ti.types.ndarray(), lo: ti.math.vec3, cell_h: float,
                     dims: ti.math.ivec3, reach: float, force: ti.i32):
    """The neighbour-list build :func:`_build_body` as one launch (every loop parallel)."""
    _build_body(x, pm, active, x_ref, cell_id, rank, cell_count, cell_start, sorted_ids, block_sum, nbr, nnbr, ht,
                hr, neck, nbr_s, nnbr_s, ht_s, hr_s, neck_s, stat, lo, cell_h, dims, reach, force)


@ti.kernel
def dem_run_serial(x: ti.types.ndarray(), v: ti.types.ndarray(), w: ti.types.ndarray(), f: ti.types.ndarray(),
                   tq: ti.types.ndarray(), pm: ti.types.ndarray(), sums: ti.types.ndarray(),
                   active: ti.types.ndarray(), x_ref: ti.types.ndarray(), temp: ti.types.ndarray(),
                   nbr: ti.types.ndarray(), nnbr: ti.types.ndarray(), ht: ti.types.ndarray(),
                   hr: ti.types.ndarray(), neck: ti.types.ndarray(), walls: ti.types.ndarray(),
                   wht: ti.types.ndarray(), whr: ti.types.ndarray(), eta_tab: ti.types.ndarray(),
                   prm: ti.types.ndarray(), stat: ti.types.ndarray(), cell_id: ti.types.ndarray(),
                   rank: ti.types.ndarray(), cell_count: ti.types.ndarray(), cell_start: ti.types.ndarray(),
                   sorted_ids: ti.types.ndarray(), block_sum: ti.types.ndarray(), nbr_s: ti.types.ndarray(),
                   nnbr_s: ti.types.ndarray(), ht_s: ti.types.ndarray(), hr_s: ti.types.ndarray(),
                   neck_s: ti.types.ndarray(), lo: ti.math.vec3, cell_h: float, dims: ti.math.ivec3, reach: float,
                   dt: float, half_skin: float, n_steps: ti.i32, mode: ti.i32, use_coh: ti.template(),
                   use_sinter: ti.template(), use_roll: ti.template(), use_qs: ti.template()):
    """``n_steps`` steps in one launch on one thread: before each step the list is rebuilt if a grain
    has moved half the skin (:func:`_build_body` decides, as on a GPU), then :func:`_step_body`.

    For up to a few thousand grains on a CPU a launch costs more than the work of a step: the host
    packs some twenty arrays into its arguments and each of the step's parallel loops wakes the
    thread pool: 1.3 ms a step for 700 grains on two cores, where the same steps take 0.44 ms back to
    back in one serial loop (benchmarks/particles.py). The host reads ``stat`` once, at the end (a
    list that ran out of slots freezes the remaining steps, which the host redoes, as on a GPU).
    ``mode`` is :func:`_step_body`'s (1: forces only, the priming before the first kick), so a serial run
    compiles no per-step kernel.
    """
    ti.loop_config(serialize=True)
    for _ in range(n_steps):
        _build_body(x, pm, active, x_ref, cell_id, rank, cell_count, cell_start, sorted_ids, block_sum, nbr, nnbr,
                    ht, hr, neck, nbr_s, nnbr_s, ht_s, hr_s, neck_s, stat, lo, cell_h, dims, reach, 0)
        _step_body(x, v, w, f, tq, pm, sums, active, x_ref, temp, nbr, nnbr, ht, hr, neck, walls, wht, whr,
                   eta_tab, prm, stat, dt, half_skin, mode, use_coh, use_sinter, use_roll, use_qs)
