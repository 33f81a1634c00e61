"""The one module that imports Taichi and starts its runtime.

Every kernel module does ``from gpu_kernels.backend import ti``; swapping Taichi for its
maintained fork ``quadrants`` (same API, module renamed) means changing this file alone.

``ti.init`` may run once per process: fields made before a second init must never be touched,
so :func:`init` refuses to re-initialise with a different architecture or precision.

Precision. ``auto`` gives f64 on the CPU and CUDA and f32 on Vulkan and Metal (consumer GPUs run f64
at 1/16-1/64 of the f32 rate; Metal has no f64 at all). Kernel modules take their float type from
:func:`float_type` (arrays) and Taichi's ``float`` annotation (scalars, the runtime's default_fp), never a
hard-coded ``ti.f64``. The energy ledger is the exception: it sums ~1e5 per-step increments, each ~1e-6 of
the total, which f32 would round away, so it is :func:`ledger_type` (f64 wherever the backend has 64-bit
arithmetic; elsewhere f32 increments that the thermal solver folds into host f64 totals every few steps).

SPIR-V (Vulkan, and Metal through SPIR-V) has no 64-bit exp/log/pow (GLSL.std.450 defines them for
16/32-bit floats only; Taichi 1.7 stops compiling with "does not 64bits operation"). Kernels therefore
call :func:`exp`, :func:`log` and :func:`pow` from here, which on a SPIR-V backend evaluate in f32.

Vulkan devices. Mesa's llvmpipe/lavapipe and Google's SwiftShader are Vulkan drivers that run on the
CPU: slower than ``--arch cpu`` and useful only to test the GPU code path. :func:`vulkan_device`
reads the device Taichi will pick (same loader, same score as Taichi's ``pick_physical_device``) through
the Vulkan loader with ctypes, before ``ti.init``: Taichi 1.7 exposes neither the device name nor its
features to Python (they appear only in its C++ debug log).
"""
from __future__ import annotations

import contextlib
import ctypes
import ctypes.util
import os
import sys
from dataclasses import dataclass
from pathlib import Path

import numpy as np

# Taichi prints a banner to stdout on import; it would corrupt `--json` output.
os.environ.setdefault("ENABLE_TAICHI_HEADER_PRINT", "False")

try:  # pragma: no cover - which one is installed decides
    import taichi as ti
except ImportError:  # pragma: no cover
    import quadrants as ti  # type: ignore[no-redef]

ARCHES = ("auto", "cpu", "cuda", "vulkan", "metal")
PRECISIONS = ("auto", "f32", "f64")
#: Backends whose kernels Taichi compiles to SPIR-V (Metal via SPIR-V -> MSL): no f64 transcendentals.
SPIRV_ARCHES = ("vulkan", "metal")
#: Vulkan drivers that run on the CPU (their device type is usually, not always, reported as CPU).
CPU_VULKAN_DRIVERS = ("llvmpipe", "lavapipe", "swiftshader")
#: Testing hook: behave as on a backend without 64-bit floats (Metal, most integrated GPUs) on any
#: machine, so the f32 ledger and the precision refusals can be checked where no such device exists.
NO_F64_ENV = "REGOLITH_SIM_NO_F64"
DEBUG_ENV = "REGOLITH_SIM_TAICHI_DEBUG"   # bounds-checked kernels (Taichi debug mode): slow, for finding faults
PRECISION_KEY = "solver.precision"

_state: dict = {"arch": None, "precision": None, "device": None, "skipped": []}


class BackendError(RuntimeError):
    """Raised when the requested architecture or precision cannot be started; ``key`` names the
    setting at fault (``--arch`` or ``solver.precision``)."""

    def __init__(self, message: str, key: str = "--arch"):
        self.key = key
        super().__init__(message)


CACHE_MAX_BYTES = 1 << 30


def cache_dir() -> Path:
    """Per-user cache for Taichi's compiled kernels (never the working tree)."""
    root = os.environ.get("REGOLITH_SIM_CACHE") or os.environ.get("XDG_CACHE_HOME")
    base = Path(root) if root else Path.home() / ".cache"
    if not os.environ.get("REGOLITH_SIM_CACHE"):
        base = base / "regolith_sim"
    return base / "taichi"


