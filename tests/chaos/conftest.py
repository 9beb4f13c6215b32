"""Fixtures for the chaos suite; helpers live in chaos_support.py.

Test modules import helpers from ``chaos_support``, never from ``conftest``: with
several test folders each having a conftest.py, ``import conftest`` finds
whichever was imported first.
"""

from chaos_support import canvas, connected, school

__all__ = ["canvas", "connected", "school"]
