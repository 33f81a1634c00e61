"""Mechanics kernels: small-strain thermo-elasticity on the voxel grid, matrix-free.

Every cell [i, j, k] of edge dx is an 8-node trilinear hexahedron (Zienkiewicz, Taylor & Zhu 2013,
The Finite Element Method: Its Basis and Fundamentals, 7th ed., Sec. 6.5) with nodes on the
(nx+1, ny+1, nz+1) lattice of cell corners; displacements u[I, J, K, c] (c = x, y, z, z up, k
contiguous). Equilibrium div sigma = 0 with the thermo-elastic law (Timoshenko & Goodier 1970,
Theory of Elasticity, 3rd ed., Sec. 149)

    sigma = lambda tr(eps - eps0 I) I + 2 mu (eps - eps0 I),   eps0 = thermal (eigen-)strain of the cell

is discretised by the principle of virtual work, K u = f with K_e = dx (lambda_e KL + mu_e KM) and
f_e = (3 lambda_e + 2 mu_e) eps0_e int grad N_a dV = (3 lambda_e + 2 mu_e) eps0_e dx^2 / 4 (xi_a, eta_a, zeta_a),
where KL, KM are the unit-cube element matrices of the two Lame terms (:func:`element_matrices`,
computed once at import and baked into the compiled kernels as constants).

The products are gathered per node from its (up to) 8 cells, so no atomics: each node's row of K is
the sum over its cells of that cell's 3 x 24 block. A dof whose inverse diagonal ``inv_diag`` is 0 is
fixed (Dirichlet, u = 0) or belongs to no load-bearing cell; the kernels keep it at zero, which makes
K symmetric positive definite on the free dofs for Jacobi-preconditioned conjugate gradients
(Hestenes & Stiefel 1952, J. Res. Natl. Bur. Stand. 49:409; Saad 2003, Iterative Methods for Sparse
Linear Systems, Alg. 9.1).

Scalars are the runtime's default float; nothing here forces f64.
"""

import numpy as np

from gpu_kernels.backend import ti

nd1 = ti.types.ndarray(ndim=1)
nd3 = ti.types.ndarray(ndim=3)
nd4 = ti.types.ndarray(ndim=4)


def element_matrices() -> tuple[np.ndarray, np.ndarray]:
    """Unit-cube trilinear hexahedron: (KL, KM). KL = int B^T (m m^T) B dV and KM = int B^T
    diag(2, 2, 2, 1, 1, 1) B dV (24 x 24, dof 3 a + c, local node a = ax + 2 ay + 4 az, Voigt xx, yy, zz,
    yz, xz, xy with engineering shear) so that K_e = dx (lambda KL + mu KM) for a cell of edge dx;
    2 x 2 x 2 Gauss points integrate these products of linear-in-each-direction gradients exactly."""
    g = 0.5 + 0.5 / np.sqrt(3.0) * np.array([-1.0, 1.0])
    KL, KM = np.zeros((24, 24)), np.zeros((24, 24))
    m = np.array([1.0, 1, 1, 0, 0, 0])
    Dm = np.diag([2.0, 2, 2, 1, 1, 1])
    for x in g:
        for y in g:
            for z in g:
                B = np.zeros((6, 24))
                for a in range(8):
                    s = [(a >> c) & 1 for c in range(3)]
                    f = [(p if si else 1.0 - p) for si, p in zip(s, (x, y, z))]
                    df = [(1.0 if si else -1.0) for si in s]
                    gx, gy, gz = df[0] * f[1] * f[2], f[0] * df[1] * f[2], f[0] * f[1] * df[2]
                    B[0, 3 * a], B[1, 3 * a + 1], B[2, 3 * a + 2] = gx, gy, gz
                    B[3, 3 * a + 1], B[3, 3 * a + 2] = gz, gy
                    B[4, 3 * a], B[4, 3 * a + 2] = gz, gx
                    B[5, 3 * a], B[5, 3 * a + 1] = gy, gx
                w = 1.0 / 8.0
                KL += w * B.T @ np.outer(m, m) @ B
                KM += w * B.T @ Dm @ B
    return KL, KM


_KL, _KM = (mat.tolist() for mat in element_matrices())


@ti.func
def _sign(a, c):
    """+1 if local node a lies on the + side of its cell along axis c, else -1."""
    return 2.0 * ((a >> c) & 1) - 1.0


