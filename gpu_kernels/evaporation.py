"""Evaporation kernel: mass and latent heat leaving the exposed faces of hot material.

The vapour over a silicate melt is first its alkalis (Na, K with O2: Fegley, Schaefer & Kargel 2003,
LPSC XXXIV #1686; Schaefer & Fegley 2004, Icarus 169:216), then, once they are spent, the refractory
species (SiO, Fe, Mg, O2). Two vapour sources are therefore kept per cell, each with a
Clausius-Clapeyron pressure p_s(T) = exp(A_s - B_s/T):

- the alkalis, whose pressure falls with what is left of the cell's alkali inventory w (a mass
  fraction of the cell): p_1 = p_1(T) r^0.4, r = 1 - lost/(w m), the activity dependence of the
  congruent reaction Na2O(melt) = 2 Na(g) + 1/2 O2(g) (p_total^2.5 proportional to a_Na2O, taken
  proportional to its mole fraction); the cell never loses more than its inventory;
- the refractory rest, not depleted.

Per exposed face (towards a void cell or the top of the domain) each source evaporates by the
Hertz-Knudsen-Langmuir flux (Hertz 1882; Knudsen 1915; Langmuir 1913)

    J_HKL = alpha_e p_s sqrt(M_s / (2 pi R T))                          [kg/(m^2 s)]

in series, under a gas of pressure P, with the diffusion-limited flux through the boundary layer with
its Stefan flow, J_D = h_m (M_s P / (R T)) ln(1 / (1 - p_s/P)) (Bird, Stewart & Lightfoot 2002, Transport
Phenomena, Sec. 19.4 and 22.8; h_m [m/s] the mass-transfer coefficient, the larger of the Chilton-Colburn
analogy with the convection coefficient, Chilton & Colburn 1934, Ind. Eng. Chem. 26:1183, and diffusion from the
hot spot into still gas, regolith_sim.thermal.evaporation.spot_mass_transfer): J = 1 / (1/J_HKL + 1/J_D).
J_D grows without bound as p_s reaches P, so a melt under a gas cannot pass its boiling point; in vacuum
(h_m = 0), and at or above boiling, J = J_HKL.

The heat sink sum_s L_s J_s per face is taken implicitly (a backward-Euler step of the sink alone): from
h*, the enthalpy the other fluxes of the step left, the end temperature solves
M (h* - h(T)) = n A dt sum_s L_s J_s(T) (M the cell's mass, n its exposed faces) by Newton's method
safeguarded by bisection (the right side increases with T, and jumps at the boiling point under a gas).
That is unconditionally stable at the explicit step of conduction and at the
implicit cool-down step, and a steady surface settles exactly where the evaporation balances its other
fluxes. The cell keeps its mass (the evaporated mass, a few per cent at most while alkalis dominate,
is booked in ``mass_lost``), so only the latent heat leaves the enthalpy and the energy ledger closes
to round-off. The exposed cell stands for the receding surface: what it loses beyond its own mass came from
the material under it (:func:`regolith_sim.outcomes.body.kept_after_evaporation` takes it from there; a run
whose surface recedes through a whole column stops: ``Simulation``).

Inside the material, where no face is exposed, a melt hotter than its boiling point boils: a vapour bubble
grows once its pressure exceeds the liquid's, the gas pressure plus the Laplace pressure 2 gamma/r of a
bubble nucleus of radius r (Young-Laplace; Brennen 1995, Cavitation and Bubble Dynamics, Sec. 1.3), r taken
as the pores of the powder the melt came from (half its median grain size). So no cell stays above the
boiling point T_b,s = B_s/(A_s - ln P_b) of a vapour it still holds: the heat above it leaves as that
vapour's latent heat (:func:`boil_cell`), the alkalis first (their boiling point is lower) as far as the
cell's inventory goes, then the refractory rest, the mass booked in ``mass_lost``. The bubbles are taken
to leave the melt within the step (the escape of vapour, and the vesicles it leaves, are not modelled
here: :mod:`regolith_sim.outcomes.body`). Applied after each cell's update, exposed cells included.

``par`` packs the run's constants (one array argument instead of thirteen): see :data:`PARAMS`. The sink is
applied per cell by :func:`evaporate_cell`, from inside ``thermal.diffuse``: an exposed cell evaporates right
after its own conduction update, so evaporation needs no pass over the grid of its own.
"""
from gpu_kernels import backend
from gpu_kernels.backend import ti
from gpu_kernels.lookup import table_lookup

