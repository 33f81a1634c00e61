"""Matplotlib figures (imported lazily: the GPU batch path never needs them)."""
