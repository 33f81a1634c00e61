"""Settling of densified columns on the grid (gpu_kernels.sintering.settle via Densifier.settle):
mass and enthalpy conserved to round-off, the settled height of a column that densified to full
density, and the next layer landing on the settled surface."""
from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pytest

from regolith_sim.materials import get_material
from regolith_sim.sintering import consolidated_top, part_height
from regolith_sim.sintering.asbuilt import fill_fraction
from regolith_sim.outcomes.body import net_of_evaporation

DX = 2.5e-4


@pytest.fixture(scope="module")
def lms1():
    return get_material("lms-1")


def _solver(material, shape, T=300.0, n_filled=None):
    """LMS-1 powder in the lowest ``n_filled`` cell layers (all by default), void above."""
    from regolith_sim.thermal import Boundary, Grid, ThermalSolver, ThermalTables

    g = Grid(shape, DX, (0.0, 0.0, 0.0))
    s = ThermalSolver(g, ThermalTables.from_material(material), Boundary(T_sky=3.0, bottom="adiabatic"))
    mask = np.zeros(shape, bool)
    mask[:, :, :shape[2] if n_filled is None else n_filled] = True
    s.fill_region(mask, T, material.powder_relative_density)
    return s


def _densifier(solver, material):
    from regolith_sim.sintering.densifier import Densifier

    return Densifier(solver, material, "master-curve", settle_every=0)


def _set(solver, **fields):
    for name, value in fields.items():
        arr = getattr(solver, name)
        arr.from_numpy(np.asarray(value, dtype=arr.to_numpy().dtype))
    solver._refresh()


def _totals(solver):
    mass = solver.field("mass")
    st = solver.field("state")
    return float(np.sum(np.where(st > 0, mass, 0.0))), solver.stored_energy()


def test_settling_conserves_mass_and_energy(ti_runtime, lms1):
    # Random densification (rho between rho0 and 1, mass kept) and temperatures from 300 K to above
    # the liquidus (latent heat included): after settling, total mass and stored enthalpy equal the
    # values before to 1e-12 relative (round-off of the sums), every column is contiguous from the
    # bottom, no cell is over-full, and the room left under each top cell is below half a cell.
    rng = np.random.default_rng(4)
    shape = (5, 4, 16)
    s = _solver(lms1, shape)
    d = _densifier(s, lms1)
    rho0 = lms1.powder_relative_density
    rho = rho0 + (1.0 - rho0) * rng.random(shape) ** 2
    T = rng.uniform(300.0, 1900.0, shape)
    _set(s, rho_rel=rho, h=s.h_of_T(T))
    acc, faces = rng.uniform(0.0, 2.0, shape), rng.uniform(0.0, 1.0, shape + (3,))
    # one interface between layers in each column, at the top of a random cell below the column's top
    marked = rng.integers(0, shape[2] - 1, shape[:2])
    share = (np.arange(shape[2])[None, None, :] == marked[..., None]).astype(float)
    d.acc.from_numpy(acc)
    d.acc_face.from_numpy(faces)
    d.layer_face.from_numpy(share)
    # evaporated mass booked on the cells (and its alkali share): it moves with the material, none lost
    lost, alkali = rng.uniform(0.0, 0.3, shape), rng.uniform(0.0, 0.01, shape)
    s.mass_lost.from_numpy(lost)
    s.alkali_lost.from_numpy(alkali)
    m0, e0 = _totals(s)
    faces0 = np.einsum("ijk,ijkf->f", s.field("mass"), faces)
    # where each marked parcel's top lands: the cell holding the column's volume up to it (whole cells)
    volume = np.cumsum(s.field("mass") / rho, axis=2)
    top_of_marked = np.take_along_axis(volume, marked[..., None], axis=2)[..., 0]
    heat0 = s.sync_ledger().heat_stored
    moved = d.settle()
    assert moved == shape[0] * shape[1]
    m1, e1 = _totals(s)
    assert m1 == pytest.approx(m0, rel=1e-12)
    assert e1 == pytest.approx(e0, rel=1e-12)
    for field, before in ((s.mass_lost, lost), (s.alkali_lost, alkali)):
        after_lost = field.to_numpy()
        np.testing.assert_allclose(after_lost.sum(axis=2), before.sum(axis=2), rtol=1e-12)  # per column
        assert not after_lost[s.field("state") == 0].any()  # on the material, not in the cells it left
    # each parcel's faces to its neighbouring columns move with it (a merged cell's face is made of its
    # parcels' faces: mass-weighted sums conserved); a column's new top has nothing above it
    after = d.acc_face.to_numpy()
    faces1 = np.einsum("ijk,ijkf->f", s.field("mass"), after)
    np.testing.assert_allclose(faces1[:2], faces0[:2], rtol=1e-12)
    tops = (s.field("state") > 0).sum(axis=2) - 1
    assert np.all(np.take_along_axis(after[..., 2], tops[..., None], axis=2) == -1.0)
    # the interface moves whole (an area) with the top of its parcel, into the cell that receives that top,
    # unless that is the column's new top, whose face up touches nothing
    share1 = d.layer_face.to_numpy()
    assert np.all(np.take_along_axis(share1, tops[..., None], axis=2) == 0.0)
    assert set(np.unique(share1)) <= {0.0, 1.0}
    below_top = top_of_marked < tops - 1e-9     # lands in a whole cell under the new top (not a shared remainder)
    assert below_top.sum() >= 5                  # the check below is not vacuous
    expect = np.ceil(top_of_marked - 1e-9).astype(int) - 1
    landed = np.take_along_axis(share1, np.clip(expect, 0, None)[..., None], axis=2)[..., 0]
    assert np.all(landed[below_top] == 1.0) and np.all(share1.sum(axis=2)[below_top] == 1.0)
    assert np.all(share1.sum(axis=2) <= 1.0)
    assert s.sync_ledger().heat_stored == pytest.approx(heat0, abs=1e-12 * abs(e0))
    st, v = s.field("state"), fill_fraction(s.field("state"), s.field("mass"), s.field("rho_rel"))
    for i in range(shape[0]):
        for j in range(shape[1]):
            active = st[i, j] > 0
            n = int(active.sum())
            assert active[:n].all() and not active[n:].any()  # contiguous from the bottom
            assert np.all(v[i, j, :n] <= 1.0 + 1e-12)
            assert np.sum(1.0 - v[i, j, :n - 1]) < 0.5
            # the column's material volume is unchanged (mass / density summed)
    assert np.sum(v) == pytest.approx(np.sum(rho0 / rho), rel=1e-12)
    assert np.all(s.field("rho_rel")[st > 0] <= 1.0)
    # a second call finds nothing to move
    assert d.settle() == 0


