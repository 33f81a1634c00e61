"""What a worker process does with one case: load it, run it, report done or failed with the reason.

A worker starts the kernel runtime once (Taichi allows one ``ti.init`` per process) and then runs
case after case, so only the first case of each worker pays for starting Taichi and loading the
compiled kernels from the offline cache (shared by all processes, see ``gpu_kernels.backend``).
No Taichi import happens at module level: the GPU a worker may use (``CUDA_VISIBLE_DEVICES``) and its
CPU thread count (``REGOLITH_SIM_THREADS``) are set in its environment before the first case.
"""
from __future__ import annotations

import os
import socket
import time
import traceback
from pathlib import Path


def make_task(spec, case, out_dir: Path, arch: str | None) -> dict:
    """A picklable description of one case for a worker (no Case objects cross processes)."""
    return {"case_id": case.case_id, "base": str(spec.base), "overrides": spec.case_overrides(case),
            "out_dir": str(Path(out_dir) / case.case_id), "arch": arch}


def one_line(exc: BaseException) -> str:
    """``Type: message`` on a single line, as the status record and the table show it."""
    msg = " ".join(str(exc).split()) or repr(exc)
    return f"{type(exc).__name__}: {msg}"


class CaseRunner:
    """Runs tasks from :func:`make_task` one after another in this process.

    ``env`` is applied to ``os.environ`` before the runtime starts. Used directly by local worker
    processes and wrapped as a Ray actor by the Ray backend.
    """

    def __init__(self, env: dict | None = None, name: str | None = None):
        os.environ.update(env or {})
        self.name = name or f"{socket.gethostname()}:{os.getpid()}"

    def run(self, task: dict) -> dict:
        """Return ``{case_id, status, error, summary, job_s, worker}``; never raises for a bad case."""
        from ..cli.app import start_runtime
        from ..config import load_case
        from ..simulation.job import run_job

        t0 = time.perf_counter()
        out = Path(task["out_dir"])
        rec = {"case_id": task["case_id"], "worker": self.name, "summary": None, "error": None}
        try:
            case = load_case(task["base"], **task["overrides"])
            start_runtime(task["arch"] or case.solver.arch, case.solver.precision, quiet=True)
            result, _files = run_job(case, out, progress=False)
            rec.update(status="done", summary=result.summary)
        except Exception as exc:  # noqa: BLE001 - a failing case is recorded and the sweep goes on
            rec.update(status="failed", error=one_line(exc))
            _write_traceback(out, exc)
        rec["job_s"] = time.perf_counter() - t0
        return rec

    def ping(self) -> str:
        return self.name


def _write_traceback(out: Path, exc: BaseException) -> None:
    from ..io.atomic import write_text

    try:
        write_text(out / "error.txt", "".join(traceback.format_exception(type(exc), exc, exc.__traceback__)))
    except OSError:
        pass  # the one-line reason is in the status record anyway
