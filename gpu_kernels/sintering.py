"""Sintering kernels: per-cell densification from the temperature history.

One pass over the active cells per step. Each cell carries an accumulator ``acc``:

* model 0, viscous sintering: the reduced time tau = int gamma / (eta_eff(T) a) dt, and
  rho = rho0/(1 - 3 tau/8)^3 (Frenkel 1945) below tau_switch, then rho_visc(tau) from a table
  uniform in tau (Mackenzie & Shuttleworth 1949 pore closure); both stages depend on time only
  through tau, so the result holds for any temperature history;
* model 1, master sintering curve (Su & Johnson 1996, J. Am. Ceram. Soc. 79:3211): the work of
  sintering Theta = int (1/T) exp(-Q/(R T)) dt and rho = rho0 + (1 - rho0)/(1 + exp(-(ln Theta - mid)/w)).

Cells colder than ``T_active`` are skipped: below it the accumulator gains too little in 1e7 s
to move the density by 1e-9 (tables.py), which spares the transcendental functions in the cold bulk.
Densification is irreversible, so rho_rel = max(rho_rel, rho(acc)); at or above the liquidus
(or in a MOLTEN cell) the cell is fully dense. The tables are built by regolith_sim.sintering.tables.
"""

from gpu_kernels.backend import ti
from gpu_kernels.thermal import MOLTEN, VOID, table_lookup

MODEL_VISCOUS, MODEL_MASTER_CURVE = 0, 1

nd1 = ti.types.ndarray(ndim=1)
nd3 = ti.types.ndarray(ndim=3)


@ti.kernel
def densify(
    T: nd3, rho_rel: nd3, state: nd3, acc: nd3, rho_before: nd3,
    ln_eta: nd1, T0: float, inv_dT: float, gamma_over_a: float,
    rho_visc: nd1, tau_switch: float, inv_dtau: float,
    q_over_r: float, ln_theta_mid: float, inv_width: float, theta_lo: float,
    model: ti.i32, rho0: float, liquidus: float, T_active: float, dt: float,
):
    """Advance the accumulator of every non-void cell by dt [s] at its current temperature and raise
    its relative density; ``rho_before`` receives the density at entry (for mass-conserving shrinkage)."""
    nx, ny, nz = T.shape[0], T.shape[1], T.shape[2]
    for i, j in ti.ndrange(nx, ny):
        for k in range(nz):
            s = state[i, j, k]
            rb = rho_rel[i, j, k]
            rho_before[i, j, k] = rb
            t = T[i, j, k]
            if s == VOID or (t < T_active and s != MOLTEN):
                continue
            r = rho0
            if t >= liquidus or s == MOLTEN:
                r = 1.0
            elif rb < 1.0:
                a = acc[i, j, k]
                if model == MODEL_VISCOUS:
                    # ln eta is tabulated, not eta: eta spans 30 decades, its log is smooth in T.
                    a += dt * gamma_over_a * ti.exp(-table_lookup(ln_eta, T0, inv_dT, t))
                    if a < tau_switch:
                        c = 1.0 - 0.375 * a
                        r = rho0 / (c * c * c)
                    else:
                        r = table_lookup(rho_visc, tau_switch, inv_dtau, a)
                else:
                    a += dt / t * ti.exp(-q_over_r / t)
                    # below theta_lo the sigmoid is within 1e-9 of rho0: skip its log and exp
                    if a > theta_lo:
                        r = rho0 + (1.0 - rho0) / (1.0 + ti.exp(-(ti.log(a) - ln_theta_mid) * inv_width))
                acc[i, j, k] = a
            rho_rel[i, j, k] = ti.max(rb, r)