@ti.kernel
def matvec(u: nd4, out: nd4, lam: nd3, mu: nd3, inv_diag: nd4, dx: float):
    """out = K u on the free dofs, 0 on fixed ones. A cell with mu = 0 is void (carries nothing)."""
    nx, ny, nz = lam.shape[0], lam.shape[1], lam.shape[2]
    for I, J, K in ti.ndrange(nx + 1, ny + 1, nz + 1):
        acc = ti.Vector([0.0, 0.0, 0.0])
        for a in ti.static(range(8)):
            ci, cj, ck = I - (a & 1), J - ((a >> 1) & 1), K - ((a >> 2) & 1)
            if 0 <= ci < nx and 0 <= cj < ny and 0 <= ck < nz:
                m = mu[ci, cj, ck]
                if m > 0.0:
                    l = lam[ci, cj, ck]
                    for b in ti.static(range(8)):
                        ni, nj, nk = ci + (b & 1), cj + ((b >> 1) & 1), ck + ((b >> 2) & 1)
                        for d in ti.static(range(3)):
                            ub = u[ni, nj, nk, d]
                            for c in ti.static(range(3)):
                                acc[c] += (l * ti.static(_KL[3 * a + c][3 * b + d])
                                           + m * ti.static(_KM[3 * a + c][3 * b + d])) * ub
        for c in ti.static(range(3)):
            out[I, J, K, c] = acc[c] * dx if inv_diag[I, J, K, c] != 0.0 else 0.0


@ti.kernel
def diagonal(diag: nd4, lam: nd3, mu: nd3, dx: float):
    """diag = the diagonal of K (all dofs; the caller turns it into inv_diag with the constraints)."""
    nx, ny, nz = lam.shape[0], lam.shape[1], lam.shape[2]
    for I, J, K in ti.ndrange(nx + 1, ny + 1, nz + 1):
        acc = ti.Vector([0.0, 0.0, 0.0])
        for a in ti.static(range(8)):
            ci, cj, ck = I - (a & 1), J - ((a >> 1) & 1), K - ((a >> 2) & 1)
            if 0 <= ci < nx and 0 <= cj < ny and 0 <= ck < nz:
                m = mu[ci, cj, ck]
                if m > 0.0:
                    l = lam[ci, cj, ck]
                    for c in ti.static(range(3)):
                        acc[c] += l * ti.static(_KL[3 * a + c][3 * a + c]) + m * ti.static(_KM[3 * a + c][3 * a + c])
        for c in ti.static(range(3)):
            diag[I, J, K, c] = acc[c] * dx


@ti.kernel
def thermal_load(f: nd4, lam: nd3, mu: nd3, eps0: nd3, inv_diag: nd4, dx: float):
    """f = int B^T D eps0 m dV on the free dofs (0 on fixed ones): the nodal forces of the eigenstrain."""
    nx, ny, nz = lam.shape[0], lam.shape[1], lam.shape[2]
    for I, J, K in ti.ndrange(nx + 1, ny + 1, nz + 1):
        acc = ti.Vector([0.0, 0.0, 0.0])
        for a in ti.static(range(8)):
            ci, cj, ck = I - (a & 1), J - ((a >> 1) & 1), K - ((a >> 2) & 1)
            if 0 <= ci < nx and 0 <= cj < ny and 0 <= ck < nz:
                m = mu[ci, cj, ck]
                if m > 0.0:
                    w = (3.0 * lam[ci, cj, ck] + 2.0 * m) * eps0[ci, cj, ck]
                    for c in ti.static(range(3)):
                        acc[c] += w * _sign(a, c)
        for c in ti.static(range(3)):
            f[I, J, K, c] = acc[c] * 0.25 * dx * dx if inv_diag[I, J, K, c] != 0.0 else 0.0


@ti.kernel
def dot(a: nd4, b: nd4) -> float:
    s = 0.0
    for I in ti.grouped(a):
        s += a[I] * b[I]
    return s


@ti.kernel
def pcg_start(r: nd4, p: nd4, inv_diag: nd4) -> float:
    """p = M^-1 r; returns r . M^-1 r."""
    s = 0.0
    for I in ti.grouped(r):
        z = inv_diag[I] * r[I]
        p[I] = z
        s += r[I] * z
    return s