def test_a_merged_cell_averages_its_parcels_bounded_face_accumulators(ti_runtime, lms1):
    """Settling merges a cold joint (face accumulator 1e-3) with a fused parcel (acc_full, the ceiling of a
    face accumulator) and, on another face, a parcel with no contact: the cell's face is the mass-weighted mean
    over the contacts, (0.7 x 1e-3 + 0.3 acc_full) / 1.0, bounded by acc_full so that a fused parcel does not
    make every parcel merged with it fused; the no-contact parcel is left out."""
    from gpu_kernels import sintering as K

    shape = (1, 1, 4)
    s = _solver(lms1, shape)
    d = _densifier(s, lms1)
    # a full dense cell, a dense 0.7-full one, a dense 0.3-full one, powder on top
    rho = np.array([1.0, 1.0, 1.0, lms1.powder_relative_density]).reshape(shape)
    _set(s, rho_rel=rho, h=s.h_of_T(np.full(shape, 300.0)))
    s.mass.from_numpy(np.array([1.0, 0.7, 0.3, lms1.powder_relative_density]).reshape(shape))
    full = d.tables.acc_full
    faces = np.zeros(shape + (3,))
    faces[0, 0, :, 0] = [0.5, 1e-3, full, 0.2]
    faces[0, 0, :, 1] = [0.5, K.NO_CONTACT, 0.3, 0.2]
    faces[0, 0, :, 2] = [0.5, 0.1, K.NO_CONTACT, K.NO_CONTACT]
    d.acc_face.from_numpy(faces)
    # the 0.7 parcel's face up was the interface with the layer spread on it; the 0.3 parcel's has no contact
    d.layer_face.from_numpy(np.array([0.0, 1.0, 0.5, 0.0]).reshape(shape))
    assert d.settle() == 1
    after = d.acc_face.to_numpy()[0, 0, :, :2]
    assert after[1, 0] == pytest.approx(0.7e-3 + 0.3 * full, rel=1e-12) and after[0, 0] == 0.5
    assert after[1, 1] == pytest.approx(0.3, rel=1e-12)
    # the merged cell's face up: the interface (the top of the 0.7 parcel, whose face up had a contact), whole
    assert d.layer_face.to_numpy()[0, 0, :2].tolist() == [0.0, 1.0]


