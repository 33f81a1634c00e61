"""JSON the tool writes: strict JSON that any reader accepts, NaN and infinities written as null.

Python's json module writes NaN and Infinity by default, which is not JSON: JavaScript, jq and most
other readers refuse the whole file. The outputs that can hold a missing number (run summaries and
status, validation results, sweep manifests and status, plan budgets, benchmark results) go through
:func:`dumps`, which turns each non-finite number into null and passes ``allow_nan=False`` so that a
value this module does not reach fails loudly instead of writing invalid JSON. (Listings of materials,
sites and geometries print tables of data-file numbers; the particle summaries refuse NaN themselves.)

Standard library only (NumPy values are recognised by their ``item``/``tolist`` methods), so the
benchmarks can import it without loading the simulator.
"""
from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any, Callable

from .atomic import write_text


def json_ready(value: Any, default: Callable[[Any], Any] | None = None) -> Any:
    """``value`` as plain JSON types: dicts, lists, str, int, finite float, bool or None.

    NumPy arrays become lists and NumPy scalars Python numbers; a NaN or infinite float becomes None
    (null: "no value", as the summary keys document). Any other object goes through ``default`` (as
    json.dumps' argument) and its result is made ready in turn; without ``default`` it raises TypeError.
    """
    if value is None or isinstance(value, (str, bool, int)):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {_key(k): json_ready(v, default) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [json_ready(v, default) for v in value]
    if hasattr(value, "tolist") and hasattr(value, "dtype"):  # NumPy array or scalar
        return json_ready(value.tolist(), default)
    if default is None:
        raise TypeError(f"cannot write {type(value).__name__} to JSON")
    return json_ready(default(value), None)


def _key(k: Any) -> Any:
    """A dict key json.dumps accepts; NumPy scalar keys become Python ones."""
    return k.item() if hasattr(k, "item") and hasattr(k, "dtype") else k


def dumps(value: Any, *, indent: int | None = 2, default: Callable[[Any], Any] | None = None, **kw) -> str:
    """Strict JSON text of ``value`` (see :func:`json_ready`); never contains NaN or Infinity."""
    return json.dumps(json_ready(value, default), indent=indent, allow_nan=False, **kw)


def write_json(path: str | Path, value: Any, *, indent: int | None = 2,
               default: Callable[[Any], Any] | None = None, **kw) -> Path:
    """Write :func:`dumps` of ``value`` (with a final newline) to ``path`` atomically; returns the path."""
    return write_text(path, dumps(value, indent=indent, default=default, **kw) + "\n")