#: Layout of the ``par`` array. Per source s = 1 (alkalis), 2 (refractory): ln of the vapour-pressure
#: prefactor [ln Pa], B [K], alpha_e sqrt(M/(2 pi R)) [sqrt(kg K/J)], M/R [kg K/J], latent heat [J/kg];
#: then h_m [m/s], the alkali inventory [mass fraction], and the temperature below which both fluxes
#: are taken as nil [K] (saves the exp in cold cells), the gas pressure [Pa], and the boiling points [K] of
#: the two vapours inside the melt (module docstring).
PARAMS = ("ln_A1", "B1_K", "hkl1", "M1_over_R", "L1_J_kg", "ln_A2", "B2_K", "hkl2", "M2_over_R", "L2_J_kg",
          "h_mass_m_s", "alkali_fraction", "T_min_K", "gas_pressure_Pa", "T_boil1_K", "T_boil2_K")
P_T_BOIL_ALKALI, P_T_BOIL_REFRACTORY = 14, 15
LEDGER_EVAPORATED = 5
NEWTON_ITERATIONS = 24
#: Exponent of the remaining alkali fraction in the alkali vapour pressure (see the module docstring).
ALKALI_ACTIVITY_EXPONENT = 0.4


@ti.func
def source_flux(t, scale, par: ti.template(), s: ti.template()):
    """(J [kg/(m^2 s)], dJ/dT) of vapour source s (0 or 5: the offset of its constants) at temperature t,
    its pressure scaled by ``scale``."""
    p_v = scale * backend.exp(par[s] - par[s + 1] / t)
    j = par[s + 2] * p_v / ti.sqrt(t)
    dj = j * (par[s + 1] / (t * t) - 0.5 / t)
    x = p_v / ti.max(par[13], 1e-30)
    if par[10] > 0.0 and x < 1.0 and p_v > 0.0:
        # in series with diffusion through the gas, Stefan flow included (module docstring)
        g = par[10] * par[s + 3] * par[13] / t
        jd = g * -backend.log(1.0 - x)
        djd = -jd / t + g * x * par[s + 1] / (t * t * (1.0 - x))
        tot = j + jd
        dj = (jd * jd * dj + j * j * djd) / (tot * tot)
        j = j * jd / tot
    return j, dj


