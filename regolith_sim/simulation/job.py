"""One case in, a folder of results out: the unit of work of `regolith-sim run`, the demo and sweeps."""
from __future__ import annotations

import logging
from pathlib import Path

from ..config import Case

from .run_folder import CHECKPOINT_NAME
log = logging.getLogger(__name__)


def prepare(case: Case, out_dir: str | Path, *, resume: bool = False, setup=None, sim=None):
    """A :class:`Simulation` with its probe and frame recorders, restored from the checkpoint in
    ``out_dir`` when ``resume`` is set and one exists; and the checkpointer (or None). ``setup``: the
    case's :func:`~regolith_sim.simulation.preflight.preflight`, when already done; ``sim``: the case's
    Simulation, when already built."""
    from .checkpoint import Checkpointer, load_checkpoint
    from .preflight import preflight
    from .recorders import FrameRecorder, ProbeRecorder, frame_times
    from .simulation import Simulation

    out = Path(out_dir)
    sim = sim or Simulation(case, setup=setup or preflight(case))
    o = case.output
    sim.recorders = [ProbeRecorder(o.probes, sim.domain.grid),
                     FrameRecorder(out, sim.domain.grid, frame_times(sim.plan.layer_times, sim.t_end,
                                                                     o.field_interval))]
    ckpt = out / CHECKPOINT_NAME
    if resume and ckpt.exists():
        load_checkpoint(sim, ckpt)
        log.warning("resuming %s from t = %.3f s", case.name, sim.thermal.time)
    else:
        if resume:
            log.warning("no checkpoint in %s: starting %s from the beginning", out, case.name)
        for stale in (out / "fields").glob("frame_*.vti"):
            stale.unlink()
    interval = case.solver.checkpoint_interval
    checkpointer = Checkpointer(ckpt, interval, start=sim.thermal.time) if interval else None
    return sim, checkpointer


def run_job(case: Case, out_dir: str | Path, *, progress: bool = False, resume: bool = False):
    """Simulate ``case`` and write every output into ``out_dir``; return ``(result, files)``.

    ``files`` maps an output's name to its path. The kernel runtime must already be started (or is
    started from ``case.solver``). ``resume`` continues from the checkpoint in ``out_dir``
    (``solver.checkpoint_interval`` sets how often one is written); the checkpoint is removed once
    the run's outputs are written.

    The case is checked (:func:`~regolith_sim.simulation.preflight.preflight`) and its Simulation built (which
    refuses what the kernels' first look at the grid refuses) before the folder is touched; the folder is then
    locked, cleared of an earlier run's outputs and marked complete in
    ``run_status.json`` only once everything is written (:mod:`regolith_sim.simulation.run_folder`).
    """
    from .outputs import write_outputs
    from .preflight import preflight
    from .run_folder import run_folder
    from .simulation import Simulation

    out = Path(out_dir)
    sim = Simulation(case, setup=preflight(case))
    with run_folder(out, resume=resume) as complete:
        sim, checkpointer = prepare(case, out, resume=resume, sim=sim)
        result = sim.run(progress=progress, checkpoint=checkpointer)
        files = write_outputs(sim, result, out)
        (out / CHECKPOINT_NAME).unlink(missing_ok=True)
        complete(files)
    return result, files