def test_a_cell_merged_from_melt_and_powder_keeps_its_density_as_it_sinters_on(ti_runtime, lms1):
    """Settling lands powder on a melt parcel that fills 0.4 of its cell (T 1,600 K, between the solidus and
    the liquidus, still MOLTEN as the larger share): the cell holds mass 0.4 + 0.6 rho0 in one cell, so its
    relative density is that, and its accumulator the one that gives a fresh powder that density. The next
    densify step (1 us) sinters it on from there, by what 1 us at 1,600 K adds to that accumulator: neither the
    mean of its parcels' accumulators (acc_full and 0, which would read as ~0.7 of the way to full density) nor its
    MOLTEN state below the liquidus makes it dense."""
    from regolith_sim.sintering.densifier import Densifier

    shape = (1, 1, 3)
    s = _solver(lms1, shape, T=1600.0)
    d = Densifier(s, lms1, "viscous", settle_every=0)
    rho0 = lms1.powder_relative_density
    _set(s, rho_rel=np.array([1.0, rho0, rho0]).reshape(shape))
    s.mass.from_numpy(np.array([0.4, rho0, rho0]).reshape(shape))
    s.state.from_numpy(np.array([3, 1, 1], np.int8).reshape(shape))  # MOLTEN, POWDER, POWDER
    d.acc.from_numpy(np.array([d.tables.acc_full, 0.0, 0.0]).reshape(shape))
    assert d.settle() == 1
    merged = 0.4 + 0.6 * rho0
    assert s.field("state")[0, 0, 0] == 3
    assert s.field("rho_rel")[0, 0, 0] == pytest.approx(merged, rel=1e-12)
    assert d.acc.to_numpy()[0, 0, 0] == pytest.approx(float(d.tables.acc_of_density(merged)), rel=1e-6)
    dt = 1e-6
    d.step(dt)
    expect = d.tables.density_of_tau(d.tables.acc_of_density(merged) + dt * d.tables.reduced_time_rate(1600.0))
    assert s.field("rho_rel")[0, 0, 0] == pytest.approx(float(expect), abs=1e-5)
    assert s.field("rho_rel")[0, 0, 0] - merged < 1e-3


def test_an_interface_on_a_partly_full_top_cell_settles_whole_with_its_parcel(ti_runtime, lms1):
    """A layer spread on a column whose top cell was 0.6 full (the interface at that cell's face up), then
    densified to 0.9 and settled: the interface is an area, so it stays whole (share 1) and sits at the
    face up of the cell that receives the old top parcel's top, here cell 3 (volume 3.6 from the bottom)."""
    n = 8
    shape = (1, 1, n)
    s = _solver(lms1, shape)
    d = _densifier(s, lms1)
    rho0 = lms1.powder_relative_density
    rho = np.array([1.0, 1.0, 1.0, 1.0] + [0.9] * 4).reshape(shape)
    mass = np.array([1.0, 1.0, 1.0, 0.6] + [rho0] * 4).reshape(shape)
    _set(s, rho_rel=rho, h=s.h_of_T(np.full(shape, 300.0)))
    s.mass.from_numpy(mass.astype(s.mass.to_numpy().dtype))
    faces = np.full(shape + (3,), 0.2)
    faces[0, 0, -1, 2] = -1.0                      # nothing above the top
    d.acc_face.from_numpy(faces)
    share = np.zeros(shape)
    share[0, 0, 3] = 1.0                           # the layer spread on the 0.6 cell meets it there
    d.layer_face.from_numpy(share)
    assert d.settle() == 1
    after = d.layer_face.to_numpy()[0, 0]
    assert after.sum() == 1.0 and after[3] == 1.0, after