@ti.func
def evaporate_cell(h: ti.template(), mass: ti.template(), mass_lost: ti.template(), alkali_lost: ti.template(),
                   T_of_h: ti.template(), h_of_T: ti.template(), cp_of_T: ti.template(), par: ti.template(),
                   i, j, k, n, h0, inv_dh, hT0, inv_hdT, T0, inv_dT, dt, dx, rho_p):
    """Remove the evaporation heat of one step dt [s] from cell (i, j, k) with ``n`` > 0 exposed faces, from
    the enthalpy the step's other fluxes left in ``h`` (a source may have just heated a cold cell); add the
    evaporated mass (a fraction of a full-density cell's mass) to ``mass_lost``, its alkali share to
    ``alkali_lost``; return the latent heat taken [J] for ``ledger[LEDGER_EVAPORATED]``. Called by
    ``thermal.diffuse`` right after the cell's own update (it alone writes that cell), so it costs no pass
    of its own; the exposed faces are those ``diffuse`` counts (towards k = 0 cells and the top of the domain)."""
    e = 0.0
    t = table_lookup(T_of_h, h0, inv_dh, h[i, j, k])
    if t >= par[12]:
        face = dx * dx
        m = mass[i, j, k]
        inventory = par[11] * m
        left = ti.max(inventory - alkali_lost[i, j, k], 0.0)
        scale = 0.0
        if left > 0.0:
            scale = backend.exp(ALKALI_ACTIVITY_EXPONENT * backend.log(left / inventory))
        cell = m * rho_p * face * dx  # kg
        h_star = h[i, j, k]
        per_flux = n * face * dt  # kg per unit of J
        # f(T) = M (h* - h(T)) - sink(T) falls with T; f(t) <= 0 and f(lo) > 0 bracket the root.
        # Newton steps inside the bracket, bisection otherwise (the flux jumps up at the boiling
        # point under a gas).
        lo, hi, tn = par[12], t, t
        for _ in range(NEWTON_ITERATIONS):
            j1, d1 = source_flux(tn, scale, par, 0)
            j2, d2 = source_flux(tn, 1.0, par, 5)
            carried = per_flux * (par[4] * j1 + par[9] * j2)  # J the vapours take at tn
            f = cell * (h_star - table_lookup(h_of_T, hT0, inv_hdT, tn)) - carried
            if f > 0.0:
                lo = tn
            else:
                hi = tn
            cap = cell * table_lookup(cp_of_T, T0, inv_dT, tn)
            step = tn + f / (cap + per_flux * (par[4] * d1 + par[9] * d2))
            # from above the root Newton falls towards it; from below (past a jump) it would climb back
            tn = step if f <= 0.0 and lo < step < hi else 0.5 * (lo + hi)
        j1, _ = source_flux(hi, scale, par, 0)
        j2, _ = source_flux(hi, 1.0, par, 5)
        # the implicit step removes M (h* - h(T)), no more than the fluxes just above the root carry (at a
        # jump they carry more: the surface then holds at the boiling point); it is shared between the
        # vapours as those fluxes, and the alkalis cannot give more than is left
        sink = par[4] * j1 + par[9] * j2
        e = ti.min(ti.max(cell * (h_star - table_lookup(h_of_T, hT0, inv_hdT, tn)), 0.0), per_flux * sink)
        m1, m2 = 0.0, 0.0
        if sink > 0.0:
            m1 = ti.min(e * j1 / sink / (rho_p * face * dx), left)
            m2 = e * j2 / sink / (rho_p * face * dx)
        e = (par[4] * m1 + par[9] * m2) * rho_p * face * dx
        h[i, j, k] -= e / (m * rho_p * face * dx)
        alkali_lost[i, j, k] += m1
        mass_lost[i, j, k] += m1 + m2
    return e


@ti.func
def boiling_enthalpies(h_of_T: ti.template(), par: ti.template(), hT0, inv_hdT):
    """(h at the alkalis' boiling point, h at the refractory vapour's) [J/kg]: what ``boil_cell`` compares with."""
    return (table_lookup(h_of_T, hT0, inv_hdT, par[P_T_BOIL_ALKALI]),
            table_lookup(h_of_T, hT0, inv_hdT, par[P_T_BOIL_REFRACTORY]))


@ti.func
def boil_cell(h: ti.template(), mass: ti.template(), mass_lost: ti.template(), alkali_lost: ti.template(),
              par: ti.template(), i, j, k, h_b1, h_b2, dx, rho_p):
    """Boil off the heat cell (i, j, k) holds above the boiling point of its vapours (enthalpies ``h_b1``,
    ``h_b2``; module docstring): the alkalis take what lies above h_b1 up to the latent heat of the inventory
    left, the refractory vapour what then still lies above h_b2. Books the vapour in ``mass_lost`` (and
    ``alkali_lost``) and returns the heat taken [J] for ``ledger[LEDGER_EVAPORATED]`` (0 at or below the lower
    of the two: then nothing is read or written but the cell's enthalpy)."""
    e = 0.0
    hc = h[i, j, k]
    if hc > ti.min(h_b1, h_b2):
        m = mass[i, j, k]
        full = rho_p * dx * dx * dx  # kg of a full-density cell: mass fractions are of it
        cell = m * full
        left = ti.max(par[11] * m - alkali_lost[i, j, k], 0.0)
        e1 = ti.max(ti.min(cell * (hc - h_b1), left * full * par[4]), 0.0)
        hc -= e1 / cell
        e2 = ti.max(cell * (hc - h_b2), 0.0)
        hc -= e2 / cell
        m1 = e1 / (par[4] * full)
        m2 = e2 / (par[9] * full)
        alkali_lost[i, j, k] += m1
        # every joule of vapour heat is booked as vapour mass, also past the cell's own mass: the cell stands for
        # the cavity's wall, which boils on into the material around it (regolith_sim.outcomes.body takes what a
        # cell lost beyond its mass from the cells under it)
        mass_lost[i, j, k] += m1 + m2
        h[i, j, k] = hc
        e = e1 + e2
    return e