# -- Vulkan device probe -------------------------------------------------------------------------
_VK_TYPES = {0: "other", 1: "integrated GPU", 2: "discrete GPU", 3: "virtual GPU", 4: "CPU"}
_VK_FEATURE_SHADER_FLOAT64, _VK_FEATURE_SHADER_INT64 = 39, 40   # VkBool32 index in VkPhysicalDeviceFeatures
_VK_FEATURE_WIDE_LINES = 15
_VK_QUEUE_COMPUTE_BIT = 0x2


@dataclass(frozen=True)
class VulkanDevice:
    """What the kernels need to know of a Vulkan physical device."""

    name: str
    kind: str                 #: 'discrete GPU', 'integrated GPU', 'virtual GPU', 'CPU' or 'other'
    float64: bool             #: shaderFloat64
    int64: bool               #: shaderInt64 (Taichi's f64 atomic add is a 64-bit compare-and-swap loop)
    compute: bool = True      #: has a queue family with compute

    @property
    def cpu_type(self) -> bool:
        """A driver that runs on the CPU (llvmpipe, lavapipe, SwiftShader)."""
        low = self.name.lower()
        return self.kind == "CPU" or any(d in low for d in CPU_VULKAN_DRIVERS)

    def unusable_reason(self) -> str | None:
        """Why ``--arch auto`` must not pick this device, or None."""
        if self.cpu_type:
            return "a CPU-type Vulkan device (software driver, slower than --arch cpu)"
        if not self.compute:
            return "no compute queue"
        return None

    def describe(self) -> str:
        return f"{self.name} ({self.kind}{'' if self.float64 else ', no shaderFloat64'})"


class _VkAppInfo(ctypes.Structure):
    _fields_ = [("sType", ctypes.c_int), ("pNext", ctypes.c_void_p), ("pApplicationName", ctypes.c_char_p),
                ("applicationVersion", ctypes.c_uint32), ("pEngineName", ctypes.c_char_p),
                ("engineVersion", ctypes.c_uint32), ("apiVersion", ctypes.c_uint32)]


class _VkInstanceInfo(ctypes.Structure):
    _fields_ = [("sType", ctypes.c_int), ("pNext", ctypes.c_void_p), ("flags", ctypes.c_uint32),
                ("pApplicationInfo", ctypes.POINTER(_VkAppInfo)), ("enabledLayerCount", ctypes.c_uint32),
                ("ppEnabledLayerNames", ctypes.c_void_p), ("enabledExtensionCount", ctypes.c_uint32),
                ("ppEnabledExtensionNames", ctypes.c_void_p)]


def _taichi_score(props: bytes, feats: np.ndarray, compute: bool) -> int:
    """Taichi 1.7's get_device_score (rhi/vulkan/vulkan_device_creator.cpp), headless: it starts on the
    device with the highest score, the first one on a tie (unless TI_VISIBLE_DEVICE names one)."""
    api, kind = int.from_bytes(props[0:4], "little"), int.from_bytes(props[16:20], "little")
    return (1000 * compute + 100 * int(feats[_VK_FEATURE_WIDE_LINES] != 0) + 500 * (kind == 1)
            + 1000 * (kind == 2) + 100 * ((api >> 12) & 0x3FF))


