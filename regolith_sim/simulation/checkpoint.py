"""Checkpoints: everything a :class:`Simulation` needs to continue exactly where it stopped.

The state is collected generically (every kernel array and plain number held by the thermal solver,
the densifier and the simulation's own counters) so that a new field added to a solver is saved
without touching this module. A resumed run then takes the same steps as an uninterrupted one and
ends with the same results to round-off (atomic-add reductions may sum in another order).
"""
from __future__ import annotations

import dataclasses
import hashlib
import io
import json
from pathlib import Path

import numpy as np

from ..errors import UserError
from ..io.atomic import atomic_path

FORMAT = 3  #: 2: the thermal solver's watch rows gained W_MOVED (the quiet bottom); 3: its side conductivities (kside)
_PLAIN = (bool, int, float, str, np.integer, np.floating)


def _is_array(v) -> bool:
    return isinstance(v, np.ndarray) or (hasattr(v, "to_numpy") and hasattr(v, "from_numpy") and hasattr(v, "shape"))


def _plain_state(obj) -> dict:
    out = {}
    for name, v in vars(obj).items():
        if isinstance(v, _PLAIN):
            out[name] = v.item() if isinstance(v, np.generic) else v
        elif isinstance(v, tuple) and all(isinstance(x, _PLAIN) for x in v):
            out[name] = {"__tuple__": [x.item() if isinstance(x, np.generic) else x for x in v]}
        elif isinstance(v, dict) and v and all(isinstance(k, str) for k in v) and \
                all(isinstance(x, _PLAIN) for x in v.values()):  # counters such as the implicit step's
            out[name] = {"__dict__": {k: x.item() if isinstance(x, np.generic) else x for k, x in v.items()}}
        elif dataclasses.is_dataclass(v) and not isinstance(v, type) and \
                all(isinstance(x, _PLAIN) for x in dataclasses.asdict(v).values()):
            out[name] = {"__dataclass__": dataclasses.asdict(v)}
    return out


def _restore_plain(obj, state: dict) -> None:
    for name, v in state.items():
        if isinstance(v, dict) and "__tuple__" in v:
            setattr(obj, name, tuple(v["__tuple__"]))
        elif isinstance(v, dict) and "__dict__" in v:
            getattr(obj, name).update(v["__dict__"])
        elif isinstance(v, dict) and "__dataclass__" in v:
            for field_name, x in v["__dataclass__"].items():
                setattr(getattr(obj, name), field_name, x)
        else:
            setattr(obj, name, v)


#: What a run may change between a checkpoint and its resume: nothing here moves a step (a checkpoint is
#: written when due, between steps), only what is written, how often the state is saved, and the labels.
NOT_PHYSICS = {"output": True, "name": True, "description": True, "experiment": True,
               "solver": {"checkpoint_interval"}}


def case_fingerprint(case) -> str:
    """Hash of everything in the case that changes the physics (``NOT_PHYSICS`` excluded)."""
    data = case.model_dump(mode="json", exclude=NOT_PHYSICS)
    return hashlib.sha256(json.dumps(data, sort_keys=True).encode()).hexdigest()[:16]


def _parts(sim) -> dict:
    parts = {"thermal": sim.thermal, "melt_pool": sim.melt_pool, "simulation": sim}
    if sim.densifier is not None:
        parts["densifier"] = sim.densifier
    if getattr(sim, "mechanics", None) is not None:  # the per-layer analysis: its body and last solution
        parts["mechanics"] = sim.mechanics
        parts["mechanics_solver"] = sim.mechanics.solver
    parts.update({f"recorder_{i}": r for i, r in enumerate(sim.recorders)})
    return parts


def save_checkpoint(sim, path: str | Path) -> Path:
    """Write the complete state of ``sim`` to ``path`` (``.npz``) atomically."""
    arrays, plain = {}, {}
    for pname, obj in _parts(sim).items():
        for name, v in vars(obj).items():
            if _is_array(v):
                arrays[f"{pname}/{name}"] = v if isinstance(v, np.ndarray) else v.to_numpy()
        plain[pname] = _plain_state(obj)
        if hasattr(obj, "checkpoint_state"):
            plain[pname]["__extra__"] = obj.checkpoint_state()
    meta = {"format": FORMAT, "case": case_fingerprint(sim.case), "state": plain}
    with atomic_path(path) as tmp:
        with open(tmp, "wb") as fh:
            np.savez_compressed(fh, __meta__=np.frombuffer(json.dumps(meta, default=float).encode(), np.uint8),
                                **arrays)
    return Path(path)


def _unreadable(path: Path, why: str) -> UserError:
    return UserError(f"checkpoint '{path}' is unreadable ({why}); delete it, or run without --resume to start "
                     "fresh", key="--resume")


def load_checkpoint(sim, path: str | Path) -> None:
    """Restore ``sim`` (built from the same case) from a checkpoint written by :func:`save_checkpoint`.
    An empty, truncated or foreign file is a one-line :class:`UserError` saying how to start fresh."""
    from ..io.safe_read import MAX_TABLE_BYTES, read_bytes

    path = Path(path)
    raw = read_bytes(path, what="checkpoint", key="--resume", max_bytes=64 * MAX_TABLE_BYTES)
    if not raw:
        raise _unreadable(path, "empty: a run killed while writing it?")
    try:
        data = np.load(io.BytesIO(raw))
        meta = json.loads(bytes(data["__meta__"]).decode())
        arrays = {key: data[key] for key in data.files if key != "__meta__"}
        fmt, fingerprint, states = meta.get("format"), meta["case"], meta["state"]
    except Exception as exc:  # noqa: BLE001 - zipfile, zlib, pickle and JSON each raise their own
        raise _unreadable(path, f"truncated or not a checkpoint: {type(exc).__name__}") from None
    if fmt != FORMAT:
        raise UserError(f"checkpoint {path} has format {fmt}, this version reads {FORMAT}", key="--resume")
    if fingerprint != case_fingerprint(sim.case):
        raise UserError(f"checkpoint {path} was written for a different case (physics settings changed since); "
                        "delete it or run without --resume", key="--resume")
    parts = _parts(sim)
    for key, value in arrays.items():
        pname, name = key.split("/", 1)
        if not hasattr(parts[pname], name):
            continue  # a work array made on first use: it is made again when next needed
        target = getattr(parts[pname], name)
        if hasattr(target, "from_numpy"):
            target.from_numpy(value)
        else:  # a NumPy array (None until first set in a fresh object)
            setattr(parts[pname], name, value)
    for pname, state in states.items():
        extra = state.pop("__extra__", None)
        _restore_plain(parts[pname], state)
        if extra is not None:
            parts[pname].restore_checkpoint_state(extra)


class Checkpointer:
    """Saves a checkpoint every ``interval`` s of simulated time to ``path``."""

    def __init__(self, path: str | Path, interval: float, start: float = 0.0):
        self.path = Path(path)
        self.interval = float(interval)
        self.next_t = start + self.interval

    def due(self, t: float) -> bool:
        return t >= self.next_t - 1e-12

    def save(self, sim) -> None:
        save_checkpoint(sim, self.path)
        self.next_t = sim.thermal.time + self.interval
