"""Building blocks shared by the parts: booleans, revolutions and extrusions of closed solids.

Coordinates are metres. Booleans go through manifold3d in double precision (``Mesh64``), so
box-shaped parts keep their closed-form volume to round-off.
"""
from __future__ import annotations

import manifold3d
import numpy as np
import shapely
import shapely.geometry
import trimesh


def to_manifold(mesh: trimesh.Trimesh) -> manifold3d.Manifold:
    """A manifold3d solid from a watertight trimesh."""
    data = manifold3d.Mesh64(vert_properties=np.ascontiguousarray(mesh.vertices, dtype=np.float64),
                             tri_verts=np.ascontiguousarray(mesh.faces, dtype=np.uint64))
    return manifold3d.Manifold(data)


def from_manifold(solid: manifold3d.Manifold) -> trimesh.Trimesh:
    """A trimesh from a manifold3d solid (positions only)."""
    data = solid.to_mesh64()
    return trimesh.Trimesh(vertices=np.asarray(data.vert_properties)[:, :3],
                           faces=np.asarray(data.tri_verts, dtype=np.int64), process=True)


def box(lower, upper) -> manifold3d.Manifold:
    """Axis-aligned box between corners ``lower`` and ``upper`` (m)."""
    lower = np.asarray(lower, dtype=float)
    size = np.asarray(upper, dtype=float) - lower
    return manifold3d.Manifold.cube(size.tolist(), False).translate(lower.tolist())


def finish(mesh: trimesh.Trimesh, what: str) -> trimesh.Trimesh:
    """Merge duplicate vertices, orient outward and make sure ``mesh`` is a closed solid.

    A failure here is a bug in the part builder, not a user mistake, hence RuntimeError.
    """
    mesh.merge_vertices()
    mesh.remove_unreferenced_vertices()
    if mesh.is_watertight and mesh.volume < 0:
        mesh.invert()
    if not mesh.is_volume:
        raise RuntimeError(f"{what}: built mesh is not a closed solid (watertight="
                           f"{mesh.is_watertight}, winding={mesh.is_winding_consistent}, "
                           f"volume={mesh.volume:.6g} m^3)")
    return mesh


def revolve_profile(profile, sections: int) -> trimesh.Trimesh:
    """Closed solid from revolving a profile ``[(r, z), ...]`` (m) about the z axis.

    The profile is an open polyline whose first and last points lie on the axis (r = 0) and
    whose other points have r > 0, so the surface closes at two poles without slivers; the
    straight axis segment between the end points is the implicit closing edge.
    """
    profile = np.asarray(profile, dtype=float)
    if profile[0, 0] != 0 or profile[-1, 0] != 0 or np.any(profile[1:-1, 0] <= 0):
        raise ValueError("profile must start and end on the axis with r > 0 in between")
    rings = profile[1:-1]
    n_rings = len(rings)
    phi = np.linspace(0.0, 2 * np.pi, sections, endpoint=False)
    ring_vertices = np.column_stack([
        np.outer(rings[:, 0], np.cos(phi)).ravel(),
        np.outer(rings[:, 0], np.sin(phi)).ravel(),
        np.repeat(rings[:, 1], sections),
    ])
    first, last = 0, 1 + n_rings * sections
    vertices = np.vstack([[0.0, 0.0, profile[0, 1]], ring_vertices, [0.0, 0.0, profile[-1, 1]]])

    j = np.arange(sections)
    jn = (j + 1) % sections
    faces = [np.column_stack([np.full(sections, first), 1 + jn, 1 + j])]
    for i in range(n_rings - 1):
        a, b = 1 + i * sections, 1 + (i + 1) * sections
        faces.append(np.column_stack([a + j, a + jn, b + j]))
        faces.append(np.column_stack([a + jn, b + jn, b + j]))
    c = 1 + (n_rings - 1) * sections
    faces.append(np.column_stack([np.full(sections, last), c + j, c + jn]))
    # orientation depends on the profile's direction; finish() turns it outward
    return trimesh.Trimesh(vertices=vertices, faces=np.vstack(faces), process=False)


#: grid (m) that 2D outlines are snapped to after booleans
SNAP_GRID = 1e-9


def snap(polygon: shapely.geometry.Polygon) -> shapely.geometry.Polygon:
    """``polygon`` with vertices on a 1 nm grid.

    Booleans return intersection points that nearly coincide with existing vertices; such
    near-duplicates make the triangulated caps of an extrusion miss each other. Snapping
    merges them and moves no vertex by more than half a nanometre.
    """
    return shapely.set_precision(polygon, SNAP_GRID)


def extrude_section(polygon: shapely.geometry.Polygon, height: float, transform=None) -> trimesh.Trimesh:
    """Prism of ``polygon`` (m, in the xy plane) from z = 0 to ``height`` (m), then ``transform``."""
    return trimesh.creation.extrude_polygon(polygon, height, transform=transform)
