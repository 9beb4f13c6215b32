"""Item 6: start-up — the real ``canvas-wizard --demo``, ended once its first window is shown.

``CANVAS_WIZARD_EXIT_AFTER_SHOWN=1 python startup_probe.py --config-dir DIR`` runs the
app's own entry point (``canvas_wizard.__main__.main``) with ``--demo``. The only
addition is an application-wide event filter, installed on the QApplication the
app then reuses: when the first top-level window is *exposed* (mapped and about
to be painted, which is what "shown" means to a person; Expose is sent to
the window's QWindow) it prints ``shown`` and
the process exits at once. The benchmark times from spawning this process to
reading that line, so interpreter start, imports, the demo sandbox and the wizard
are all inside the figure.

``python startup_probe.py --core-imports`` instead imports every module under
``canvas_wizard.core`` and prints, as JSON, whether any Qt module came with them.
"""

from __future__ import annotations

import json
import os
import pkgutil
import sys
import time

EXIT_ENV = "CANVAS_WIZARD_EXIT_AFTER_SHOWN"


def core_imports() -> dict[str, object]:
    start = time.perf_counter()
    import canvas_wizard.core as core

    names = [m.name for m in pkgutil.walk_packages(core.__path__, "canvas_wizard.core.")]
    for name in names:
        __import__(name)
    qt = sorted(m for m in sys.modules if m.split(".")[0] in ("PySide6", "shiboken6", "PyQt5"))
    return {
        "modules": len(names) + 1,
        "qt_modules_loaded": qt,
        "import_s": round(time.perf_counter() - start, 3),
    }


def run_app(argv: list[str]) -> int:
    if os.environ.get(EXIT_ENV) == "1":
        from PySide6.QtCore import QEvent, QObject
        from PySide6.QtGui import QWindow
        from PySide6.QtWidgets import QApplication

        class _FirstShown(QObject):
            def eventFilter(self, watched: QObject, event: QEvent) -> bool:
                # Expose goes to the window's QWindow (a top-level widget's handle).
                if event.type() == QEvent.Type.Expose and isinstance(watched, QWindow):
                    print(f"shown {watched.title() or type(watched).__name__}", flush=True)
                    os._exit(0)  # the figure is taken; nothing else to wait for
                return False

        # The app reuses an existing QApplication (app._application), so the filter
        # sees its very first window.
        app = QApplication(sys.argv[:1])
        watcher = _FirstShown()
        app.installEventFilter(watcher)
    from canvas_wizard.__main__ import main

    return main(["--demo", *argv])


if __name__ == "__main__":
    if sys.argv[1:] == ["--core-imports"]:
        print(json.dumps(core_imports()))
        sys.exit(0)
    sys.exit(run_app(sys.argv[1:]))
