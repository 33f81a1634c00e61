"""The case-file reference, generated from the schema so the README cannot drift from the code.

Generated blocks live in Markdown files between ``<!-- NAME:start -->`` and ``<!-- NAME:end -->``
(:func:`marked_block`, :func:`replace_marked_block`): ``config-reference`` in README.md and
``particles-reference`` in docs/particles.md; tests compare each with a fresh generation.
"""
from __future__ import annotations

from pathlib import Path
from typing import get_args, get_origin

from pydantic import BaseModel

from ..errors import UserError
from .fields import unit_of
from .loader import _bounds, _unwrap
from .schema import Case


def _default(field) -> str:
    if field.default_factory is not None:
        value = field.default_factory()
        if isinstance(value, BaseModel):
            return "(table)"
        return repr(value) if value not in ({}, []) else "(empty)"
    return "(required)" if field.is_required() else repr(field.default)


def _allowed(field) -> str:
    ann = _unwrap(field.annotation)
    if get_origin(ann) is not None and str(get_origin(ann)).endswith("Literal"):
        return " / ".join(str(a) for a in get_args(ann))
    if get_origin(ann) is list:
        inner = get_args(ann)[0]
        if get_args(inner):
            return "list of " + " / ".join(str(a) for a in get_args(inner))
    text, unit = _bounds(field), unit_of(field)
    # the unit has its own column: drop the suffix _bounds appends
    return text[: -len(unit) - 1] if unit not in ("1", "") and text.endswith(" " + unit) else text


def _rows(model: type[BaseModel], prefix: str):
    nested = []
    for name, field in model.model_fields.items():
        ann = _unwrap(field.annotation)
        if isinstance(ann, type) and issubclass(ann, BaseModel):
            nested.append((f"{prefix}{name}", ann, field))
            continue
        unit = unit_of(field) or "-"
        yield f"| `{prefix}{name}` | {unit} | {_default(field)} | {_allowed(field)} | {field.description or ''} |"
    for path, sub, field in nested:
        yield from _section(sub, path, get_origin(field.annotation) is list)


def _section(model: type[BaseModel], path: str, is_list: bool = False):
    doc = (model.__doc__ or "").strip().splitlines()[0] if model.__doc__ else ""
    header = f"[[{path}]]" if is_list else f"[{path}]"
    yield ""
    yield f"### `{header}`" + (f" — {doc}" if doc else "")
    yield ""
    yield "| key | unit | default | allowed | meaning |"
    yield "|---|---|---|---|---|"
    yield from _rows(model, f"{path}.")


def reference_markdown() -> str:
    lines = ["Quantities take a bare number in the SI unit shown or a string with a unit, "
             "e.g. `spot_diameter = \"4 mm\"`, `local_time = \"6 h\"`, `max_temperature = \"1500 degC\"`.", "",
             "### top level", "", "| key | unit | default | allowed | meaning |", "|---|---|---|---|---|"]
    top_nested = []
    for name, field in Case.model_fields.items():
        ann = _unwrap(field.annotation)
        if isinstance(ann, type) and issubclass(ann, BaseModel):
            top_nested.append((name, ann, field))
        else:
            lines.append(f"| `{name}` | - | {_default(field)} | | {field.description} |")
    for name, sub, field in top_nested:
        lines.extend(_section(sub, name))
    return "\n".join(lines) + "\n"


def _markers(name: str) -> tuple[str, str]:
    return f"<!-- {name}:start -->", f"<!-- {name}:end -->"


def _split_marked(doc: str, name: str, path) -> tuple[str, str, str]:
    start, end = _markers(name)
    if doc.count(start) != 1 or doc.count(end) != 1 or doc.index(start) > doc.index(end):
        raise UserError(f"'{path}' must hold '{start}' once and then '{end}' once around the generated block")
    head, rest = doc.split(start, 1)
    body, tail = rest.split(end, 1)
    return head, body, tail


def marked_block(path: str | Path, name: str) -> str:
    """The text between the NAME markers of the Markdown file at ``path``, stripped."""
    return _split_marked(Path(path).read_text(encoding="utf-8"), name, path)[1].strip()


def replace_marked_block(path: str | Path, name: str, text: str) -> Path:
    """Put ``text`` between the NAME markers of the file at ``path`` (atomically; the rest is kept)."""
    from ..io.atomic import write_text

    path = Path(path)
    if not path.is_file():
        raise UserError(f"'{path}' not found: run this from the repository root")
    head, _, tail = _split_marked(path.read_text(encoding="utf-8"), name, path)
    start, end = _markers(name)
    return write_text(path, f"{head}{start}\n{text.strip()}\n{end}{tail}")
