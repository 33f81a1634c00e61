"""VTK XML files that ParaView opens as they are: image data (``.vti``) for the voxel fields and a
``.pvd`` collection that makes a time series of them.

Written here rather than through VTK so that a run needs no VTK installation (GPU nodes often lack
it). Format: VTK file-format specification, "XML File Formats" (Kitware, VTK User's Guide, 11th ed.,
ch. 19): cell data, x fastest; inline binary arrays are base64 of a UInt64 byte count followed by the
raw little-endian bytes.
"""
from __future__ import annotations

import base64
from pathlib import Path
from typing import Mapping, Sequence
from xml.sax.saxutils import quoteattr

import numpy as np

from .atomic import write_text

_VTK_TYPES = {np.dtype("float32"): "Float32", np.dtype("float64"): "Float64", np.dtype("uint8"): "UInt8",
              np.dtype("int8"): "Int8", np.dtype("int32"): "Int32", np.dtype("int64"): "Int64"}


def _data_array(name: str, values: np.ndarray) -> str:
    """One cell array: (nx, ny, nz) scalars or (nx, ny, nz, n) n-component vectors."""
    components = values.shape[3] if values.ndim == 4 else 1
    # VTK image data runs x fastest, a cell's components together
    flat = np.ascontiguousarray(values.transpose(2, 1, 0, *range(3, values.ndim))).ravel()
    if flat.dtype not in _VTK_TYPES:
        flat = flat.astype(np.float32)
    flat = flat.astype(flat.dtype.newbyteorder("<"), copy=False)
    payload = np.array([flat.nbytes], dtype="<u8").tobytes() + flat.tobytes()
    return (f'<DataArray type="{_VTK_TYPES[flat.dtype.newbyteorder("=")]}" Name={quoteattr(name)} '
            f'NumberOfComponents="{components}" format="binary">{base64.b64encode(payload).decode("ascii")}</DataArray>')


def image_data_xml(cell_data: Mapping[str, np.ndarray], origin: Sequence[float], spacing: float) -> str:
    """A ``.vti`` document with one cell array per entry of ``cell_data`` (all the same 3D shape, vectors
    with their components along a fourth axis)."""
    shapes = {a.shape[:3] for a in cell_data.values()}
    if len(shapes) != 1 or len(next(iter(shapes))) != 3 or any(np.ndim(a) > 4 for a in cell_data.values()):
        raise ValueError(f"cell arrays must share one 3D shape, got {shapes}")
    nx, ny, nz = next(iter(shapes))
    extent = f"0 {nx} 0 {ny} 0 {nz}"
    arrays = "\n".join(_data_array(n, np.asarray(a)) for n, a in cell_data.items())
    first = next(iter(cell_data))
    ox, oy, oz = (float(v) for v in origin)
    spacing = float(spacing)
    return (
        '<?xml version="1.0"?>\n'
        '<VTKFile type="ImageData" version="1.0" byte_order="LittleEndian" header_type="UInt64">\n'
        f'<ImageData WholeExtent="{extent}" Origin="{ox!r} {oy!r} {oz!r}" '
        f'Spacing="{spacing!r} {spacing!r} {spacing!r}">\n'
        f'<Piece Extent="{extent}">\n<CellData Scalars={quoteattr(first)}>\n{arrays}\n</CellData>\n'
        "</Piece>\n</ImageData>\n</VTKFile>\n"
    )


def write_image_data(path: str | Path, cell_data: Mapping[str, np.ndarray], origin, spacing: float) -> Path:
    """Write a ``.vti`` file atomically."""
    return write_text(path, image_data_xml(cell_data, origin, spacing))


def write_collection(path: str | Path, frames: Sequence[tuple[float, str]]) -> Path:
    """Write a ``.pvd`` collection of (time [s], file relative to the .pvd) entries atomically."""
    rows = "\n".join(f'<DataSet timestep="{float(t)!r}" group="" part="0" file={quoteattr(f)}/>' for t, f in frames)
    return write_text(path, '<?xml version="1.0"?>\n<VTKFile type="Collection" version="0.1" '
                            f'byte_order="LittleEndian">\n<Collection>\n{rows}\n</Collection>\n</VTKFile>\n')
