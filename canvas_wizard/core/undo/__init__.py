"""Undo a sync: put Canvas back the way a run found it.

``records``: what a run writes, recorded before it writes (Canvas ids and before-states);
``planner``: the inverse of those writes against a fresh snapshot (a pure function);
``engine``: read Canvas, plan, limits, apply, verify; ``service``: the same for a saved
profile, recorded in the history.
"""
