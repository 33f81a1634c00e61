"""Where materials come from: the packaged data files, a user folder, or a path.

A user adds a material by dropping ``NAME.toml`` into ``$REGOLITH_SIM_MATERIALS`` (default
``~/.config/regolith_sim/materials``) or by pointing a case file's ``material.name`` at a file.
"""
from __future__ import annotations

import difflib
import os
import sys
from functools import lru_cache
from pathlib import Path

from ..io.safe_read import read_toml
from ..errors import MaterialError
from .record import Material, material_from_dict

BUILTIN_DIR = Path(__file__).with_name("data")


def user_dir() -> Path:
    return Path(os.environ.get("REGOLITH_SIM_MATERIALS", Path.home() / ".config" / "regolith_sim" / "materials"))


def _files() -> list[Path]:
    """Data files, user folder first so a user file can shadow a built-in one."""
    out = []
    for folder in (user_dir(), BUILTIN_DIR):
        if folder.is_dir():
            out.extend(sorted(folder.glob("*.toml")))
    return out


@lru_cache(maxsize=64)
def _load_file(path: Path, mtime: float | None) -> Material:
    return material_from_dict(read_toml(path, what="material file", key="material.name", error=MaterialError), path)


def load_file(path: str | Path) -> Material:
    """The material of a data file; any fault of the file (missing, not a regular file, not UTF-8 TOML,
    wrong types or values) is a one-line :class:`MaterialError`."""
    p = Path(path).expanduser()
    try:
        p, mtime = p.resolve(), p.stat().st_mtime
    except (OSError, RuntimeError):  # missing or a symlink loop: the reader says which
        mtime = None
    if mtime is None:
        return material_from_dict(read_toml(p, what="material file", key="material.name", error=MaterialError), p)
    return _load_file(p, mtime)


_warned: set[Path] = set()


def _usable(p: Path) -> Material | None:
    """The material of ``p``; a malformed file of the user folder is skipped with one warning line (a
    broken built-in is a bug and raises)."""
    try:
        return load_file(p)
    except MaterialError as exc:
        if p.parent == BUILTIN_DIR:
            raise
        if p not in _warned:
            _warned.add(p)
            from ..errors import printable

            print(f"regolith-sim: warning: skipping material file {printable(str(p))}: "
                  f"{printable(str(exc).removeprefix('material.name: '))}", file=sys.stderr)
        return None


def _index() -> dict[str, Path]:
    idx: dict[str, Path] = {}
    for p in reversed(_files()):  # built-ins first, then user files override
        m = _usable(p)
        if m is None:
            continue
        for alias in (m.name, *m.aliases, p.stem):
            idx[_norm(alias)] = p
    return idx


def _norm(name: str) -> str:
    return name.lower().replace("_", "-").replace(" ", "-")


def list_materials() -> list[Material]:
    """Every available material (user folder and built-ins), one per file, sorted by name."""
    seen, out = set(), []
    for p in _files():
        m = _usable(p)
        if m is not None and _norm(m.name) not in seen:
            seen.add(_norm(m.name))
            out.append(m)
    return sorted(out, key=lambda m: m.name.lower())


def get_material(name: str, overrides: dict | None = None, base_dir: Path | None = None) -> Material:
    """A material by name or alias (case-insensitive), or from a ``.toml`` path; with overrides applied."""
    if name.endswith(".toml") or os.sep in name:
        path = Path(name).expanduser()
        if not path.is_absolute() and base_dir is not None:
            path = base_dir / path
        m = load_file(path)
    else:
        idx = _index()
        p = idx.get(_norm(name))
        if p is None:
            names = sorted({load_file(q).name for q in idx.values()})
            guess = difflib.get_close_matches(_norm(name), list(idx), n=1, cutoff=0.4)
            hint = f"; did you mean '{load_file(idx[guess[0]]).name}'?" if guess else ""
            raise MaterialError(f"unknown material {name!r}{hint} Available: {', '.join(names)}",
                                key="material.name")
        m = load_file(p)
    if overrides:
        from .record import flatten

        m = m.with_overrides(flatten(overrides))
    return m