@ti.kernel
def pcg_update(x: nd4, r: nd4, p: nd4, Ap: nd4, inv_diag: nd4, alpha: float, sums: nd1):
    """x += alpha p, r -= alpha A p; sums[0] = r . M^-1 r, sums[1] = r . r (one pass for both). The sums
    go through kernel-local scalars, which Taichi reduces per thread; adding into sums[] in the loop would
    be one global atomic per dof."""
    rz = 0.0
    rr = 0.0
    for I in ti.grouped(x):
        x[I] += alpha * p[I]
        rn = r[I] - alpha * Ap[I]
        r[I] = rn
        rz += rn * inv_diag[I] * rn
        rr += rn * rn
    sums[0] = rz
    sums[1] = rr


@ti.kernel
def pcg_direction(r: nd4, p: nd4, inv_diag: nd4, beta: float):
    """p = M^-1 r + beta p."""
    for I in ti.grouped(r):
        p[I] = inv_diag[I] * r[I] + beta * p[I]


@ti.kernel
def cell_stress(u: nd4, lam: nd3, mu: nd3, eps0: nd3, stress: nd4, dx: float):
    """Stress at each cell centre, Voigt (xx, yy, zz, yz, xz, xy) [Pa], from the centre strain of the
    trilinear field: grad N_a = (xi_a, eta_a, zeta_a) / (4 dx) there. Void cells (mu = 0) get 0."""
    for i, j, k in ti.ndrange(lam.shape[0], lam.shape[1], lam.shape[2]):
        m = mu[i, j, k]
        g = ti.Matrix.zero(float, 3, 3)  # g[c, d] = d u_c / d x_d
        if m > 0.0:
            for a in ti.static(range(8)):
                ni, nj, nk = i + (a & 1), j + ((a >> 1) & 1), k + ((a >> 2) & 1)
                for c in ti.static(range(3)):
                    uc = u[ni, nj, nk, c]
                    for d in ti.static(range(3)):
                        g[c, d] += uc * _sign(a, d)
            g *= 0.25 / dx
        e0 = eps0[i, j, k]
        tr = g[0, 0] + g[1, 1] + g[2, 2] - 3.0 * e0
        l = lam[i, j, k]
        for c in ti.static(range(3)):
            stress[i, j, k, c] = (l * tr + 2.0 * m * (g[c, c] - e0)) if m > 0.0 else 0.0
        stress[i, j, k, 3] = m * (g[1, 2] + g[2, 1])
        stress[i, j, k, 4] = m * (g[0, 2] + g[2, 0])
        stress[i, j, k, 5] = m * (g[0, 1] + g[1, 0])


# --- general (per Gauss point) eigenstrain: layer-by-layer activation ------------------------------------
# A voxel that joins the body when the body is already deformed starts stress-free in that deformed shape:
# its eigenstrain is the body's strain there at activation (a full tensor, varying inside the element), so
# it is kept at the 8 Gauss points q of each cell, Voigt v (xx, yy, zz, yz, xz, xy, engineering shear), at
# index 6 q + v of a (nx, ny, nz, 48) array.

def gauss_gradients() -> list:
    """G[q][a][d] = d N_a / d x_d at Gauss point q of the unit cube (q = qx + 2 qy + 4 qz)."""
    g = 0.5 + 0.5 / np.sqrt(3.0) * np.array([-1.0, 1.0])
    out = []
    for q in range(8):
        p = [g[(q >> c) & 1] for c in range(3)]
        rows = []
        for a in range(8):
            s = [(a >> c) & 1 for c in range(3)]
            f = [(pc if sc else 1.0 - pc) for sc, pc in zip(s, p)]
            df = [(1.0 if sc else -1.0) for sc in s]
            rows.append([float(df[0] * f[1] * f[2]), float(f[0] * df[1] * f[2]), float(f[0] * f[1] * df[2])])
        out.append(rows)
    return out


_G = gauss_gradients()
_VOIGT = ((0, 0), (1, 1), (2, 2), (1, 2), (0, 2), (0, 1))


