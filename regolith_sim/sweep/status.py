"""Per-case status of a sweep, persisted after every change so a stopped sweep resumes where it stopped.

One small JSON file per case, ``DIR/status/<case_id>.json``, written atomically by the coordinating
process only (workers report back to it), so a reader never sees a half-written record and writes
stay O(1) per case however large the sweep. A record holds::

    status    pending | running | done | failed
    error     one line for a failed case ("SimulationDiverged: ..."), else null
    summary   the run's summary (nested dict) for a done case, else null
    job_s     seconds the worker spent in run_job (simulation + outputs)
    worker    which worker ran it (local: "local-<n>", ray: the node's address)
    updated   UNIX time of the last change

A case found ``running`` when a sweep starts was interrupted (the process was killed): it is run again.
"""
from __future__ import annotations

import time
from pathlib import Path

from ..io.json_out import write_json

STATES = ("pending", "running", "done", "failed")


class StatusStore:
    """Reads and writes the status records of one sweep folder."""

    def __init__(self, out_dir: str | Path):
        self.folder = Path(out_dir) / "status"

    def path(self, case_id: str) -> Path:
        return self.folder / f"{case_id}.json"

    def read(self, case_id: str) -> dict | None:
        from ..errors import UserError
        from ..io.safe_read import MAX_TABLE_BYTES, read_json

        p = self.path(case_id)
        if not p.exists():
            return None
        try:
            rec = read_json(p, what="status record", max_bytes=MAX_TABLE_BYTES)
        except UserError:
            return None  # unreadable (a killed write, a corrupted disk): the case runs again
        ok = isinstance(rec, dict) and rec.get("status") in STATES and isinstance(rec.get("summary") or {}, dict)
        return rec if ok else None

    def write(self, case_id: str, status: str, **fields) -> dict:
        if status not in STATES:
            raise ValueError(f"status {status!r} not in {STATES}")
        rec = {"case_id": case_id, "status": status, "error": None, "summary": None, "job_s": None,
               "worker": None, **fields, "updated": time.time()}
        write_json(self.path(case_id), rec, indent=1, default=str)
        return rec

    def status_of(self, case_id: str) -> str:
        rec = self.read(case_id)
        return rec["status"] if rec else "pending"

    def adopt_renumbered(self, case_ids: list[str]) -> list[tuple[str, str]]:
        """Take over the finished results of cases whose number changed but whose inputs did not: a value added in
        the middle of a grid renumbers the cases after it, and their ids ``case_<n>_<hash>`` keep only the hash
        of their inputs (:func:`regolith_sim.sweep.spec.case_id`). A case without a record whose hash a done or
        failed record of another number has gets that record and its run folder (``DIR/<case_id>``) renamed to
        its id. Returns the (old, new) ids renamed."""
        if not self.folder.is_dir():
            return []
        wanted = set(case_ids)
        finished = {}
        for p in self.folder.glob("case_*_*.json"):
            old = p.stem
            if old in wanted:
                continue
            rec = self.read(old)
            if rec and rec["status"] in ("done", "failed"):
                finished[old.rsplit("_", 1)[-1]] = (old, rec)
        renamed = []
        for new in case_ids:
            old, rec = finished.get(new.rsplit("_", 1)[-1], (None, None))
            if old is None or self.read(new) is not None:
                continue
            run_old, run_new = self.folder.parent / old, self.folder.parent / new
            if run_old.is_dir() and not run_new.exists():
                run_old.rename(run_new)
            self.write(new, rec.pop("status"), **{k: v for k, v in rec.items() if k not in ("case_id", "updated")})
            self.path(old).unlink()
            renamed.append((old, new))
        return renamed

