"""How many workers a sweep gets, and what each may use, found without importing Taichi.

Taichi can be initialised only once per process and grabs a device when it does, so the
coordinating process must not import it: GPUs are counted from ``CUDA_VISIBLE_DEVICES`` when set,
else from ``nvidia-smi -L``.
"""
from __future__ import annotations

import os
import shutil
import subprocess


def visible_gpus() -> list[str]:
    """Identifiers of the CUDA devices this process may use ([] without GPUs)."""
    env = os.environ.get("CUDA_VISIBLE_DEVICES")
    if env is not None:
        ids = [s.strip() for s in env.split(",") if s.strip()]
        # CUDA stops at the first invalid entry; "-1" is the usual way to hide every device.
        out = []
        for s in ids:
            if s.startswith("-"):
                break
            out.append(s)
        return out
    exe = shutil.which("nvidia-smi")
    if exe is None:
        return []
    try:
        proc = subprocess.run([exe, "-L"], capture_output=True, text=True, timeout=10)
    except (OSError, subprocess.SubprocessError):
        return []
    if proc.returncode != 0:
        return []
    return [str(i) for i, line in enumerate(l for l in proc.stdout.splitlines() if l.startswith("GPU "))]


def threads_per_worker(n_workers: int, cores: int) -> str:
    """CPU threads of each worker's kernels: ``$REGOLITH_SIM_THREADS`` when set, else the cores shared out.

    With one thread the kernels' parallel sums (the energy ledger) add in a fixed order, so two runs of
    a case agree to the bit; with several they may differ in the last bits from run to run. The thread
    count is part of Taichi's offline-cache key: a new count compiles the kernels once more.
    """
    given = os.environ.get("REGOLITH_SIM_THREADS", "").strip()
    if given:
        if not given.isdigit() or int(given) < 1:
            from ..errors import UserError

            raise UserError(f"REGOLITH_SIM_THREADS = {given!r}: expected an integer >= 1")
        return given
    return str(max(1, cores // max(n_workers, 1)))


def plan_workers(n_cases: int, workers: int | None, arch: str, cpu_count: int | None = None,
                 gpus: list[str] | None = None) -> list[dict]:
    """The environment of each local worker: one GPU each where there are GPUs (and the arch allows
    CUDA), otherwise ``workers`` CPU workers (default: one per core) sharing the cores' threads.

    Never more workers than cases. Returns a list of ``os.environ`` updates, one per worker.
    """
    cores = cpu_count or os.cpu_count() or 1
    gpus = visible_gpus() if gpus is None else gpus
    if gpus and arch in ("auto", "cuda"):
        n = min(workers or len(gpus), len(gpus), max(n_cases, 1))
        threads = threads_per_worker(n, cores)  # host-side work of each run
        return [{"CUDA_VISIBLE_DEVICES": gpus[i], "REGOLITH_SIM_THREADS": threads} for i in range(n)]
    n = min(workers or cores, max(n_cases, 1))
    threads = threads_per_worker(n, cores)
    return [{"REGOLITH_SIM_THREADS": threads} for _ in range(n)]
