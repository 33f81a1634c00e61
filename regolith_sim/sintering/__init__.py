"""Densification of regolith by sintering and melting (master sintering curve, viscous sintering),
(the as-built strength is regolith_sim.outcomes)."""
from __future__ import annotations

from .asbuilt import consolidated_top, part_height
from .models import furnace_window
from .tables import MODELS, SinteringTables

__all__ = ["MODELS", "Densifier", "SinteringTables", "consolidated_top", "furnace_window",
           "part_height"]


def __getattr__(name):
    # Densifier imports the kernel runtime; keep `import regolith_sim.sintering` free of Taichi.
    if name == "Densifier":
        from .densifier import Densifier

        return Densifier
    raise AttributeError(name)
