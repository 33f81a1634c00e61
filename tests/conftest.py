"""Shared fixtures. The kernel runtime starts once per test session (Taichi allows one init)."""
from __future__ import annotations

import os

import pytest

os.environ.setdefault("PYVISTA_OFF_SCREEN", "true")
os.environ.setdefault("MPLBACKEND", "Agg")


@pytest.fixture(scope="session")
def ti_runtime():
    """Start the kernel runtime (REGOLITH_SIM_TEST_ARCH, default cpu; REGOLITH_SIM_TEST_PRECISION, default
    auto: f64 on the CPU, f32 on Vulkan) and return its arch name."""
    from gpu_kernels import backend

    return backend.init(os.environ.get("REGOLITH_SIM_TEST_ARCH", "cpu"),
                        os.environ.get("REGOLITH_SIM_TEST_PRECISION", "auto"))
