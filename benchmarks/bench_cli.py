"""Command-line options the benchmarks share, so a flag means the same in every script.

* :func:`add_runtime_options`: ``--arch`` and ``--precision`` (the Taichi runtime, as in ``backend.init``)
* :func:`add_out_option`: ``--out`` (the JSON file; default ``benchmarks/results/NAME.json``)
* :func:`write_json_atomic`: the results file every script writes (strict JSON, atomically)
* :func:`kernel_parser` + :func:`parse_kernel_args`: the kernel benchmarks' set (thermal.py,
  sintering.py): the two above plus ``--sizes`` (cube edges), ``--quick`` and ``--min-time``, whose
  defaults differ between a full run and ``--quick`` (:class:`Defaults`).

Standard library only at import time: sweep.py imports it without loading Taichi.
"""
import argparse
from dataclasses import dataclass
from pathlib import Path

RESULTS = Path(__file__).resolve().parent / "results"


@dataclass(frozen=True)
class Defaults:
    """Values of ``--sizes`` (comma-separated cube edges) and ``--min-time`` [s] when not given."""

    sizes: str
    quick_sizes: str
    min_time: float = 2.0
    quick_min_time: float = 0.2


def write_json_atomic(path, data: dict) -> Path:
    """Write ``data`` to ``path`` atomically as strict JSON (a NaN timing becomes null); returns the path."""
    from regolith_sim.io.json_out import write_json  # standard library only

    return write_json(path, data)


def add_runtime_options(ap: argparse.ArgumentParser) -> None:
    from gpu_kernels import backend  # here, not at import: Taichi loads with it

    ap.add_argument("--arch", default="auto", choices=backend.ARCHES, help="Taichi backend (default auto)")
    ap.add_argument("--precision", default="f64", choices=backend.PRECISIONS, help="float width (default f64)")


def add_out_option(ap: argparse.ArgumentParser, name: str) -> None:
    default = RESULTS / f"{name}.json"
    ap.add_argument("--out", default=str(default), help=f"JSON file to write, atomically (default {default})")


def kernel_parser(description: str, name: str, defaults: Defaults) -> argparse.ArgumentParser:
    """A parser with --arch, --precision, --sizes, --quick, --min-time and --out; add the script's own
    options to it, then parse with :func:`parse_kernel_args`."""
    ap = argparse.ArgumentParser(description=description)
    add_runtime_options(ap)
    ap.add_argument("--sizes", default=None,
                    help=f"comma-separated cube edges (default {defaults.sizes}; quick: {defaults.quick_sizes})")
    ap.add_argument("--quick", action="store_true", help="small sizes and short timings (smoke test)")
    ap.add_argument("--min-time", type=float, default=None,
                    help=f"seconds per timed batch (default {defaults.min_time:g}, quick {defaults.quick_min_time:g})")
    add_out_option(ap, name)
    return ap


def quick_or(value, quick: bool, quick_value, full_value):
    """``value`` when given, else the --quick or the full-run default."""
    if value is not None:
        return value
    return quick_value if quick else full_value


def parse_kernel_args(ap: argparse.ArgumentParser, defaults: Defaults, argv=None) -> argparse.Namespace:
    """Parse; ``sizes`` becomes a list of ints and ``min_time`` a float, defaults filled in."""
    args = ap.parse_args(argv)
    text = quick_or(args.sizes, args.quick, defaults.quick_sizes, defaults.sizes)
    try:
        args.sizes = [int(x) for x in text.split(",") if x.strip()]
    except ValueError:
        args.sizes = []
    if not args.sizes or min(args.sizes) < 1:
        ap.error(f"--sizes {text!r}: expected comma-separated positive integers, e.g. {defaults.sizes}")
    args.min_time = quick_or(args.min_time, args.quick, defaults.quick_min_time, defaults.min_time)
    return args
