"""A local Canvas look-alike over real HTTP, for ``canvas-wizard --demo`` and the tests.

It behaves as /work/shared/canvas-facts.md describes real Canvas: the same status
codes, headers, paging, throttling and error bodies. ``python -m
canvas_wizard.sandbox`` runs one in the foreground.
"""

from __future__ import annotations

from canvas_wizard.sandbox.app import SandboxCanvas
from canvas_wizard.sandbox.consent import ConsentError
from canvas_wizard.sandbox.state import DeveloperKey, SandboxState
from canvas_wizard.sandbox.throttle import ThrottleConfig

__all__ = ["ConsentError", "DeveloperKey", "SandboxCanvas", "SandboxState", "ThrottleConfig"]
