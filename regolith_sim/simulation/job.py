"""One case in, a folder of results out: the unit of work of `regolith-sim run`, the demo and sweeps."""
from __future__ import annotations

from pathlib import Path

from ..config import Case


def run_job(case: Case, out_dir: str | Path, *, progress: bool = False, resume: bool = False):
    """Simulate ``case`` and write every output into ``out_dir``; return ``(result, files)``.

    ``files`` maps an output's name to its path. The kernel runtime must already be started (or is
    started from ``case.solver``). ``resume`` continues from the newest checkpoint in ``out_dir``.
    """
    from .outputs import write_outputs
    from .simulation import Simulation

    out = Path(out_dir)
    sim = Simulation(case)
    result = sim.run(progress=progress)
    files = write_outputs(sim, result, out)
    return result, files
