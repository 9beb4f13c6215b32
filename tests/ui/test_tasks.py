"""Background tasks: results reach the GUI thread, and a closed window never breaks a worker."""

from __future__ import annotations

import threading

from PySide6.QtCore import QObject, QThread
from PySide6.QtWidgets import QWidget

from canvas_wizard.ui.tasks import run_in_background


def test_result_arrives_on_the_gui_thread(qtbot):
    owner = QWidget()
    qtbot.addWidget(owner)
    seen: list[tuple[object, bool]] = []
    gui = QThread.currentThread()
    run_in_background(
        owner,
        lambda: threading.current_thread().name,
        lambda r: seen.append((r, QThread.currentThread() is gui)),
        lambda e: seen.append((e, False)),
    )
    qtbot.waitUntil(lambda: bool(seen), timeout=5000)
    worker_name, on_gui = seen[0]
    assert worker_name != threading.main_thread().name
    assert on_gui


def test_failure_is_delivered_as_the_exception(qtbot):
    owner = QWidget()
    qtbot.addWidget(owner)
    errors: list[Exception] = []

    def boom() -> None:
        raise ValueError("the reason")

    run_in_background(owner, boom, lambda r: None, errors.append)
    qtbot.waitUntil(lambda: bool(errors), timeout=5000)
    assert str(errors[0]) == "the reason"


def test_owner_deleted_while_running_is_harmless(qtbot):
    owner = QObject()
    release = threading.Event()
    finished = threading.Event()
    called: list[object] = []

    def slow() -> str:
        release.wait(5)
        finished.set()
        return "late"

    run_in_background(owner, slow, called.append, called.append)
    owner.deleteLater()
    qtbot.wait(50)
    release.set()
    assert finished.wait(5)
    qtbot.wait(100)  # the late result is dropped quietly, not raised in the worker
    assert called == []


def test_long_waits_do_not_starve_other_work(qtbot):
    """Two tasks that wait for minutes (browser, loopback) must not block a third."""
    owner = QWidget()
    qtbot.addWidget(owner)
    release = threading.Event()
    for _ in range(4):
        run_in_background(owner, lambda: release.wait(10), lambda r: None, lambda e: None)
    quick: list[object] = []
    run_in_background(owner, lambda: "quick", quick.append, quick.append)
    try:
        qtbot.waitUntil(lambda: quick == ["quick"], timeout=3000)
    finally:
        release.set()
