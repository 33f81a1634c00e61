"""B-rep cylindrical habitat: the berm section (two flanks tangent to a circular crown, minus the
module circle) and the module circle, each extruded along the module axis.

Same frame and section as :mod:`geometries.cylinder` (module axis along x at height
h = module_radius - embedment, ground z = 0). Here the crown and the module are true circular
arcs, and the module is a true cylinder, so the berm volume has a closed form:
L x (flank trapezoid + crown circular segment - module area above the ground).
"""
from __future__ import annotations

from build123d import Edge, Face, Solid

from ..cylinder import crown_tangent
from .sections import circle_face, extrude, face, line


def cylinder_habitat(v: dict) -> dict[str, Solid]:
    """``berm`` (the part) and ``module`` (the habitat cylinder), closed solids (m)."""
    r, length = v["module_radius"], v["module_length"]
    h = r - v["embedment"]
    x0 = -length / 2
    y_tan, z_tan, y_foot = crown_tangent(v)
    top = (x0, 0.0, h + r + v["berm_thickness"])
    outer = face([
        line((x0, -y_foot, 0.0), (x0, y_foot, 0.0)),
        line((x0, y_foot, 0.0), (x0, y_tan, z_tan)),
        Edge.make_three_point_arc((x0, y_tan, z_tan), top, (x0, -y_tan, z_tan)),
        line((x0, -y_tan, z_tan), (x0, -y_foot, 0.0)),
    ])
    # the section plane x = x0 with its normal along +x, the extrusion direction
    circle = circle_face(r, (x0, 0.0, h), (1.0, 0.0, 0.0))
    along = (length, 0.0, 0.0)
    berm = outer.cut(circle)
    if not isinstance(berm, Face):
        faces = berm.faces()
        if len(faces) != 1:
            raise RuntimeError(f"cylinder-habitat: berm section is {len(faces)} faces, not one")
        berm = faces[0]
    return {"berm": extrude(berm, along), "module": extrude(circle, along)}
