"""Fixtures for the sync tests; the helpers live in sync_support.py.

Test modules import helpers from ``sync_support``, never from ``conftest``: with
several test folders each having a conftest.py, ``import conftest`` finds
whichever was imported first.
"""

from sync_support import canvas, client, sign_in

__all__ = ["canvas", "client", "sign_in"]
