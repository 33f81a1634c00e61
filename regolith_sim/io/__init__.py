"""Writing results: atomic files, summaries, fields, meshes."""
