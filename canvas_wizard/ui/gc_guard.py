"""Python's cyclic garbage collector runs only on the GUI thread.

Left alone, the collector runs on whichever thread happens to allocate, and
worker threads allocate a lot during a sync. When it frees a Qt object held in a
reference cycle from a worker thread, Qt deletes it on the wrong thread and the
app can crash (seen in our tests as a segfault inside a pool thread). So the
automatic collector is switched off and a GUI-thread timer collects instead,
as often as the thresholds would have. (PySide has no fix for this in Qt 6:
it is the documented caveat of Qt objects owned by Python.)
"""

from __future__ import annotations

import gc

from PySide6.QtCore import QObject, QTimer

_guard: GuiGarbageCollector | None = None


class GuiGarbageCollector(QObject):
    INTERVAL_MS = 500

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._threshold = gc.get_threshold()
        gc.disable()
        self._timer = QTimer(self)
        self._timer.setInterval(self.INTERVAL_MS)
        self._timer.timeout.connect(self.check)
        self._timer.start()

    def check(self) -> None:
        # Collect the generations whose thresholds were passed, youngest first.
        counts = gc.get_count()
        for generation in (2, 1, 0):
            if counts[generation] > self._threshold[generation]:
                gc.collect(generation)
                break

    def stop(self) -> None:
        self._timer.stop()
        gc.enable()


def install(parent: QObject | None = None) -> GuiGarbageCollector:
    """Switch collection to the GUI thread (idempotent). Call once the QApplication exists."""
    global _guard
    if _guard is None:
        _guard = GuiGarbageCollector(parent)
    return _guard
