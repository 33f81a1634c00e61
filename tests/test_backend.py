"""The kernel runtime: explicit architecture choice with a CPU fallback for 'auto'; Vulkan device checks and
the precision each backend can run."""
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

SCRIPT = "from gpu_kernels import backend\ntry:\n    print('ARCH', backend.init({arch!r}))\nexcept backend.BackendError as e:\n    print('ERROR', e)\n"


def _init_in_subprocess(arch):
    run = subprocess.run([sys.executable, "-c", SCRIPT.format(arch=arch)], capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stderr
    return [ln for ln in run.stdout.splitlines() if ln.startswith(("ARCH", "ERROR"))][0]


def test_auto_falls_back_to_an_available_arch():
    line = _init_in_subprocess("auto")
    assert line.split()[0] == "ARCH" and line.split()[1] in ("cuda", "vulkan", "metal", "cpu")


@pytest.mark.parametrize("arch", ["cuda", "vulkan"])
def test_named_gpu_arch_either_starts_or_says_so(arch):
    line = _init_in_subprocess(arch)
    assert line in (f"ARCH {arch}", f"ERROR arch = '{arch}' is not available on this machine; use 'auto' or 'cpu'")


def test_bad_arch_name_is_rejected():
    assert _init_in_subprocess("gpu") == "ERROR arch = 'gpu': allowed values are auto, cpu, cuda, vulkan, metal"


def test_session_runtime_started(ti_runtime):
    from gpu_kernels import backend

    assert backend.current_arch() == ti_runtime
    assert backend.init("auto", "auto") == ti_runtime  # 'auto' accepts what runs
    other = "f32" if backend.current_precision() == "f64" else "f64"
    with pytest.raises(backend.BackendError, match="needs a new process"):
        backend.init(ti_runtime, other)


def test_a_later_case_asking_for_another_precision_is_refused_not_ignored(ti_runtime):
    """The runtime starts once per process: a second case in a notebook that asks for another precision (or
    arch) is refused in one line, not run silently on what runs (it was, with f64 fields for an f32 case)."""
    from pathlib import Path

    from gpu_kernels import backend
    from regolith_sim.config import load_case
    from regolith_sim.simulation import Simulation

    tiny = Path(__file__).resolve().parents[1] / "examples" / "two_bricks_one_bed.toml"
    other = "f32" if backend.current_precision() == "f64" else "f64"
    with pytest.raises(backend.BackendError, match="needs a new process"):
        Simulation(load_case(tiny, **{"solver.precision": other}))
    assert Simulation(load_case(tiny)).arch == ti_runtime  # 'auto' takes what runs


# -- Vulkan devices and precision (no runtime needed) -------------------------------------------------------
def _dev(name, kind="discrete GPU", float64=True, int64=True, compute=True):
    from gpu_kernels.backend import VulkanDevice

    return VulkanDevice(name=name, kind=kind, float64=float64, int64=int64, compute=compute)


@pytest.mark.parametrize("name,kind", [("llvmpipe (LLVM 15.0.6, 256 bits)", "CPU"),
                                       ("lavapipe", "CPU"),
                                       ("SwiftShader Device (Subzero)", "CPU"),
                                       ("SwiftShader Device (LLVM 10.0.0)", "other"),   # reported as not-a-CPU
                                       ("llvmpipe (LLVM 12.0.0, 256 bits)", "virtual GPU")])
def test_cpu_type_vulkan_devices_are_recognised(name, kind):
    d = _dev(name, kind)
    assert d.cpu_type and "CPU-type" in d.unusable_reason()


def test_real_gpus_are_usable_unless_they_lack_a_compute_queue():
    assert _dev("NVIDIA GeForce RTX 4090").unusable_reason() is None
    assert _dev("Intel(R) Arc(tm) A770 Graphics (DG2)", float64=False).unusable_reason() is None  # f32 suffices
    assert _dev("Some GPU", compute=False).unusable_reason() == "no compute queue"


def test_taichi_device_score_prefers_discrete_then_integrated_over_cpu():
    """The probe predicts Taichi's own choice (its get_device_score): discrete > integrated > CPU type."""
    from gpu_kernels.backend import _VK_FEATURE_WIDE_LINES, _taichi_score

    def props(kind, minor=3):
        return ((1 << 22) | (minor << 12)).to_bytes(4, "little") + bytes(12) + kind.to_bytes(4, "little")

    feats = np.zeros(64, np.uint32)
    wide = feats.copy()
    wide[_VK_FEATURE_WIDE_LINES] = 1
    cpu, integrated, discrete = (_taichi_score(props(k), wide, True) for k in (4, 1, 2))
    assert discrete > integrated > cpu
    assert _taichi_score(props(2), feats, False) < discrete


@pytest.fixture
def fake_vulkan(monkeypatch):
    """Replace the probed Vulkan device (the probe result is cached in backend._state)."""
    from gpu_kernels import backend

    def use(device):
        monkeypatch.setitem(backend._state, "vulkan", device)

    monkeypatch.delenv(backend.NO_F64_ENV, raising=False)
    return use


def test_auto_precision_per_backend(fake_vulkan):
    from gpu_kernels.backend import resolve_precision

    fake_vulkan(_dev("NVIDIA GeForce RTX 4090"))
    assert [resolve_precision(a, "auto") for a in ("cpu", "cuda", "vulkan", "metal")] == ["f64", "f64", "f32", "f32"]
    assert resolve_precision("vulkan", "f64") == "f64"  # shaderFloat64: allowed (exp/log/pow then in f32)
    assert resolve_precision("cpu", "f32") == "f32"


def test_f64_where_the_backend_has_none_is_one_line_naming_key_backend_and_choices(fake_vulkan, monkeypatch):
    from gpu_kernels import backend

    with pytest.raises(backend.BackendError) as e:
        backend.resolve_precision("metal", "f64")
    assert e.value.key == "solver.precision"
    assert str(e.value) == "'f64' cannot run on metal (Metal has no 64-bit floats); allowed there: auto or f32"
    fake_vulkan(_dev("Intel(R) Xe Graphics", kind="integrated GPU", float64=False))
    with pytest.raises(backend.BackendError, match=r"^'f64' cannot run on vulkan \(the device Intel\(R\) Xe "
                                                   r"Graphics lacks shaderFloat64/shaderInt64\); allowed there: "
                                                   r"auto or f32$"):
        backend.resolve_precision("vulkan", "f64")
    assert backend.resolve_precision("vulkan", "auto") == "f32"
    monkeypatch.setenv(backend.NO_F64_ENV, "1")
    assert backend.resolve_precision("cpu", "auto") == "f32"
    with pytest.raises(backend.BackendError, match="REGOLITH_SIM_NO_F64 is set"):
        backend.resolve_precision("cpu", "f64")
    with pytest.raises(backend.BackendError, match="allowed values are auto, f32, f64"):
        backend.resolve_precision("cpu", "f16")


def test_auto_passes_over_a_cpu_type_vulkan_device(fake_vulkan):
    from gpu_kernels.backend import _skip_reason

    fake_vulkan(_dev("llvmpipe (LLVM 15.0.6, 256 bits)", kind="CPU"))
    assert "CPU-type" in _skip_reason("vulkan", "auto", "auto")
    assert _skip_reason("vulkan", "vulkan", "auto") is None  # named: runs, for testing
    fake_vulkan(_dev("AMD Radeon RX 7900 XTX"))
    assert _skip_reason("vulkan", "auto", "auto") is None
    assert "f64 requested" in _skip_reason("vulkan", "auto", "f64")  # auto + f64 goes to CUDA or the CPU
    fake_vulkan(None)
    assert _skip_reason("vulkan", "vulkan", "auto") == "no Vulkan device"


SCRIPT_CLI = """import sys
from regolith_sim.cli.app import start_runtime
from regolith_sim.errors import UserError
try:
    start_runtime(sys.argv[1], sys.argv[2])
except UserError as e:
    print('ERROR', e)
"""


def _start_runtime_in_subprocess(arch, precision, **env):
    run = subprocess.run([sys.executable, "-c", SCRIPT_CLI, arch, precision], capture_output=True, text=True,
                         timeout=120, env={**os.environ, **env})
    assert run.returncode == 0, run.stderr
    return run


def test_auto_never_starts_on_a_cpu_type_vulkan_device():
    from gpu_kernels import backend

    dev = backend.vulkan_device()
    if dev is None or not dev.cpu_type:
        pytest.skip(f"needs a CPU-type Vulkan device as the only/preferred one (found {dev})")
    run = _start_runtime_in_subprocess("auto", "auto")
    line = [ln for ln in run.stderr.splitlines() if ln.startswith("kernels run on")]
    assert line == [f"kernels run on cpu (f64) - passed over vulkan: Vulkan device {dev.name}: "
                    f"{dev.unusable_reason()}"], run.stderr


def test_named_vulkan_on_a_cpu_type_device_runs_and_says_what_it_is():
    from gpu_kernels import backend

    dev = backend.vulkan_device()
    if dev is None:
        pytest.skip("no Vulkan device")
    run = _start_runtime_in_subprocess("vulkan", "auto")
    lines = [ln for ln in run.stderr.splitlines() if ln.startswith(("kernels run on", "Vulkan device"))]
    assert lines[0] == "kernels run on vulkan (f32)"
    if dev.cpu_type:
        assert lines[1] == f"Vulkan device: {dev.describe()} - {dev.unusable_reason()}; for testing only"


def test_precision_error_reaches_the_cli_as_one_line(tmp_path):
    case = tmp_path / "case.toml"
    case.write_text((Path(__file__).resolve().parents[1] / "examples" / "laser_track.toml").read_text()
                    .replace('arch = "auto"', 'arch = "auto"\nprecision = "f64"'))
    run = subprocess.run([sys.executable, "-m", "regolith_sim", "run", str(case), "--arch", "cpu", "--quiet",
                          "--out", str(tmp_path / "o")], capture_output=True, text=True, timeout=300,
                         env={**os.environ, "REGOLITH_SIM_NO_F64": "1"})
    assert run.returncode == 2, run.stderr
    assert run.stderr.strip() == ("regolith-sim: error: solver.precision: 'f64' cannot run on cpu (REGOLITH_SIM_NO_F64 is set); "
                                  "allowed there: auto or f32")
