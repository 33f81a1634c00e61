"""How much host memory a run may take: read once per check, before anything large is allocated."""
from __future__ import annotations


def available_memory() -> float | None:
    """Bytes of memory available now (``MemAvailable`` of /proc/meminfo), or None where it cannot be read
    (not Linux, no /proc): the callers then skip their check rather than guess."""
    try:
        with open("/proc/meminfo") as f:
            for line in f:
                if line.startswith("MemAvailable:"):
                    return float(line.split()[1]) * 1024.0
    except OSError:
        return None
    return None
