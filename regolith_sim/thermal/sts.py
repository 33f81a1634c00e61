"""Coefficients of the second-order Runge-Kutta-Legendre super-time-step (RKL2: Meyer, Balsara & Aslam 2012,
MNRAS 422:2102; 2014, J. Comput. Phys. 257:594, Eq. 16-18), with the weights that make its ledger exact.

An s-stage RKL2 step of dt is stable for dt <= dt_FE (s^2 + s - 2) / 4, dt_FE the forward-Euler limit: s
sweeps instead of about (s^2 + s - 2) / 4 of them. The kernel is ``gpu_kernels.thermal.sts_stage``
(and ``rough_step``); :meth:`regolith_sim.thermal.solver.ThermalSolver.step_sts` drives them."""
from __future__ import annotations

import math

import numpy as np

#: the fewest stages of a super-time-step (s = 2 is no longer than an Euler step)
MIN_STAGES = 3


def stages_for(ratio: float) -> int:
    """Fewest stages s >= MIN_STAGES with (s^2 + s - 2) / 4 >= ratio (= dt / dt_FE)."""
    s = math.ceil((-1.0 + math.sqrt(9.0 + 16.0 * max(ratio, 0.0))) / 2.0)
    while (s * s + s - 2) / 4.0 < ratio:  # guard the square root's rounding
        s += 1
    return max(s, MIN_STAGES)


def reach(s: int) -> float:
    """dt / dt_FE an s-stage step is stable for: (s^2 + s - 2) / 4."""
    return (s * s + s - 2) / 4.0


def coefficients(s: int) -> np.ndarray:
    """Rows 0..s of (mu, nu, mu~, gamma~, W): row j holds stage j's coefficients (row 0 none) and W_j, the
    weight of M(Y_j) in Y_s = Y_0 + dt sum_j W_j M(Y_j) (unrolled from the recurrence; W_s = 0)."""
    if s < 2:
        raise ValueError("an RKL2 step has at least 2 stages")
    w1 = 4.0 / (s * s + s - 2.0)
    b = np.empty(s + 1)
    b[:3] = 1.0 / 3.0
    for j in range(3, s + 1):
        b[j] = (j * j + j - 2.0) / (2.0 * j * (j + 1.0))
    a = 1.0 - b
    out = np.zeros((s + 1, 5))
    out[1, 2] = b[1] * w1
    for j in range(2, s + 1):
        mu = (2.0 * j - 1.0) / j * b[j] / b[j - 1]
        nu = -(j - 1.0) / j * b[j] / b[j - 2]
        out[j, :4] = (mu, nu, mu * w1, -a[j - 1] * mu * w1)
    # Y_j = Y_0 + dt sum_i A[j, i] M(Y_i): the (1 - mu - nu) Y_0 term keeps Y_0's coefficient 1.
    A = np.zeros((s + 1, s + 1))
    A[1, 0] = out[1, 2]
    for j in range(2, s + 1):
        mu, nu, mut, gamt = out[j, :4]
        A[j] = mu * A[j - 1] + nu * A[j - 2]
        A[j, j - 1] += mut
        A[j, 0] += gamt
    out[:, 4] = A[s]
    return out