def _probe_vulkan() -> VulkanDevice | None:
    """The Vulkan device Taichi would start on, read through the loader (None: no loader or device)."""
    name = "vulkan-1.dll" if sys.platform == "win32" else ctypes.util.find_library("vulkan") or "libvulkan.so.1"
    if sys.platform == "darwin":
        name = ctypes.util.find_library("vulkan") or ctypes.util.find_library("MoltenVK") or "libvulkan.1.dylib"
    try:
        vk = ctypes.CDLL(name)
    except OSError:
        return None
    app = _VkAppInfo(0, None, b"regolith_sim", 1, b"regolith_sim", 1, (1 << 22) | (3 << 12))  # Vulkan 1.3
    info = _VkInstanceInfo(1, None, 0, ctypes.pointer(app), 0, None, 0, None)
    inst = ctypes.c_void_p()
    if vk.vkCreateInstance(ctypes.byref(info), None, ctypes.byref(inst)) != 0:
        app.apiVersion = 1 << 22  # a Vulkan 1.0 loader refuses a higher version
        if vk.vkCreateInstance(ctypes.byref(info), None, ctypes.byref(inst)) != 0:
            return None
    try:
        count = ctypes.c_uint32(0)
        vk.vkEnumeratePhysicalDevices(inst, ctypes.byref(count), None)
        handles = (ctypes.c_void_p * count.value)()
        vk.vkEnumeratePhysicalDevices(inst, ctypes.byref(count), handles)
        found = []
        for h in handles[:count.value]:
            props = ctypes.create_string_buffer(4096)       # VkPhysicalDeviceProperties is 824 bytes
            feats = (ctypes.c_uint32 * 128)()               # 55 VkBool32
            vk.vkGetPhysicalDeviceProperties(ctypes.c_void_p(h), props)
            vk.vkGetPhysicalDeviceFeatures(ctypes.c_void_p(h), feats)
            nq = ctypes.c_uint32(0)
            vk.vkGetPhysicalDeviceQueueFamilyProperties(ctypes.c_void_p(h), ctypes.byref(nq), None)
            queues = (ctypes.c_uint32 * (6 * nq.value))()   # VkQueueFamilyProperties: 6 x uint32
            vk.vkGetPhysicalDeviceQueueFamilyProperties(ctypes.c_void_p(h), ctypes.byref(nq), queues)
            compute = any(queues[6 * q] & _VK_QUEUE_COMPUTE_BIT for q in range(nq.value))
            raw, f = props.raw, np.frombuffer(bytes(feats), dtype=np.uint32)
            dev = VulkanDevice(name=raw[20:276].split(b"\0", 1)[0].decode(errors="replace"),
                               kind=_VK_TYPES.get(int.from_bytes(raw[16:20], "little"), "other"),
                               float64=bool(f[_VK_FEATURE_SHADER_FLOAT64]), int64=bool(f[_VK_FEATURE_SHADER_INT64]),
                               compute=compute)
            found.append((_taichi_score(raw, f, compute), dev))
    finally:
        vk.vkDestroyInstance(inst, None)
    if not found:
        return None
    visible = os.environ.get("TI_VISIBLE_DEVICE", "")
    if visible.isdigit() and int(visible) < len(found) and found[int(visible)][0] > 0:
        return found[int(visible)][1]
    best = max(score for score, _ in found)
    return next(dev for score, dev in found if score == best)


def vulkan_device() -> VulkanDevice | None:
    """The Vulkan device Taichi would run on (probed once per process), or None."""
    if "vulkan" not in _state:
        try:
            _state["vulkan"] = _probe_vulkan()
        except Exception:  # noqa: BLE001 - a broken driver: Taichi would not start on it either
            _state["vulkan"] = None
    return _state["vulkan"]


# -- precision --------------------------------------------------------------------------------
def has_f64(arch: str) -> bool:
    """Whether kernels on ``arch`` can store and add 64-bit floats (the ledger needs nothing more)."""
    if os.environ.get(NO_F64_ENV, "") not in ("", "0"):
        return False
    if arch == "metal":
        return False
    if arch == "vulkan":
        dev = vulkan_device()
        return dev is not None and dev.float64 and dev.int64
    return True


def resolve_precision(arch: str, precision: str) -> str:
    """The float width to start ``arch`` with: ``auto`` is f64 on cpu/cuda, f32 on vulkan/metal (and
    wherever there is no f64). Raises :class:`BackendError` (key ``solver.precision``) for f64 where the
    backend has none."""
    if precision not in PRECISIONS:
        raise BackendError(f"{precision!r} is not a precision; allowed values are {', '.join(PRECISIONS)}",
                           key=PRECISION_KEY)
    f64 = has_f64(arch)
    if precision == "auto":
        return "f64" if f64 and arch not in SPIRV_ARCHES else "f32"
    if precision == "f64" and not f64:
        why = {"metal": "Metal has no 64-bit floats"}.get(arch)
        if why is None and os.environ.get(NO_F64_ENV, "") not in ("", "0"):
            why = f"{NO_F64_ENV} is set"
        if why is None:
            dev = vulkan_device()
            why = f"the device {dev.name if dev else '?'} lacks shaderFloat64/shaderInt64"
        raise BackendError(f"'f64' cannot run on {arch} ({why}); allowed there: auto or f32", key=PRECISION_KEY)
    return precision