def test_fully_dense_column_settles_to_rho0_of_its_height(ti_runtime, lms1):
    # Uniaxial settling with mass conserved: a powder column of height H densified to rho = 1 stands
    # rho0 H high (shrinkage 1 - rho0). The grid resolves it to within one cell; the filled volume
    # gives it to round-off.
    n = 20
    s = _solver(lms1, (2, 2, n))
    d = _densifier(s, lms1)
    rho0 = lms1.powder_relative_density
    st = np.full((2, 2, n), 2, np.int8)  # sintered
    _set(s, rho_rel=np.ones((2, 2, n)), state=st)
    H = n * DX
    d.settle()
    state = s.field("state")
    mask = np.ones((2, 2, n), bool)
    exact = rho0 * H
    assert abs(part_height(state, mask, DX) - exact) < DX                      # whole cells
    assert part_height(state, mask, DX, s.field("mass"), s.field("rho_rel")) == pytest.approx(exact, rel=1e-12)
    assert np.all(state[:, :, int(np.ceil(rho0 * n)) + 1:] == 0)
    # what evaporated takes no height: 1.3 cells of material boiled off the top of every column
    mass = s.field("mass")
    lost = np.zeros_like(mass)
    lost[:, :, int(np.ceil(rho0 * n)) - 1] = 1.3  # booked on the top cell, beyond its own mass (body.py)
    net = net_of_evaporation(mass, lost)
    assert part_height(state, mask, DX, net, s.field("rho_rel")) == pytest.approx(exact - 1.3 * DX, rel=1e-12)
    assert np.allclose(consolidated_top(state, DX, s.field("mass"), s.field("rho_rel")), exact, rtol=1e-12)
    # two columns of the four boiled 1.3 cells off: the tallest keeps the full height, the median column lies half
    # way between a full and a boiled one
    two = np.zeros_like(mass)
    two[0, :, int(np.ceil(rho0 * n)) - 1] = 1.3
    net2 = net_of_evaporation(mass, two)
    heights = {f: part_height(state, mask, DX, net2, s.field("rho_rel"), reduce=f) for f in (np.max, np.median)}
    assert heights[np.max] == pytest.approx(exact, rel=1e-12)
    assert heights[np.median] == pytest.approx(exact - 0.65 * DX, rel=1e-12)


def test_partly_dense_column_settles_by_its_deficit(ti_runtime, lms1):
    # Only the top 8 of 16 cells densify (to 0.9): they shrink to rho0/0.9 of their height; the
    # powder below does not move, the sub-cell remainder is shared by the top two cells (>= half full).
    n, top = 16, 8
    s = _solver(lms1, (1, 1, n))
    d = _densifier(s, lms1)
    rho0 = lms1.powder_relative_density
    rho = np.full((1, 1, n), rho0)
    rho[..., n - top:] = 0.9
    _set(s, rho_rel=rho)
    d.settle()
    state, mass, rr = s.field("state"), s.field("mass"), s.field("rho_rel")
    v = fill_fraction(state, mass, rr)[0, 0]
    expected = (n - top) + top * rho0 / 0.9
    assert v.sum() == pytest.approx(expected, rel=1e-12)
    assert np.array_equal(rr[0, 0, :n - top], np.full(n - top, rho0))  # untouched powder keeps its density
    filled = v[state[0, 0] > 0]
    assert filled.min() >= 0.5 - 1e-12


