"""Running core work off the GUI thread.

The core is plain blocking Python. The UI hands a callable to :class:`Task`,
which runs it on Qt's thread pool and reports the outcome back on the GUI thread
as signals, so no page ever freezes while Canvas or a file is being read.

Workers never emit through an object that a closing window may delete under
them: they report to one long-lived dispatcher on the GUI thread, which hands
the outcome to the task only if the task still exists.
"""

from __future__ import annotations

import itertools
import logging
from collections.abc import Callable
from typing import Any

import shiboken6
from PySide6.QtCore import QObject, QRunnable, QThreadPool, Signal, Slot

log = logging.getLogger(__name__)


class _Dispatcher(QObject):
    finished = Signal(int, object, object)  # task key, result, error

    def __init__(self) -> None:
        super().__init__()
        self._tasks: dict[int, Task] = {}
        self._keys = itertools.count(1)
        self.finished.connect(self._deliver)

    def register(self, task: Task) -> int:
        key = next(self._keys)
        self._tasks[key] = task
        return key

    @Slot(int, object, object)
    def _deliver(self, key: int, result: object, error: object) -> None:
        task = self._tasks.pop(key, None)
        if task is None or not shiboken6.isValid(task):
            return  # its window was closed while it ran: nobody is waiting for this
        task._on_finished(result, error)


_dispatcher: _Dispatcher | None = None
_pool: QThreadPool | None = None

#: Some tasks wait for a long time (the browser coming back may take minutes), so
#: the pool must not be sized by CPU cores as Qt's global pool is: on a 2-core
#: laptop two waiting tasks would starve every other page.
POOL_THREADS = 16


def task_pool() -> QThreadPool:
    global _pool
    if _pool is None:
        _pool = QThreadPool()
        _pool.setMaxThreadCount(POOL_THREADS)
    return _pool


def _get_dispatcher() -> _Dispatcher:
    global _dispatcher
    if _dispatcher is None or not shiboken6.isValid(_dispatcher):
        _dispatcher = _Dispatcher()
    return _dispatcher


class _Job(QRunnable):
    def __init__(self, fn: Callable[[], Any], dispatcher: _Dispatcher, key: int) -> None:
        super().__init__()
        self._fn = fn
        self._dispatcher = dispatcher
        self._key = key
        self.setAutoDelete(True)

    def run(self) -> None:
        try:
            result: object = self._fn()
            error: Exception | None = None
        except Exception as exc:  # reported to the GUI, never lost in a thread
            log.debug("background task failed: %s: %s", type(exc).__name__, exc)
            result, error = None, exc
        try:
            self._dispatcher.finished.emit(self._key, result, error)
        except RuntimeError:
            # The application is shutting down and took the dispatcher with it.
            log.debug("background task finished after the app closed; result dropped")
        finally:
            # The error's traceback holds this frame, whose locals hold the error: break
            # that cycle here so the collector never has to free it on this thread.
            del result, error


class Task(QObject):
    """One piece of background work.

    Signals:
        succeeded(object): the callable's return value.
        failed(object): the exception it raised.
        done(): after either.
    """

    succeeded = Signal(object)
    failed = Signal(object)
    done = Signal()

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.running = False

    def start(self, fn: Callable[[], Any], pool: QThreadPool | None = None) -> None:
        dispatcher = _get_dispatcher()
        key = dispatcher.register(self)
        self.running = True
        (pool or task_pool()).start(_Job(fn, dispatcher, key))

    def _on_finished(self, result: object, error: object) -> None:
        self.running = False
        if error is not None:
            self.failed.emit(error)
        else:
            self.succeeded.emit(result)
        self.done.emit()


def run_in_background(
    parent: QObject,
    fn: Callable[[], Any],
    on_success: Callable[[Any], None],
    on_failure: Callable[[Exception], None],
) -> Task:
    """Start ``fn`` on the thread pool; the callbacks run on the GUI thread."""
    task = Task(parent)
    task.succeeded.connect(on_success)
    task.failed.connect(on_failure)
    task.done.connect(task.deleteLater)
    task.start(fn)
    return task