# -- start -----------------------------------------------------------------------------------
def _candidates(arch: str) -> list[str]:
    if arch == "auto":
        # Never ti.gpu: on a GPU-less machine it can crash the interpreter instead of failing.
        return ["cuda", "metal" if sys.platform == "darwin" else "vulkan", "cpu"]
    return [arch]


def _try_init(name: str, precision: str, verbose: bool) -> None:
    kwargs = dict(
        arch=ti.cpu if name == "cpu" else getattr(ti, name),
        default_fp=ti.f64 if precision == "f64" else ti.f32,
        offline_cache=True,
        offline_cache_file_path=str(cache_dir()),
        # Taichi prunes a quarter of the cache at exit once it passes 100 MB (its default); the f64, f32 and
        # SPIR-V variants of our kernels come near that, and each run would then recompile what the last pruned.
        offline_cache_max_size_of_files=CACHE_MAX_BYTES,
        log_level=ti.INFO if verbose else ti.ERROR,
    )
    if os.environ.get(DEBUG_ENV, "") not in ("", "0"):
        kwargs.update(debug=True, offline_cache=False)
    if name == "cpu":
        kwargs["cpu_max_num_threads"] = int(os.environ.get("REGOLITH_SIM_THREADS", os.cpu_count() or 1))
    # ti.init prints "Starting on arch" to stdout unconditionally: keep stdout for results (JSON).
    with contextlib.redirect_stdout(sys.stderr):
        ti.init(**kwargs)


def _order_host_writes() -> None:
    """On Vulkan/Metal Taichi 1.7 writes an ndarray element from the host at once, ahead of kernels launched
    earlier but still queued (its gfx runtime submits command lists lazily; fill and from_numpy are kernels
    and keep their order). A source's norm reset this way was added to the previous step's, halving its
    power at random (tests/test_gpu_path.py). Syncing before each element write restores program order;
    such writes are rare (one scalar per source per step)."""
    from taichi.lang import _ndarray, matrix

    for cls in (_ndarray.ScalarNdarray, getattr(matrix, "VectorNdarray", None), getattr(matrix, "MatrixNdarray", None)):
        if cls is None or getattr(cls.__setitem__, "synced_first", False):
            continue

        def setitem(self, key, value, _write=cls.__setitem__):
            ti.sync()
            _write(self, key, value)

        setitem.synced_first = True
        cls.__setitem__ = setitem


def _arch_name(a) -> str:
    name = str(a).split(".")[-1]
    return {"x64": "cpu", "arm64": "cpu"}.get(name, name)


def _skip_reason(name: str, arch: str, precision: str) -> str | None:
    """Why ``auto`` passes over candidate ``name`` before trying it (None: try it)."""
    if name == "metal" and sys.platform != "darwin":
        return "not macOS"
    if name != "vulkan":
        return None
    dev = vulkan_device()
    if dev is None:
        return "no Vulkan device"
    if arch == "auto":
        why = dev.unusable_reason()
        if why is None and precision == "f64":
            why = "f64 requested: SPIR-V evaluates exp/log/pow in f32"
        if why:
            return f"Vulkan device {dev.name}: {why}"
    return None


