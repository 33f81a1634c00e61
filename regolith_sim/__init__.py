"""regolith_sim: lunar regolith heated, sintered, melted and printed into structures."""
from ._version import __version__

__all__ = ["__version__"]
