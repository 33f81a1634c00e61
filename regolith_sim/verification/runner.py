"""Read verification case files and run them."""
from __future__ import annotations

import difflib
import inspect
from pathlib import Path

from ..config.loader import read_toml
from ..errors import ConfigError
from ..example_cases import VERIFICATION, examples_dir
from .cases import CASES, Check
from . import sintering_cases  # noqa: F401  (registers the sintering cases in CASES)


def load_verification_case(path: str | Path) -> tuple[str, dict]:
    """A file's case kind and keyword parameters, checked against the case function's signature."""
    data = read_toml(path, "verification case")
    kind = data.get("kind")
    if kind not in CASES:
        guess = difflib.get_close_matches(str(kind), list(CASES), n=1)
        hint = f"; did you mean '{guess[0]}'?" if guess else ""
        raise ConfigError(f"kind = {kind!r}{hint} Allowed: {', '.join(CASES)}", key=f"{path}: kind")
    params = data.get("params", {})
    if not isinstance(params, dict):
        raise ConfigError(f"{params!r} is not a table; allowed: [params] with name = <positive number in SI>",
                          key=f"{path}: params")
    allowed = inspect.signature(CASES[kind]).parameters
    for key, value in params.items():
        if key not in allowed:
            raise ConfigError(f"unknown parameter; allowed: {', '.join(allowed)}", key=f"{path}: params.{key}")
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 < value < float("inf"):
            raise ConfigError(f"{value!r} must be a positive number (SI units)", key=f"{path}: params.{key}")
    return kind, params


def run_file(path: str | Path) -> Check:
    kind, params = load_verification_case(path)
    return CASES[kind](**params)


def run_all(folder: str | Path | None = None, only: list[str] | None = None) -> list[Check]:
    """Run every case file in ``folder`` (default: the shipped examples/verification), or the ``only`` ones
    (file stems)."""
    folder = Path(folder) if folder else examples_dir() / VERIFICATION
    files = sorted(folder.glob("*.toml")) if folder.is_dir() else []
    if not files:
        raise ConfigError(f"'{folder}' holds no verification case files (*.toml)", key="--cases")
    unknown = sorted(set(only or ()) - {f.stem for f in files})
    if unknown:
        raise ConfigError(f"no case {', '.join(unknown)} in '{folder}'; allowed: {', '.join(f.stem for f in files)}",
                          key="--only")
    return [run_file(f) for f in files if not only or f.stem in only]