def init(arch: str = "auto", precision: str = "auto", verbose: bool = False) -> str:
    """Start the kernel runtime once and return the architecture obtained ('cpu', 'cuda', ...).

    ``auto`` tries CUDA, then Vulkan (Metal on macOS), then CPU, passing over a CPU-type Vulkan
    device (llvmpipe, lavapipe, SwiftShader) or one without a compute queue; :func:`skipped` says why.
    A named arch that is not available raises :class:`BackendError` rather than silently running on the
    CPU; ``--arch vulkan`` on a CPU-type device runs (for testing: :func:`device_note` says what it is).
    ``precision`` 'auto' resolves per backend (:func:`resolve_precision`). Calling again with the same
    or an ``auto`` request returns the running arch.
    """
    if arch not in ARCHES:
        raise BackendError(f"arch = {arch!r}: allowed values are {', '.join(ARCHES)}")
    if precision not in PRECISIONS:
        raise BackendError(f"{precision!r} is not a precision; allowed values are {', '.join(PRECISIONS)}",
                           key=PRECISION_KEY)
    if _state["arch"] is not None:
        wanted = _state["precision"] if precision == "auto" else precision
        if arch not in ("auto", _state["arch"]) or wanted != _state["precision"]:
            raise BackendError(
                f"the kernel runtime already runs on {_state['arch']} ({_state['precision']}); "
                f"arch={arch!r} precision={precision!r} needs a new process"
            )
        return _state["arch"]
    cache_dir().mkdir(parents=True, exist_ok=True)
    skipped = []
    for name in _candidates(arch):
        why = _skip_reason(name, arch, precision)
        if why:
            skipped.append(f"{name}: {why}")
            continue
        if arch == "auto" and precision == "f64" and not has_f64(name):
            skipped.append(f"{name}: no f64")
            continue
        prec = resolve_precision(name, precision)   # a named arch: an impossible precision is an error
        try:
            _try_init(name, prec, verbose)
        except Exception:  # noqa: BLE001 - Taichi raises assorted errors for a missing device
            ti.reset()
            continue
        got = _arch_name(ti.lang.impl.current_cfg().arch)
        if got == name:
            if got in SPIRV_ARCHES:
                _order_host_writes()
            _state.update(arch=got, precision=prec, skipped=skipped,
                          device=vulkan_device() if got == "vulkan" else None)
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
    """'f32' or 'f64' once started (never 'auto'), else None."""
    return _state["precision"]


def skipped() -> list[str]:
    """Backends ``auto`` passed over and why (empty for a named arch)."""
    return list(_state["skipped"])


def device_note() -> str | None:
    """One line on a Vulkan device the kernels run on when it is not a real GPU, else None."""
    dev = _state["device"]
    if dev is None:
        return None
    what = dev.unusable_reason()
    return f"Vulkan device: {dev.describe()}" + (f" - {what}; for testing only" if what else "")


def ensure_init() -> str:
    """Start on the defaults ('auto' arch and precision) unless already started."""
    return _state["arch"] or init("auto")


# -- types the kernels use ----------------------------------------------------------------------
def spirv() -> bool:
    """Whether kernels compile to SPIR-V (no f64 transcendentals there)."""
    return _state["arch"] in SPIRV_ARCHES


def float_type():
    """Taichi float type of the runtime's arrays (f32 or f64, as started)."""
    return ti.f64 if ensure_init() and _state["precision"] == "f64" else ti.f32


def np_float():
    """NumPy dtype matching :func:`float_type`."""
    return np.float64 if float_type() == ti.f64 else np.float32


def ledger_type():
    """Taichi type of energy-ledger accumulators: f64 where the backend has it, else f32 (folded into
    host f64 totals by the caller, see the module docstring)."""
    return ti.f64 if has_f64(ensure_init()) else ti.f32


def ledger_folds() -> bool:
    """Whether ledger arrays are f32 and must be folded into host totals regularly."""
    return ledger_type() == ti.f32


@ti.func
def exp(x):
    """exp(x); in f32 on SPIR-V (no 64-bit Exp there), in x's type elsewhere."""
    if ti.static(spirv()):
        return ti.exp(ti.cast(x, ti.f32))
    else:
        return ti.exp(x)


@ti.func
def log(x):
    """log(x); in f32 on SPIR-V (no 64-bit Log there), in x's type elsewhere."""
    if ti.static(spirv()):
        return ti.log(ti.cast(x, ti.f32))
    else:
        return ti.log(x)


@ti.func
def pow(x, y):  # noqa: A001 - mirrors ti.pow
    """x ** y; in f32 on SPIR-V (no 64-bit Pow there), in the operands' type elsewhere."""
    if ti.static(spirv()):
        return ti.pow(ti.cast(x, ti.f32), ti.cast(y, ti.f32))
    else:
        return ti.pow(x, y)


def sync() -> None:
    ti.sync()
