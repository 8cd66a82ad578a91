"""Per-clip curation filters: analysis frames, camera motion, shake, shot cuts, overlays, quality, crowds, and the
threshold decision. Import from the submodules (e.g. `wpdata.filters.motion`).
"""
