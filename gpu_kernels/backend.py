"""The one module that imports Taichi and starts its runtime.

Every kernel module does ``from gpu_kernels.backend import ti``; swapping Taichi for its
maintained fork ``quadrants`` (same API, module renamed) means changing this file alone.

``ti.init`` may run once per process: fields made before a second init must never be touched,
so :func:`init` refuses to re-initialise with a different architecture or precision.
"""
from __future__ import annotations

import contextlib
import os
import sys
from pathlib import Path

# Taichi prints a banner to stdout on import; it would corrupt `--json` output.
os.environ.setdefault("ENABLE_TAICHI_HEADER_PRINT", "False")

try:  # pragma: no cover - which one is installed decides
    import taichi as ti
except ImportError:  # pragma: no cover
    import quadrants as ti  # type: ignore[no-redef]

ARCHES = ("auto", "cpu", "cuda", "vulkan", "metal")
PRECISIONS = ("f32", "f64")

_state: dict = {"arch": None, "precision": None}


class BackendError(RuntimeError):
    """Raised when the requested architecture cannot be started."""


def cache_dir() -> Path:
    """Per-user cache for Taichi's compiled kernels (never the working tree)."""
    root = os.environ.get("REGOLITH_SIM_CACHE") or os.environ.get("XDG_CACHE_HOME")
    base = Path(root) if root else Path.home() / ".cache"
    if not os.environ.get("REGOLITH_SIM_CACHE"):
        base = base / "regolith_sim"
    return base / "taichi"


def _candidates(arch: str) -> list[str]:
    if arch == "auto":
        # Never ti.gpu: on a GPU-less machine it can crash the interpreter instead of failing.
        order = ["cuda", "metal" if sys.platform == "darwin" else "vulkan", "cpu"]
        return order
    return [arch]


def _try_init(name: str, precision: str, verbose: bool) -> None:
    kwargs = dict(
        arch=ti.cpu if name == "cpu" else getattr(ti, name),
        default_fp=ti.f64 if precision == "f64" else ti.f32,
        offline_cache=True,
        offline_cache_file_path=str(cache_dir()),
        log_level=ti.INFO if verbose else ti.ERROR,
    )
    if name == "cpu":
        kwargs["cpu_max_num_threads"] = int(os.environ.get("REGOLITH_SIM_THREADS", os.cpu_count() or 1))
    # ti.init prints "Starting on arch" to stdout unconditionally: keep stdout for results (JSON).
    with contextlib.redirect_stdout(sys.stderr):
        ti.init(**kwargs)


def _arch_name(a) -> str:
    name = str(a).split(".")[-1]
    return {"x64": "cpu", "arm64": "cpu"}.get(name, name)


def init(arch: str = "auto", precision: str = "f64", verbose: bool = False) -> str:
    """Start the kernel runtime once and return the architecture obtained ('cpu', 'cuda', ...).

    ``auto`` tries CUDA, then Vulkan (Metal on macOS), then CPU. A named GPU arch that is not
    available raises :class:`BackendError` rather than silently running on the CPU.
    Calling again with the same or an ``auto`` request returns the running arch.
    """
    if arch not in ARCHES:
        raise BackendError(f"arch = {arch!r}: allowed values are {', '.join(ARCHES)}")
    if precision not in PRECISIONS:
        raise BackendError(f"precision = {precision!r}: allowed values are {', '.join(PRECISIONS)}")
    if _state["arch"] is not None:
        if arch not in ("auto", _state["arch"]) or precision != _state["precision"]:
            raise BackendError(
                f"the kernel runtime already runs on {_state['arch']} ({_state['precision']}); "
                f"arch={arch!r} precision={precision!r} needs a new process"
            )
        return _state["arch"]
    cache_dir().mkdir(parents=True, exist_ok=True)
    for name in _candidates(arch):
        if name == "metal" and sys.platform != "darwin":
            continue
        try:
            _try_init(name, precision, verbose)
        except Exception:  # noqa: BLE001 - Taichi raises assorted errors for a missing device
            ti.reset()
            continue
        got = _arch_name(ti.lang.impl.current_cfg().arch)
        if got == name:
            _state.update(arch=got, precision=precision)
            return got
        # Taichi fell back to the CPU on its own: accept only when the CPU was asked for next.
        ti.reset()
    if arch == "auto":  # pragma: no cover - the CPU always starts
        raise BackendError("no architecture could be started, not even the CPU")
    raise BackendError(f"arch = {arch!r} is not available on this machine; use 'auto' or 'cpu'")


def current_arch() -> str | None:
    """The architecture the runtime runs on, or None before :func:`init`."""
    return _state["arch"]


def current_precision() -> str | None:
    return _state["precision"]


def ensure_init() -> str:
    """Start on the default ('auto', f64) unless already started."""
    return _state["arch"] or init("auto")


def sync() -> None:
    ti.sync()
