"""The example case files shipped with the package: the repository's top-level ``examples/`` folder.

Wheels carry that folder as the package ``regolith_sim.examples`` (``package-dir`` in pyproject.toml),
so `regolith-sim demo`, `validate` and `examples` find the same files from a source checkout, an
editable install or an installed wheel, and the repository keeps a single copy of them.
"""
from __future__ import annotations

import difflib
import re
import shutil
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from .errors import UserError
from .io.atomic import atomic_path

PACKAGE = "regolith_sim.examples"
#: Files a case may read besides itself ride along (the laser track's machine log is a CSV).
SHIPPED_SUFFIXES = (".toml", ".csv")
#: The sub-folder `regolith-sim validate` runs by default.
VERIFICATION = "verification"
#: The sub-folder of published experiments `regolith-sim validate --suite experiments` runs.
EXPERIMENTS = "experiments"


@dataclass(frozen=True)
class ExampleCase:
    name: str         #: path relative to the examples folder, e.g. 'verification/rosenthal.toml'
    description: str  #: one line


def examples_dir() -> Path:
    """The folder holding the shipped example cases."""
    try:
        root = resources.files(PACKAGE)
    except ModuleNotFoundError:
        # A checkout used without installing it (PYTHONPATH=.) has no package mapping: examples/ is a sibling.
        root = Path(__file__).resolve().parents[1] / "examples"
    if not isinstance(root, Path) or not root.is_dir():
        # pip unpacks wheels, so this only happens for a zipped or broken install.
        raise RuntimeError(f"the example cases are not a folder on disk ({root}); reinstall regolith-sim with pip")
    return root


def shipped_files() -> list[str]:
    """Every shipped case and data file as a path relative to :func:`examples_dir`; top-level files first."""
    root = examples_dir()
    names = [p.relative_to(root).as_posix() for p in root.rglob("*")
             if p.suffix in SHIPPED_SUFFIXES and p.is_file()]
    return sorted(names, key=lambda n: (n.count("/"), n))


def example_path(name: str) -> Path:
    """A shipped file by its path relative to the examples folder, '.toml' optional
    (``'change8_brick'``, ``'verification/rosenthal.toml'``)."""
    known = shipped_files()
    rel = name if name.endswith(SHIPPED_SUFFIXES) else f"{name}.toml"
    if rel not in known:
        cases = [n.removesuffix(".toml") for n in known if n.endswith(".toml")]
        guess = difflib.get_close_matches(rel.removesuffix(".toml"), cases, n=1)
        hint = f"did you mean '{guess[0]}'? " if guess else ""
        raise UserError(f"no example case '{name}'; {hint}shipped cases: {', '.join(cases)}", key="example")
    return examples_dir() / rel


#: Words ending in a full stop that end no sentence (a description is the comment's first sentence).
ABBREVIATIONS = (" et al.", " e.g.", " i.e.", " cf.", " Sec.", " Fig.", " Eq.", " vs.", " approx.")


def describe(path: Path) -> str:
    """One line about a case file: its ``description`` key, else its first comment sentence, else its
    verification kind."""
    from .config.loader import read_toml

    data = read_toml(path, "example case")
    if isinstance(data.get("description"), str):
        return data["description"]
    lines = path.read_text(encoding="utf-8").splitlines()
    comments = [line.lstrip("#").strip() for line in lines[:2] if line.startswith("#")]
    if comments:
        first = comments[0]
        for stop in re.finditer(r"\. ", first):
            head = first[: stop.start() + 1]
            # not an abbreviation: "Chen et al. (2024)", or one in a citation, "(cf. ...", "Sec. 2.4)"
            if head.count("(") == head.count(")") and not head.endswith(ABBREVIATIONS):
                return head
        # the comment's sentence runs on to the next line
        return first + (" ..." if len(comments) > 1 and not first.endswith((".", ":")) else "")
    return f"verification case '{data['kind']}'" if "kind" in data else ""


def list_cases() -> list[ExampleCase]:
    """The shipped case files (TOML) with their descriptions."""
    root = examples_dir()
    return [ExampleCase(n, describe(root / n)) for n in shipped_files() if n.endswith(".toml")]


def copy_examples(dest: str | Path, force: bool = False) -> list[Path]:
    """Copy every shipped file into ``dest``, keeping the sub-folders so relative references (a sweep's
    ``base``, the laser track's CSV) still resolve; refuse to overwrite unless ``force``. Return the copies."""
    root, dest = examples_dir(), Path(dest)
    if dest.exists() and not dest.is_dir():
        raise UserError(f"'{dest}' is a file; give a folder to copy the examples into", key="DEST")
    names = shipped_files()
    existing = [n for n in names if (dest / n).exists()]
    if existing and not force:
        shown = ", ".join(existing[:3]) + (f" and {len(existing) - 3} more" if len(existing) > 3 else "")
        raise UserError(f"{shown} already exist in '{dest}'; nothing copied (--force overwrites)", key="DEST")
    copies = []
    for n in names:
        with atomic_path(dest / n) as tmp:
            shutil.copyfile(root / n, tmp)
        copies.append(dest / n)
    return copies