@ti.kernel
def gauss_strain(u: nd4, mu: nd3, eps: nd4, dx: float):
    """eps[i, j, k, 6 q + v] = strain of u at Gauss point q of each load-bearing cell (0 elsewhere)."""
    for i, j, k in ti.ndrange(mu.shape[0], mu.shape[1], mu.shape[2]):
        for q in ti.static(range(8)):
            g = ti.Matrix.zero(float, 3, 3)
            if mu[i, j, k] > 0.0:
                for a in ti.static(range(8)):
                    ni, nj, nk = i + (a & 1), j + ((a >> 1) & 1), k + ((a >> 2) & 1)
                    for c in ti.static(range(3)):
                        uc = u[ni, nj, nk, c]
                        for d in ti.static(range(3)):
                            g[c, d] += uc * ti.static(_G[q][a][d])
                g /= dx
            for v in ti.static(range(3)):
                eps[i, j, k, 6 * q + v] = g[v, v]
            for v in ti.static(range(3, 6)):
                eps[i, j, k, 6 * q + v] = g[_VOIGT[v][0], _VOIGT[v][1]] + g[_VOIGT[v][1], _VOIGT[v][0]]


@ti.func
def _eigenstress(lam, mu, eps: ti.template(), i, j, k, q):
    """Stress D eps* of the eigenstrain at Gauss point q, as a symmetric 3 x 3 matrix."""
    tr = eps[i, j, k, 6 * q] + eps[i, j, k, 6 * q + 1] + eps[i, j, k, 6 * q + 2]
    s = ti.Matrix.zero(float, 3, 3)
    for v in ti.static(range(3)):
        s[v, v] = lam * tr + 2.0 * mu * eps[i, j, k, 6 * q + v]
    for v in ti.static(range(3, 6)):
        s[_VOIGT[v][0], _VOIGT[v][1]] = mu * eps[i, j, k, 6 * q + v]
        s[_VOIGT[v][1], _VOIGT[v][0]] = mu * eps[i, j, k, 6 * q + v]
    return s


@ti.kernel
def eigen_load(f: nd4, lam: nd3, mu: nd3, eps: nd4, inv_diag: nd4, dx: float):
    """f = sum over cells and Gauss points of w B^T D eps* (w = dx^3 / 8) on the free dofs, 0 on fixed ones."""
    nx, ny, nz = lam.shape[0], lam.shape[1], lam.shape[2]
    for I, J, K in ti.ndrange(nx + 1, ny + 1, nz + 1):
        acc = ti.Vector([0.0, 0.0, 0.0])
        for a in ti.static(range(8)):
            ci, cj, ck = I - (a & 1), J - ((a >> 1) & 1), K - ((a >> 2) & 1)
            if 0 <= ci < nx and 0 <= cj < ny and 0 <= ck < nz:
                m = mu[ci, cj, ck]
                if m > 0.0:
                    l = lam[ci, cj, ck]
                    for q in ti.static(range(8)):
                        s = _eigenstress(l, m, eps, ci, cj, ck, q)
                        for c in ti.static(range(3)):
                            for d in ti.static(range(3)):
                                acc[c] += s[c, d] * ti.static(_G[q][a][d])
        for c in ti.static(range(3)):
            f[I, J, K, c] = acc[c] * dx * dx * 0.125 if inv_diag[I, J, K, c] != 0.0 else 0.0


@ti.kernel
def cell_stress_eigen(u: nd4, lam: nd3, mu: nd3, eps: nd4, stress: nd4, dx: float):
    """Cell stress, Voigt [Pa]: the mean over the 8 Gauss points of D (eps(u) - eps*)."""
    for i, j, k in ti.ndrange(lam.shape[0], lam.shape[1], lam.shape[2]):
        m = mu[i, j, k]
        l = lam[i, j, k]
        acc = ti.Matrix.zero(float, 3, 3)
        if m > 0.0:
            for q in ti.static(range(8)):
                g = ti.Matrix.zero(float, 3, 3)
                for a in ti.static(range(8)):
                    ni, nj, nk = i + (a & 1), j + ((a >> 1) & 1), k + ((a >> 2) & 1)
                    for c in ti.static(range(3)):
                        uc = u[ni, nj, nk, c]
                        for d in ti.static(range(3)):
                            g[c, d] += uc * ti.static(_G[q][a][d])
                e = 0.5 * (g + g.transpose()) / dx
                s = l * e.trace() * ti.Matrix.identity(float, 3) + 2.0 * m * e
                acc += 0.125 * (s - _eigenstress(l, m, eps, i, j, k, q))
        for v in ti.static(range(6)):
            stress[i, j, k, v] = acc[_VOIGT[v][0], _VOIGT[v][1]]


