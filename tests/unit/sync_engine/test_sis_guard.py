"""A SIS Import never runs on a Canvas read that cannot see deleted logins."""

from __future__ import annotations

import pytest

from canvas_wizard.core.errors import WizardError
from canvas_wizard.core.sync.model import Plan, Snapshot, SyncOptions
from canvas_wizard.core.sync.outcome import CancelToken
from canvas_wizard.core.sync.sis_apply import SisImportApplier


class _NoCanvas:
    def __getattr__(self, name: str) -> object:
        raise AssertionError(f"Canvas must not be called ({name})")


def test_a_page_by_page_snapshot_is_refused_before_anything_is_sent():
    applier = SisImportApplier(_NoCanvas(), 1)  # type: ignore[arg-type]
    plan = Plan(people=[], links=[], options=SyncOptions())
    with pytest.raises(WizardError, match="deleted logins"):
        applier.apply(
            plan,
            Snapshot(account_id=1, root_account_id=1, source="api"),
            progress=lambda p: None,
            cancel=CancelToken(),
        )
