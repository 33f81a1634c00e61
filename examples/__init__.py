"""The example case files, shipped inside the package as ``regolith_sim.examples`` (see pyproject.toml)."""
