"""Ray backend: the same cases on an existing Ray cluster (``--address``) or a local Ray instance.

Each worker is a Ray actor wrapping :class:`~regolith_sim.sweep.worker.CaseRunner`: a long-lived
process that starts the kernel runtime once and runs cases one after another, exactly like a local
worker, so both backends give the same results. Where the cluster has GPUs (and the arch allows
CUDA) every actor reserves one (``num_gpus=1``; Ray sets its ``CUDA_VISIBLE_DEVICES``), otherwise one
CPU. Cases are handed out one at a time per actor; an actor that dies fails its case and is replaced.

On a multi-node cluster the output folder must be on a file system every node shares: workers write
each case's files there, while status records and the results table are written by this process.
Ray is an optional extra (``pip install 'regolith-sim[ray]'``); nothing else imports it.
"""
from __future__ import annotations

from typing import Callable

from ..errors import UserError


def _import_ray():
    try:
        import ray
    except ImportError:
        raise UserError("the Ray backend needs Ray: pip install 'regolith-sim[ray]' (or use --backend local)",
                        key="--backend") from None
    return ray


def run_ray(tasks: list[dict], *, arch: str, workers: int | None, address: str | None,
            on_start: Callable[[dict, str], None], on_done: Callable[[dict], None]) -> None:
    """Run ``tasks`` on Ray actors; callbacks as in :func:`regolith_sim.sweep.local.run_local`."""
    if not tasks:
        return
    ray = _import_ray()
    from .resources import threads_per_worker
    from .worker import CaseRunner

    started_here = not ray.is_initialized()
    if started_here:
        try:
            if address:
                ray.init(address=address, log_to_driver=False)
            else:
                ray.init(include_dashboard=False, log_to_driver=False)
        except (ConnectionError, RuntimeError, ValueError) as exc:
            raise UserError(f"cannot connect to Ray at {address or 'a new local instance'}: {exc}",
                            key="--address") from None
    try:
        res = ray.cluster_resources()
        n_gpu, n_cpu = int(res.get("GPU", 0)), max(int(res.get("CPU", 1)), 1)
        use_gpu = n_gpu > 0 and arch in ("auto", "cuda")
        slots = n_gpu if use_gpu else n_cpu
        n = max(1, min(workers or slots, slots, len(tasks)))
        env = {"REGOLITH_SIM_THREADS": threads_per_worker(n, n_cpu)}
        actor_cls = ray.remote(CaseRunner).options(num_cpus=1, num_gpus=1 if use_gpu else 0,
                                                   max_concurrency=1)
        count = 0

        def new_actor():
            nonlocal count
            count += 1
            name = f"ray-{count}"
            return actor_cls.remote(env, name), name

        _dispatch(ray, tasks, [new_actor() for _ in range(n)], new_actor, on_start, on_done)
    finally:
        if started_here:
            ray.shutdown()


def _dispatch(ray, tasks, idle: list, new_actor, on_start, on_done) -> None:
    """Keep every actor busy with one case; ``idle`` holds (actor, name) pairs."""
    todo = list(reversed(tasks))
    running: dict = {}  # object ref -> (actor, name, task)
    every = list(idle)
    try:
        while todo or running:
            while idle and todo:
                (actor, name), task = idle.pop(), todo.pop()
                on_start(task, name)
                running[actor.run.remote(task)] = (actor, name, task)
            ready, _ = ray.wait(list(running), num_returns=1)
            for ref in ready:
                actor, name, task = running.pop(ref)
                try:
                    rec = ray.get(ref)
                except ray.exceptions.RayError as exc:
                    rec = {"case_id": task["case_id"], "status": "failed", "worker": name, "summary": None,
                           "job_s": None, "error": f"WorkerDied: {type(exc).__name__}: "
                                                   f"{' '.join(str(exc).split())[:300]}"}
                    ray.kill(actor, no_restart=True)
                    actor, name = new_actor()
                    every.append((actor, name))
                on_done(rec)
                idle.append((actor, name))
    finally:
        for actor, _ in every:
            ray.kill(actor, no_restart=True)
