"""Canvas is read while the roster is parsed: the pre-flight and, when the read is by
report whatever the roster holds, the report's start happen during read_roster."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest
from sync_support import SignIn, seeded_roster

from canvas_wizard.core.errors import WizardError
from canvas_wizard.core.roster import Roster
from canvas_wizard.core.sync import engine
from canvas_wizard.core.sync.engine import run_sync
from canvas_wizard.sandbox import SandboxCanvas


def test_the_report_is_started_while_the_roster_is_parsed(
    canvas: SandboxCanvas, sign_in: SignIn, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    client = sign_in()
    seen_during_parse: list[int] = []

    def slow_parse(_: Path) -> Roster:
        deadline = time.monotonic() + 5
        while not canvas.state.reports and time.monotonic() < deadline:
            time.sleep(0.01)  # a large roster takes a while to parse
        seen_during_parse.append(len(canvas.state.reports))
        return seeded_roster()

    monkeypatch.setattr(engine, "read_roster", slow_parse)

    result = run_sync(tmp_path / "roster.csv", client, 1, 1, prefer_report=True, dry_run=True)

    assert result.status == "ok", result.message
    assert seen_during_parse == [1]  # Canvas's job was running before the roster was read
    assert len(canvas.state.reports) == 1  # and it is the one the sync read
    assert result.snapshot is not None and result.snapshot.source == "report"


def test_a_roster_error_leaves_nothing_waiting_on_canvas(
    canvas: SandboxCanvas, sign_in: SignIn, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    client = sign_in()

    def broken(_: Path) -> Roster:
        time.sleep(0.2)
        raise WizardError("The roster has no header row.", hint="Export it again.")

    monkeypatch.setattr(engine, "read_roster", broken)

    result = run_sync(tmp_path / "roster.csv", client, 1, 1, prefer_report=True)

    assert result.status == "input_error"
    assert "no header row" in result.message
    assert not [t for t in threading.enumerate() if t.name.startswith("cw-early")]
    gets = canvas.request_counts()["GET"]
    time.sleep(0.3)
    assert canvas.request_counts()["GET"] == gets  # no report is being polled
