"""Table interpolation shared by the thermal, evaporation and sintering kernels (its own module, so that
thermal.py and evaporation.py can both use it without importing each other)."""
# no "from __future__ import annotations": Taichi reads ti.func annotations as objects
from gpu_kernels.backend import ti


@ti.func
def table_lookup(table: ti.template(), x0, inv_dx, x):
    """Linear interpolation in a uniformly spaced table, clamped at both ends."""
    n = table.shape[0]
    u = ti.min(ti.max((x - x0) * inv_dx, 0.0), n - 1.0)
    # the index is clamped as an integer: in f32 a clamp just below n - 1 rounds to n - 1 and read past the end;
    # and at 0 too, as SPIR-V's max leaves a NaN's undefined
    i = ti.max(ti.min(ti.cast(ti.floor(u), ti.i32), n - 2), 0)
    w = u - i
    return (1.0 - w) * table[i] + w * table[i + 1]
