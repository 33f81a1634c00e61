"""The kernel runtime: explicit architecture choice with a CPU fallback for 'auto'."""
import subprocess
import sys

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
    with pytest.raises(backend.BackendError, match="needs a new process"):
        backend.init(ti_runtime, "f32")
