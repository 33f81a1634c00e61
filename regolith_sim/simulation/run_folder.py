"""A run's output folder: one run at a time (a lock), never two runs' outputs mixed, and a status file
that says whether everything was written.

``run_status.json`` is written first, as ``{"status": "incomplete", ...}``, and replaced by
``{"status": "complete", "files": [...], ...}`` only once every output is written; a run that fails,
diverges or is killed leaves it ``incomplete``. A fresh run first removes what an earlier run wrote
(its outputs, frames, checkpoint and the hidden temporary files of a killed write); ``--resume`` keeps
them and refuses a finished folder. Faults of the folder (it is a file, read-only, the disk is full)
are one-line :class:`~regolith_sim.errors.UserError` s.
"""
from __future__ import annotations

import contextlib
import os
import re
import time
from pathlib import Path

from ..errors import UserError
from ..io.json_out import write_json

STATUS_NAME = "run_status.json"
LOCK_NAME = ".regolith-sim.lock"
CHECKPOINT_NAME = "checkpoint.npz"
#: What a run writes into its folder (besides ``fields/frame_*.vti``), with what a sweep worker (error.txt)
#: and the demo (validation.json) add; a fresh run removes these first.
OUTPUT_NAMES = (
    "summary.json", "fields.npz", "fields.pvd", "melt_pool.csv", "melt_pool.png", "probes.csv", "probes.png",
    "density_sections.png", "part.png", "part_distorted.stl", CHECKPOINT_NAME, "error.txt", "validation.json",
    *(f"part.{fmt}" for fmt in ("stl", "3mf", "obj", "ply", "glb", "vtu", "inp", "msh")),
)
_UNSAFE = re.compile(r"[^A-Za-z0-9._+-]+")


def safe_name(name: str) -> str:
    """``name`` as one folder name that stays inside its parent: separators, '..', spaces and control
    characters become '_' (a case named '../../x' writes to results/_.._x, never above results/)."""
    cleaned = _UNSAFE.sub("_", name).lstrip(".") or "case"
    return cleaned[:100]


def _fault(out: Path, exc: OSError) -> UserError:
    where = exc.filename or out
    resume = "; --resume continues from its last checkpoint" if (out / CHECKPOINT_NAME).is_file() else ""
    return UserError(f"cannot write the outputs: {exc.strerror or exc} ('{where}'); the folder is left marked "
                     f"incomplete ({STATUS_NAME}){resume}; allowed: a writable folder with free space (--out or "
                     "output.dir)", key="output folder")


def _make_folder(out: Path) -> None:
    if out.exists() and not out.is_dir():
        raise UserError(f"'{out}' is a file, not a folder; allowed: a folder, new or existing (--out or output.dir)",
                        key="output folder")
    try:
        out.mkdir(parents=True, exist_ok=True)
    except FileExistsError:
        raise UserError(f"'{out}': a part of the path is a file, not a folder; allowed: a folder path "
                        "(--out or output.dir)", key="output folder") from None
    except OSError as exc:
        raise UserError(f"cannot create '{out}': {exc.strerror}; allowed: a folder you can write "
                        "(--out or output.dir)", key="output folder") from None


def _lock(out: Path) -> int:
    """An exclusive lock on ``out`` (a locked file inside it); another run holding it is a user error."""
    import fcntl

    path = out / LOCK_NAME
    for _ in range(3):
        try:
            fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
        except OSError as exc:
            raise UserError(f"cannot write in '{out}': {exc.strerror}; allowed: a folder you can write "
                            "(--out or output.dir)", key="output folder") from None
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            os.close(fd)
            raise UserError(f"'{out}' is in use by another run (it holds {LOCK_NAME}); allowed: a folder no other "
                            "run is writing: wait for it or choose another --out", key="output folder") from None
        try:
            same = os.fstat(fd).st_ino == os.stat(path).st_ino
        except FileNotFoundError:  # the holder removed it between our open and our lock: try again
            same = False
        if same:
            os.ftruncate(fd, 0)
            os.write(fd, f"{os.getpid()}\n".encode())
            return fd
        os.close(fd)
    raise UserError(f"'{out}' is in use by other runs starting at the same time; try again", key="output folder")


