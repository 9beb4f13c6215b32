"""Canvas's sortable name rule (app/models/user.rb ``name_parts``, ``last_name_first``)."""

from __future__ import annotations

import pytest

from canvas_wizard.core.sync.rest_apply import sortable_name
from canvas_wizard.sandbox.models import sortable_from


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("John Smith", "Smith, John"),
        ("John Smith Jr.", "Smith, John Jr."),
        ("Harry Roberts III", "Roberts, Harry III"),
        ("Mary Ann Lee", "Lee, Mary Ann"),
        ("Madonna", "Madonna"),
        ("Smith, John", "Smith, John"),
        ("John Doe, Sr.", "Doe, John Sr."),
        ("Doe, John, Sr.", "Doe, John Sr."),
        ("Ho, Chi, Min", "Ho, Chi Min"),
    ],
)
def test_the_app_and_the_sandbox_derive_sortable_names_as_canvas_does(
    name: str, expected: str
) -> None:
    assert sortable_name(name) == expected
    assert sortable_from(name) == expected
