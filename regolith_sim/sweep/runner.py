"""Run every case of a sweep on a backend, persist each case's status as it changes, write the table.

The folder ``DIR`` of a sweep holds::

    sweep.json                 the expanded cases (ids, overrides, SI inputs, derived quantities)
    status/<case_id>.json      pending | running | done | failed (+ reason, summary), after every change
    <case_id>/                 everything run_job writes for the case (+ error.txt when it failed)
    logs/<worker>.log          what the workers' kernels and solvers printed (local backend)
    results.csv, results.parquet

Starting a sweep again on the same folder runs only the cases not yet finished: ``done`` cases are
never rerun, ``failed`` ones only with ``retry_failed``, ``running`` ones (a sweep that was killed) are.
"""
from __future__ import annotations

import sys
import time
from dataclasses import dataclass
from pathlib import Path

from ..errors import UserError
from ..io.json_out import write_json
from .resources import plan_workers
from .spec import SweepSpec
from .status import StatusStore
from .table import MANIFEST, build_table, write_table
from .worker import make_task

BACKENDS = ("local", "ray")


@dataclass
class SweepOutcome:
    table: object            #: pandas DataFrame, one row per case
    ran: list[str]           #: case ids run by this call
    done: int
    failed: int
    skipped_by_filter: int
    files: tuple[Path, Path]  #: results.csv, results.parquet
    wall_s: float
    workers: int


def cases_to_run(spec: SweepSpec, store: StatusStore, retry_failed: bool = False) -> list:
    keep = ("done",) if retry_failed else ("done", "failed")
    return [c for c in spec.cases if store.status_of(c.case_id) not in keep]


def run_sweep(spec: SweepSpec, out_dir: str | Path, *, backend: str = "local", workers: int | None = None,
              address: str | None = None, arch: str | None = None, quiet: bool = False,
              retry_failed: bool = False, progress: bool = True) -> SweepOutcome:
    """Run the cases of ``spec`` not yet finished in ``out_dir`` and write the results table.

    ``arch`` overrides the base case's ``solver.arch`` for every case. ``progress`` shows a progress
    bar (cases done, failed, ETA); ``quiet`` replaces it by one log line per finished case.
    """
    if backend not in BACKENDS:
        raise UserError(f"backend = {backend!r}; allowed: {', '.join(BACKENDS)}", key="--backend")
    if workers is not None and workers < 1:
        raise UserError(f"workers = {workers}; allowed: >= 1", key="--workers")
    if arch is not None:
        from typing import get_args

        from ..config.schema import ARCH

        if arch not in get_args(ARCH):
            raise UserError(f"arch = {arch!r}; allowed: {', '.join(get_args(ARCH))}", key="--arch")
    if address and backend != "ray":
        raise UserError("--address names a Ray cluster; it needs --backend ray", key="--address")
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    from ..simulation.run_folder import folder_lock

    with folder_lock(out):
        return _run_cases(spec, out, backend, workers, address, arch, quiet, retry_failed, progress)


def _run_cases(spec: SweepSpec, out: Path, backend: str, workers, address, arch, quiet: bool, retry_failed: bool,
               progress: bool) -> SweepOutcome:
    """The cases of ``spec`` not yet finished, run into ``out`` (whose lock the caller holds)."""
    write_json(out / MANIFEST, spec.manifest(), indent=1, default=str)
    store = StatusStore(out)
    store.adopt_renumbered([c.case_id for c in spec.cases])
    todo = cases_to_run(spec, store, retry_failed)
    for c in todo:
        store.write(c.case_id, "pending")
    run_arch = arch or spec.arch
    tasks = [make_task(spec, c, out, arch) for c in todo]
    finished_before = len(spec.cases) - len(todo)
    tracker = _Tracker(store, spec, finished_before, quiet=quiet, progress=progress and not quiet)
    t0 = time.perf_counter()
    n_workers = 0
    try:
        if backend == "local":
            from .local import run_local

            envs = plan_workers(len(tasks), workers, run_arch)
            n_workers = len(envs) if tasks else 0
            tracker.say(f"{len(spec.cases)} cases ({len(spec.skipped)} skipped by filters), {len(tasks)} to run "
                        f"on {n_workers} local worker(s)")
            run_local(tasks, envs, on_start=tracker.started, on_done=tracker.finished, log_dir=out / "logs")
        else:
            from .ray_backend import run_ray

            tracker.say(f"{len(spec.cases)} cases ({len(spec.skipped)} skipped by filters), {len(tasks)} to run on Ray")
            run_ray(tasks, arch=run_arch, workers=workers, address=address, on_start=tracker.started,
                    on_done=tracker.finished)
    finally:
        tracker.interrupted()
        tracker.close()
        df = build_table(out)
        files = write_table(df, out)
    counts = df["status"].value_counts()
    return SweepOutcome(table=df, ran=tracker.ran, done=int(counts.get("done", 0)), failed=int(counts.get("failed", 0)),
                        skipped_by_filter=len(spec.skipped), files=files, wall_s=time.perf_counter() - t0,
                        workers=n_workers)


class _Tracker:
    """Status records and the progress bar, updated from the backends' callbacks."""

    def __init__(self, store: StatusStore, spec: SweepSpec, finished_before: int, quiet: bool, progress: bool):
        from tqdm import tqdm

        self.store, self.quiet, self.total = store, quiet, len(spec.cases)
        self.running: dict[str, str] = {}
        self.ran: list[str] = []
        self.done = sum(store.status_of(c.case_id) == "done" for c in spec.cases)
        self.failed = finished_before - self.done
        self.bar = tqdm(total=self.total, initial=finished_before, unit="case", desc=spec.name, disable=not progress,
                        dynamic_ncols=True, file=sys.stderr)
        self._postfix()

    def say(self, text: str) -> None:
        if self.quiet:
            print(text, file=sys.stderr, flush=True)

    def _postfix(self) -> None:
        self.bar.set_postfix_str(f"done {self.done}, failed {self.failed}, running {len(self.running)}")

    def started(self, task: dict, worker: str) -> None:
        self.store.write(task["case_id"], "running", worker=worker)
        self.running[task["case_id"]] = worker
        self._postfix()

    def finished(self, rec: dict) -> None:
        cid = rec["case_id"]
        self.store.write(cid, rec["status"], error=rec.get("error"), summary=rec.get("summary"),
                         job_s=rec.get("job_s"), worker=rec.get("worker"))
        self.running.pop(cid, None)
        self.ran.append(cid)
        if rec["status"] == "done":
            self.done += 1
        else:
            self.failed += 1
        self._postfix()
        self.bar.update(1)
        if self.quiet:
            n = self.done + self.failed
            what = f"done in {rec['job_s']:.1f} s" if rec["status"] == "done" else f"FAILED: {rec.get('error')}"
            print(f"[{n}/{self.total}] {cid} {what}", file=sys.stderr, flush=True)

    def interrupted(self) -> None:
        """Cases still running when the sweep stops go back to pending: a resume runs them again."""
        for cid in list(self.running):
            self.store.write(cid, "pending")
        self.running.clear()

    def close(self) -> None:
        self.bar.close()
