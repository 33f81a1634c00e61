"""Local backend: long-lived worker processes on this machine, one case at a time each.

Processes are started with ``spawn`` (a forked Taichi runtime is unusable) and each gets its own
environment from :func:`regolith_sim.sweep.resources.plan_workers` (one GPU each, or a share of the
CPU threads). The coordinator hands a worker its next case only when it reports the last one, so it
always knows which case a worker holds: a worker that dies (killed, out of memory, crashed driver)
fails that one case with the exit code, is replaced, and the sweep goes on. A worker whose coordinator
dies (killed, even with SIGKILL) exits within ``PARENT_CHECK_S``.
"""
from __future__ import annotations

import multiprocessing as mp
import os
import queue
import signal
import threading
import time
from collections import deque
from pathlib import Path
from typing import Callable

POLL_S = 0.2
#: How often a worker checks that its coordinator still lives [s].
PARENT_CHECK_S = 0.5


def exit_with_parent(parent_pid: int, period: float = PARENT_CHECK_S) -> threading.Thread:
    """End this process as soon as ``parent_pid`` is no longer its parent (the coordinator died, even by
    SIGKILL, which leaves no chance to stop the workers): a killed sweep must not leave workers holding
    GPUs. A daemon thread polls the parent id; the output folder's lock dies with the process."""
    def watch() -> None:
        while os.getppid() == parent_pid:
            time.sleep(period)
        os._exit(75)  # EX_TEMPFAIL: no clean-up that could block on the dead coordinator's queues

    t = threading.Thread(target=watch, name="exit-with-parent", daemon=True)
    t.start()
    return t


def _worker_loop(name: str, env: dict, inbox, outbox, log_path: str | None, parent_pid: int | None = None) -> None:
    # The coordinator decides what an interrupt means; a worker must not die half-way through a write.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    if parent_pid is not None:
        exit_with_parent(parent_pid)
    if log_path:  # Taichi and the solver talk on fd 1/2: keep it out of the sweep's progress bar
        fd = os.open(log_path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
        os.dup2(fd, 1)
        os.dup2(fd, 2)
        os.close(fd)
    from .worker import CaseRunner

    runner = CaseRunner(env, name)
    while True:
        task = inbox.get()
        if task is None:
            return
        outbox.put((name, runner.run(task)))


class _Worker:
    def __init__(self, ctx, name: str, env: dict, outbox, log_dir: Path | None):
        self.name, self.env, self.task = name, env, None
        self.inbox = ctx.Queue()
        log = str(log_dir / f"{name}.log") if log_dir else None
        self.proc = ctx.Process(target=_worker_loop, args=(name, env, self.inbox, outbox, log, os.getpid()),
                                daemon=True)
        self.proc.start()

    def give(self, task: dict) -> None:
        self.task = task
        self.inbox.put(task)

    def stop(self, timeout: float) -> None:
        if self.proc.is_alive():
            if self.task is None:
                self.inbox.put(None)
                self.proc.join(timeout)
            if self.proc.is_alive():
                self.proc.terminate()
                self.proc.join(timeout)
        self.inbox.close()


def run_local(tasks: list[dict], envs: list[dict], *, on_start: Callable[[dict, str], None],
              on_done: Callable[[dict], None], log_dir: Path | None = None) -> None:
    """Run ``tasks`` on ``len(envs)`` worker processes; call ``on_start(task, worker)`` when a case is
    handed out and ``on_done(record)`` (see :class:`~regolith_sim.sweep.worker.CaseRunner`) when it ends."""
    if not tasks:
        return
    ctx = mp.get_context("spawn")
    outbox = ctx.Queue()
    if log_dir:
        log_dir.mkdir(parents=True, exist_ok=True)
    todo = deque(tasks)
    workers: dict[str, _Worker] = {}
    spawned = 0

    def spawn(env: dict) -> _Worker:
        nonlocal spawned
        spawned += 1
        w = _Worker(ctx, f"local-{spawned}", env, outbox, log_dir)
        workers[w.name] = w
        return w

    try:
        for env in envs:
            spawn(env)
        while todo or any(w.task is not None for w in workers.values()):
            for w in workers.values():
                if w.task is None and todo:
                    task = todo.popleft()
                    on_start(task, w.name)
                    w.give(task)
            try:
                name, rec = outbox.get(timeout=POLL_S)
            except queue.Empty:
                for w in list(workers.values()):
                    if w.task is not None and not w.proc.is_alive():
                        _replace_dead(w, workers, spawn, on_done)
                continue
            w = workers.get(name)
            if w is not None:
                w.task = None
            on_done(rec)
    finally:
        for w in workers.values():
            w.stop(timeout=5.0)
        outbox.close()


def _replace_dead(w: _Worker, workers: dict, spawn, on_done) -> None:
    task = w.task
    code = w.proc.exitcode
    how = f"killed by signal {-code}" if code is not None and code < 0 else f"exit code {code}"
    del workers[w.name]
    w.task = None
    w.stop(timeout=1.0)
    spawn(w.env)
    on_done({"case_id": task["case_id"], "status": "failed", "worker": w.name, "summary": None, "job_s": None,
             "error": f"WorkerDied: the worker process running this case ended ({how})"})