@contextlib.contextmanager
def folder_lock(out: Path):
    """Hold ``out``'s lock for the block: another run or sweep writing there is a user error (a sweep folder takes
    one sweep at a time; its cases' folders have their own locks)."""
    fd = _lock(out)
    try:
        yield
    finally:
        _unlock(out, fd)


def _unlock(out: Path, fd: int) -> None:
    with contextlib.suppress(OSError):
        os.unlink(out / LOCK_NAME)  # while still locked, so no other run locks the removed file
    os.close(fd)


def read_status(out: Path) -> dict | None:
    """The run status in ``out``; None when there is none (or it cannot be read)."""
    from ..io.safe_read import read_json

    path = Path(out) / STATUS_NAME
    if not path.exists():
        return None
    try:
        data = read_json(path, what="run status")
    except UserError:  # damaged (a pipe, deep nesting, not JSON): as if the folder had none
        return None
    return data if isinstance(data, dict) else None


def is_finished(out: Path) -> bool:
    """Whether ``out`` holds a finished run: its status says complete (or, from a version without status
    files, a summary and no checkpoint)."""
    status = read_status(out)
    if status is not None:
        return status.get("status") == "complete"
    return (out / "summary.json").is_file() and not (out / CHECKPOINT_NAME).exists()


def _temporaries(out: Path):
    """Hidden temporary files of atomic writes left by a killed run: ``.checkpoint.x1y2z3.npz`` (io.atomic)
    and ``.part.stl.x1y2z3.tmp`` (geometries.export)."""
    names = (*OUTPUT_NAMES, STATUS_NAME)
    for folder, patterns in ((out, names), (out / "fields", ("frame_.vti",))):
        for name in patterns:
            stem, dot, suffix = name.partition(".")
            yield from folder.glob(f".{stem}*.*{dot}{suffix}")
            yield from folder.glob(f".{name}.*.tmp")


def _clear(out: Path, fresh: bool) -> None:
    """Remove stale temporaries and, for a fresh run, everything an earlier run wrote."""
    doomed = list(_temporaries(out))
    if fresh:
        doomed += [out / n for n in OUTPUT_NAMES] + list((out / "fields").glob("frame_*.vti"))
    for p in doomed:
        with contextlib.suppress(FileNotFoundError):
            p.unlink()


def _write_status(out: Path, status: str, **extra) -> None:
    write_json(out / STATUS_NAME, {"status": status, "pid": os.getpid(),
                                   "time": time.strftime("%Y-%m-%dT%H:%M:%S%z"), **extra})


@contextlib.contextmanager
def run_folder(out_dir: str | Path, *, resume: bool = False):
    """Hold ``out_dir`` for one run: create and lock it, refuse ``resume`` of a finished run, mark it
    incomplete, clear an earlier run's outputs (all of them unless resuming from a checkpoint). The body
    writes the outputs and calls the yielded ``complete(files)``; an OSError while it runs (read-only
    folder, full disk) becomes a one-line error and the folder stays marked incomplete."""
    out = Path(out_dir)
    _make_folder(out)
    with folder_lock(out):
        if resume and is_finished(out):
            raise UserError(f"'{out}' holds a finished run ({STATUS_NAME}: complete), nothing to resume; run "
                            "without --resume to run it again", key="--resume")
        try:
            _write_status(out, "incomplete")
            _clear(out, fresh=not (resume and (out / CHECKPOINT_NAME).exists()))

            def complete(files: dict) -> None:
                """Mark the run complete, listing ``files`` (and adding the status file to them)."""
                _write_status(out, "complete", files=sorted(str(Path(p).relative_to(out)) for p in files.values()))
                files["run_status"] = out / STATUS_NAME

            yield complete
        except OSError as exc:
            raise _fault(out, exc) from None