# --- geometric multigrid: the V-cycle that preconditions the conjugate gradients (regolith_sim.mechanics.multigrid) --
# A coarse grid has cells of twice the edge; its nodes are the fine nodes of even index. Prolongation P is the
# trilinear interpolation of the coarse nodal field onto the fine nodes (weights 1 or 1/2 per axis), restriction is
# its transpose: the nested conforming Q1 spaces make P^T K_h P the coarse Q1 stiffness for coefficients constant
# over each coarse cell (Trottenberg, Oosterlee & Schueller 2001, Multigrid, Sec. 7.7). Both act on free dofs only
# (``inv_diag`` != 0), so the cycle stays symmetric.

@ti.kernel
def restrict(r: nd4, rc: nd4, inv_diag_c: nd4):
    """rc = P^T r on the coarse free dofs (0 on the others)."""
    nfx, nfy, nfz = r.shape[0], r.shape[1], r.shape[2]
    for I, J, K in ti.ndrange(rc.shape[0], rc.shape[1], rc.shape[2]):
        acc = ti.Vector([0.0, 0.0, 0.0])
        for di in ti.static(range(3)):
            for dj in ti.static(range(3)):
                for dk in ti.static(range(3)):
                    i, j, k = 2 * I + di - 1, 2 * J + dj - 1, 2 * K + dk - 1
                    if 0 <= i < nfx and 0 <= j < nfy and 0 <= k < nfz:
                        w = ti.static((1.0 if di == 1 else 0.5) * (1.0 if dj == 1 else 0.5) *
                                      (1.0 if dk == 1 else 0.5))
                        for c in ti.static(range(3)):
                            acc[c] += w * r[i, j, k, c]
        for c in ti.static(range(3)):
            rc[I, J, K, c] = acc[c] if inv_diag_c[I, J, K, c] != 0.0 else 0.0


@ti.kernel
def prolong_add(ec: nd4, x: nd4, inv_diag: nd4):
    """x += P ec on the fine free dofs."""
    for i, j, k in ti.ndrange(x.shape[0], x.shape[1], x.shape[2]):
        acc = ti.Vector([0.0, 0.0, 0.0])
        oi, oj, ok = i % 2, j % 2, k % 2
        for a in ti.static(range(2)):
            for b in ti.static(range(2)):
                for d in ti.static(range(2)):
                    # along an axis an even fine node takes its coarse node whole, an odd one half of each neighbour
                    wi, wj, wk = 0.5 * oi, 0.5 * oj, 0.5 * ok
                    if ti.static(a == 0):
                        wi = 1.0 - wi
                    if ti.static(b == 0):
                        wj = 1.0 - wj
                    if ti.static(d == 0):
                        wk = 1.0 - wk
                    w = wi * wj * wk
                    I, J, K = i // 2 + a, j // 2 + b, k // 2 + d
                    if w > 0.0 and I < ec.shape[0] and J < ec.shape[1] and K < ec.shape[2]:
                        for c in ti.static(range(3)):
                            acc[c] += w * ec[I, J, K, c]
        for c in ti.static(range(3)):
            if inv_diag[i, j, k, c] != 0.0:
                x[i, j, k, c] += acc[c]


@ti.kernel
def jacobi(x: nd4, b: nd4, Ax: nd4, inv_diag: nd4, omega: float, first: ti.i32):
    """One damped Jacobi sweep, x += omega D^-1 (b - A x); from x = 0 (``first``) without A x."""
    for I in ti.grouped(x):
        if first != 0:
            x[I] = omega * inv_diag[I] * b[I]
        else:
            x[I] += omega * inv_diag[I] * (b[I] - Ax[I])


@ti.kernel
def residual(b: nd4, Ax: nd4, r: nd4):
    """r = b - A x."""
    for I in ti.grouped(b):
        r[I] = b[I] - Ax[I]


@ti.kernel
def cg_direction(z: nd4, p: nd4, beta: float):
    """p = z + beta p."""
    for I in ti.grouped(z):
        p[I] = z[I] + beta * p[I]
