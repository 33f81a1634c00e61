"""Taichi kernels only: arrays in, arrays out, no file I/O.

``backend`` holds the single Taichi import and ``init``; the physics kernels live in
``thermal``, ``sintering`` and ``particles``.
"""