def test_next_layer_lands_on_settled_surface(ti_runtime, lms1):
    # Simulation._spread_due_layers: settle, then fill every empty cell up to the layer's nominal top.
    # The new powder starts right on the settled surface, the column is full again to the nominal
    # height, and the energy balance still closes: heat_stored (stored - added) is unchanged by settling
    # and spreading (no heat flowed).
    from regolith_sim.simulation.simulation import Simulation

    n_sub, cpl = 8, 4
    nz = n_sub + 2 * cpl
    s = _solver(lms1, (3, 2, nz), n_filled=n_sub + cpl)  # the substrate and the first layer ...
    st = s.field("state")
    st[:, :, n_sub:n_sub + cpl] = 2
    rho = s.field("rho_rel")
    rho[:, :, n_sub:n_sub + cpl] = 1.0  # ... sintered to full density
    _set(s, rho_rel=rho, state=st)
    d = _densifier(s, lms1)
    L0 = s.sync_ledger()
    heat0, added0 = L0.heat_stored, L0.added
    domain = SimpleNamespace(n_layers=2, grid=s.grid,
                             layer_cells=lambda n: (n_sub + n * cpl, n_sub + (n + 1) * cpl))
    fake = SimpleNamespace(layers_spread=1, domain=domain, plan=SimpleNamespace(layer_times=[0.0, 1.0]),
                           thermal=s, densifier=d, mechanics=None, powder_temperature=250.0,
                           _mark_covered=lambda lo, hi: None, _finish_layer_mechanics=lambda: None)
    fake._layer_due = lambda t: Simulation._layer_due(fake, t)
    Simulation._spread_due_layers(fake, 1.0)
    assert fake.layers_spread == 2
    state, mass, rr = s.field("state"), s.field("mass"), s.field("rho_rel")
    rho0 = lms1.powder_relative_density
    settled_top = n_sub + cpl * rho0  # [cells] where the sintered layer's top now lies
    new = (state == 1) & (np.arange(nz)[None, None, :] >= n_sub)
    lowest_new = np.argmax(new, axis=2)
    assert np.all(lowest_new <= np.ceil(settled_top))  # powder sits on the settled surface ...
    assert np.all(lowest_new >= np.floor(settled_top))  # ... not inside the sintered material
    assert np.all(state[:, :, :nz] > 0)  # filled to the nominal top of layer 2
    assert np.allclose(rr[new], rho0) and np.allclose(mass[new], rho0)
    # the interface between the layers is the face up from the settled top, wherever that now lies
    share = d.layer_face.to_numpy()
    assert np.all(np.take_along_axis(share, lowest_new[..., None] - 1, axis=2) == 1.0)
    assert share.sum() == share.shape[0] * share.shape[1]
    L1 = s.sync_ledger()
    assert L1.added > added0
    assert L1.heat_stored == pytest.approx(heat0, abs=1e-12 * L1.stored)


def test_a_sliver_of_melt_cut_into_powder_lends_it_neither_peak_nor_sintering(ti_runtime, lms1):
    """Settling cuts whole cells from the stacked column, so round-off can put a sliver (1e-9 of a cell) of the
    melt above into a cell of powder. The cell keeps the state and peak temperature of its largest share (the
    powder's 900 K, not the melt's 2100 K; sintered by its density), and its sintering accumulator takes the sliver's by mass: the melt's
    reduced time stops at acc_full (full density), so a step at 900 K leaves the cell at the density it holds.
    Before, the peak was the largest of the parcels and the melt's accumulator grew without bound, so a sliver
    sintered a whole cell of powder at once (a run in f32 and in f64 then differed by 9 % in consolidated
    fraction)."""
    rho0 = lms1.powder_relative_density
    from regolith_sim.sintering.densifier import Densifier

    s = _solver(lms1, (1, 1, 4), T=900.0, n_filled=3)
    d = Densifier(s, lms1, "viscous", settle_every=0)
    # a melt above the liquidus, densified: its accumulator stops at acc_full
    hot = np.array([[[900.0, 900.0, lms1.liquidus_K + 50.0, 0.0]]])
    _set(s, h=s.h_of_T(hot))
    d.step(1.0)
    full = d.tables.acc_full
    assert d.acc.to_numpy()[0, 0, 2] == pytest.approx(full)
    eps = 1e-9
    # sintered 0.3 of a cell, powder 0.7 - eps (the room: gap 1.0 >= 0.5), melt frozen above it
    rho = np.array([[[0.9, rho0, 1.0, 1.0]]])
    mass = np.array([[[0.27, rho0 * (0.7 - eps), 1.0, 0.0]]])
    _set(s, rho_rel=rho, mass=mass, state=np.array([[[2, 1, 4, 0]]]), h=s.h_of_T(np.full((1, 1, 4), 900.0)),
         T_peak=np.array([[[1200.0, 900.0, 2100.0, 0.0]]]))
    d.acc.from_numpy(np.array([[[0.0, 0.0, full, 0.0]]]))
    assert d.settle() == 1
    # (sintered, not powder: the cell now holds the sintered parcel too, at the mean density of its parcels)
    assert s.field("state")[0, 0, 0] == 2 and s.field("T_peak")[0, 0, 0] == pytest.approx(900.0)
    before = s.field("rho_rel")[0, 0, 0]
    d.step(1.0)
    assert s.field("rho_rel")[0, 0, 0] == pytest.approx(before, rel=1e-6)
