"""Grain output files: VTU point clouds (via meshio, imported lazily) and PLY points with radius.

Every file is written through :func:`regolith_sim.io.atomic.atomic_path` (a temporary name in the
target folder, then ``os.replace``), so a reader never sees a half-written file.
"""
from __future__ import annotations

import json
from pathlib import Path
from typing import Mapping

import numpy as np

from ..io.atomic import atomic_path


def write_vtu(path, positions, point_data: Mapping[str, np.ndarray] | None = None,
              pairs: np.ndarray | None = None, pair_data: Mapping[str, np.ndarray] | None = None) -> Path:
    """Write grains as a VTU point cloud (one ``vertex`` cell per grain).

    ``point_data``: arrays of length N (scalars) or (N, 3) (vectors), e.g. radius [m],
    velocity [m/s], temperature [K]. ``pairs`` (M, 2) adds one ``line`` cell per contact with
    ``pair_data`` (length M, e.g. neck radius [m]) so the contact/neck network can be shown.
    """
    import meshio  # lazy: the GPU machine has no meshio

    path = Path(path)
    x = np.asarray(positions, float).reshape(-1, 3)
    n = len(x)
    cells = [("vertex", np.arange(n, dtype=np.int64).reshape(-1, 1))]
    cell_data: dict[str, list[np.ndarray]] = {}
    if pairs is not None and len(pairs):
        cells.append(("line", np.asarray(pairs, np.int64).reshape(-1, 2)))
        for k, v in (pair_data or {}).items():
            cell_data[k] = [np.zeros(n), np.asarray(v, float)]
    pd = {k: np.asarray(v, float) for k, v in (point_data or {}).items()}
    for k, v in pd.items():
        if len(v) != n:
            raise ValueError(f"point data {k!r} has {len(v)} values for {n} grains")
    mesh = meshio.Mesh(x, cells, point_data=pd, cell_data=cell_data or None)
    with atomic_path(path) as tmp:
        meshio.write(tmp, mesh, file_format="vtu")
    return path


def write_ply(path, positions, radii, extra: Mapping[str, np.ndarray] | None = None) -> Path:
    """Write grains as a binary little-endian PLY vertex list with x, y, z, radius [m] (float32)
    and optional extra float properties (e.g. temperature). No mesh library needed."""
    path = Path(path)
    x = np.asarray(positions, float).reshape(-1, 3)
    cols = {"x": x[:, 0], "y": x[:, 1], "z": x[:, 2], "radius": np.asarray(radii, float)}
    for k, v in (extra or {}).items():
        cols[k] = np.asarray(v, float)
    n = len(x)
    rec = np.empty(n, dtype=[(k, "<f4") for k in cols])
    for k, v in cols.items():
        if len(v) != n:
            raise ValueError(f"PLY property {k!r} has {len(v)} values for {n} points")
        rec[k] = v
    header = "ply\nformat binary_little_endian 1.0\ncomment regolith_sim grains, SI units (m)\n"
    header += f"element vertex {n}\n" + "".join(f"property float {k}\n" for k in cols) + "end_header\n"
    with atomic_path(path) as tmp:
        tmp.write_bytes(header.encode("ascii") + rec.tobytes())
    return path


def read_ply(path) -> dict[str, np.ndarray]:
    """Read back a PLY written by :func:`write_ply` (float properties of the vertex element)."""
    data = Path(path).read_bytes()
    end = data.index(b"end_header\n") + len(b"end_header\n")
    lines = data[:end].decode("ascii").splitlines()
    n = int(next(ln.split()[2] for ln in lines if ln.startswith("element vertex")))
    names = [ln.split()[2] for ln in lines if ln.startswith("property float")]
    rec = np.frombuffer(data[end:end + 4 * len(names) * n], dtype=[(k, "<f4") for k in names])
    return {k: rec[k].astype(float) for k in names}


def write_json(path, obj) -> Path:
    """Atomic JSON write; numpy arrays and scalars become lists and floats."""
    path = Path(path)

    def conv(o):
        if isinstance(o, np.ndarray):
            return o.tolist()
        if isinstance(o, (np.floating, np.integer)):
            return o.item()
        raise TypeError(f"cannot write {type(o).__name__} to JSON")

    try:
        text = json.dumps(obj, indent=2, default=conv, allow_nan=False)
    except ValueError:  # a NaN or inf: say where instead of writing it
        from ..errors import SimulationDiverged

        raise SimulationDiverged(f"{path.name}: non-finite value at {_first_non_finite(obj)}") from None
    with atomic_path(path) as tmp:
        tmp.write_text(text)
    return path


def _first_non_finite(obj, where: str = "") -> str:
    """Dotted path of the first NaN/inf in a nested summary (for the error message)."""
    if isinstance(obj, dict):
        items = obj.items()
    elif isinstance(obj, (list, tuple, np.ndarray)):
        items = ((str(i), v) for i, v in enumerate(obj))
    else:
        return where if isinstance(obj, (float, np.floating)) and not np.isfinite(obj) else ""
    for k, v in items:
        hit = _first_non_finite(v, f"{where}.{k}" if where else str(k))
        if hit:
            return hit
    return ""


def write_system(out_dir, stem: str, system, vtu: bool = True, ply: bool = True) -> dict[str, str]:
    """Write the live grains of a :class:`~regolith_sim.particles.dem.DEMSystem`: ``stem.vtu``
    (radius, velocity, temperature, coordination, largest neck ratio x/a per grain, and the
    contact lines with their neck radius) and ``stem.ply``. Returns {kind: path}."""
    out_dir = Path(out_dir)
    alive = system.alive
    idx = np.flatnonzero(alive)
    remap = -np.ones(system.n, np.int64)
    remap[idx] = np.arange(len(idx))
    x, r = system.positions[idx], system.radii[idx]
    c = system.contacts()
    pairs = np.stack([remap[c["i"]], remap[c["j"]]], 1) if len(c["i"]) else np.zeros((0, 2), np.int64)
    coord = np.zeros(system.n)
    np.add.at(coord, c["i"], 1)
    np.add.at(coord, c["j"], 1)
    ratio = np.zeros(system.n)
    if len(c["i"]):
        a = 2.0 * system.radii[c["i"]] * system.radii[c["j"]] / (system.radii[c["i"]] + system.radii[c["j"]])
        np.maximum.at(ratio, c["i"], c["neck"] / a)
        np.maximum.at(ratio, c["j"], c["neck"] / a)
    out = {}
    if vtu:
        pd = dict(radius=r, velocity=system.velocities[idx], temperature=system.temperatures[idx],
                  coordination=coord[idx], neck_ratio_max=ratio[idx])
        out["vtu"] = str(write_vtu(out_dir / f"{stem}.vtu", x, pd, pairs,
                                   dict(neck_radius=c["neck"], overlap=c["overlap"])))
    if ply:
        out["ply"] = str(write_ply(out_dir / f"{stem}.ply", x, r, dict(temperature=system.temperatures[idx])))
    return out
