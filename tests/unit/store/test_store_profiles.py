"""Profiles as JSON files: round trip, atomic writes, damaged files, names, no secrets."""

from __future__ import annotations

import dataclasses
import json
import sys
from pathlib import Path

import pytest

from canvas_wizard.core.auth import DEFAULT_REDIRECT_PORT
from canvas_wizard.core.errors import UsageError
from canvas_wizard.core.paths import AppPaths, app_paths
from canvas_wizard.core.store import (
    ConnectedAccount,
    Profile,
    ProfileStore,
    SecretKind,
    SecretStore,
    validate_profile_name,
)


@pytest.fixture
def paths() -> AppPaths:
    return app_paths().ensure()


@pytest.fixture
def store(paths: AppPaths) -> ProfileStore:
    return ProfileStore(paths)


def make(name: str = "Main school", **changes: object) -> Profile:
    profile = Profile(
        name=name,
        canvas_url="https://school.instructure.com",
        client_id="10000000000042",
        redirect_port=50123,
    )
    return dataclasses.replace(profile, **changes)  # type: ignore[arg-type]


def write_raw(paths: AppPaths, name: str, content: str) -> Path:
    path = paths.profiles_dir / f"{name}.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(content, encoding="utf-8")
    return path


def test_round_trip_keeps_every_field(store: ProfileStore) -> None:
    profile = make(
        account=ConnectedAccount(id=1, name="Northfield District", is_root=True),
        options={"suspend_missing": False, "limits": {"unlink_percent": 5}},
        signed_in_as="Pat Admin",
    )
    store.save(profile)
    loaded = store.get("Main school")
    assert loaded == profile
    assert loaded.account == ConnectedAccount(id=1, name="Northfield District", is_root=True)


def test_defaults_for_a_new_profile() -> None:
    one, two = Profile("a", "", ""), Profile("a", "", "")
    assert one.redirect_port == DEFAULT_REDIRECT_PORT
    assert 49152 <= DEFAULT_REDIRECT_PORT <= 65535
    assert one.secret_key_id != two.secret_key_id and len(one.secret_key_id) == 32
    assert one.account is None and one.options == {} and one.signed_in_as is None


def test_the_file_is_readable_json_and_private(store: ProfileStore, paths: AppPaths) -> None:
    store.save(make())
    path = paths.profiles_dir / "Main school.json"
    data = json.loads(path.read_text(encoding="utf-8"))
    assert data["canvas_url"] == "https://school.instructure.com"
    assert data["redirect_port"] == 50123
    if sys.platform != "win32":
        assert path.stat().st_mode & 0o077 == 0


def test_a_half_finished_wizard_profile_can_be_saved(store: ProfileStore) -> None:
    # The wizard saves after each step; the Client ID comes after the address.
    store.save(make(client_id=""))
    assert store.get("Main school").client_id == ""
    store.save(make(canvas_url="", client_id=""))
    assert store.get("Main school").canvas_url == ""


def test_save_normalizes_and_validates_fields(store: ProfileStore) -> None:
    profile = make(canvas_url="School.Instructure.com/login/canvas", client_id=" 10000000000042 ")
    store.save(profile)
    assert store.get("Main school").canvas_url == "https://school.instructure.com"
    assert store.get("Main school").client_id == "10000000000042"
    with pytest.raises(UsageError, match="https"):
        store.save(make(canvas_url="http://school.instructure.com"))
    with pytest.raises(UsageError, match="Client ID"):
        store.save(make(client_id="AbCdEf0123456789"))
    with pytest.raises(UsageError, match="port"):
        store.save(make(redirect_port=80))


def test_save_is_atomic_when_the_disk_write_fails(
    store: ProfileStore, paths: AppPaths, monkeypatch: pytest.MonkeyPatch
) -> None:
    store.save(make(signed_in_as="first"))
    before = (paths.profiles_dir / "Main school.json").read_text()

    def failing_replace(src: object, dst: object) -> None:
        raise OSError(28, "No space left on device")

    # write_atomic's last step (os.replace) fails: the old file must be left whole.
    monkeypatch.setattr("canvas_wizard.core.paths.os.replace", failing_replace)
    with pytest.raises(OSError):
        store.save(make(signed_in_as="second"))
    monkeypatch.undo()
    assert (paths.profiles_dir / "Main school.json").read_text() == before
    assert [p.name for p in paths.profiles_dir.iterdir()] == ["Main school.json"]
    assert store.get("Main school").signed_in_as == "first"


def test_list_names_exists_remove(store: ProfileStore, paths: AppPaths) -> None:
    assert store.list() == []
    for name in ("beta", "Alpha", "gamma 2"):
        store.save(make(name))
    assert store.names() == ["Alpha", "beta", "gamma 2"]
    assert [p.name for p in store.list()] == ["Alpha", "beta", "gamma 2"]
    assert store.exists("ALPHA") and not store.exists("delta")
    assert store.path_of("alpha") == store.path_of("Alpha") == paths.profiles_dir / "Alpha.json"
    assert store.path_of("new one") == paths.profiles_dir / "new one.json"
    store.remove("beta")
    assert store.names() == ["Alpha", "gamma 2"]
    with pytest.raises(UsageError, match="delta"):
        store.remove("delta")


def test_missing_profile_names_the_existing_ones(store: ProfileStore) -> None:
    with pytest.raises(UsageError, match="no profiles yet"):
        store.get("main")
    store.save(make("North"))
    store.save(make("South"))
    with pytest.raises(UsageError) as info:
        store.get("East")
    assert "East" in info.value.message
    assert "North" in info.value.hint and "South" in info.value.hint


def test_names_differing_only_in_case_are_one_profile(store: ProfileStore) -> None:
    store.save(make("Main"))
    assert store.get("main").name == "Main"
    with pytest.raises(UsageError, match="upper/lower case"):
        store.save(make("MAIN"))


@pytest.mark.parametrize(
    "name",
    ["", "x" * 65, "a/b", "..", "../etc", ".hidden", "-rf", "name.", "name ", "CON", "con.txt",
     "lpt1", "tab\there", "semi;colon", "emoji 🙂"],
)  # fmt: skip
def test_invalid_names_are_refused_with_a_reason(store: ProfileStore, name: str) -> None:
    with pytest.raises(UsageError) as info:
        store.save(make(name))
    assert info.value.hint
    with pytest.raises(UsageError):
        validate_profile_name(name)


@pytest.mark.parametrize("name", ["Main school", "district-2", "v1.2_test", "Gymnasium Süd", "7"])
def test_valid_names(store: ProfileStore, name: str) -> None:
    store.save(make(name))
    assert store.get(name).name == name


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (
            "{not json",
            "not valid JSON (Expecting property name enclosed in double quotes at line 1",
        ),
        ("[1, 2]", "one JSON object"),
        (
            '{"name": "Main school"}',
            "“canvas_url”, “client_id”, “redirect_port”, “secret_key_id” is missing",
        ),
    ],
)
def test_damaged_files_are_explained(
    store: ProfileStore, paths: AppPaths, content: str, expected: str
) -> None:
    path = write_raw(paths, "Main school", content)
    with pytest.raises(UsageError) as info:
        store.get("Main school")
    assert str(path) in info.value.message
    assert expected in info.value.message
    assert "text editor" in info.value.hint


@pytest.mark.parametrize(
    ("field", "value", "expected"),
    [
        ("redirect_port", "57316", '“redirect_port” should be a whole number, not "57316"'),
        ("redirect_port", True, "should be a whole number, not true"),
        ("redirect_port", 22, "port"),
        ("canvas_url", "http://canvas.school.org", "https"),
        ("client_id", "my secret", "Client ID"),
        ("name", "Other", "its “name” is “Other” but the file is named Main school.json"),
        ("account", {"id": "1"}, "“account” should be null or"),
        ("options", [], "“options” should be an object"),
        ("secret_key_id", "../../x", "hex digits"),
        ("updated_at", "yesterday", "“updated_at” should be a date and time"),
        ("format", 99, "newer Canvas Sync Wizard"),
    ],
)
def test_hand_edited_fields_are_explained(
    store: ProfileStore, paths: AppPaths, field: str, value: object, expected: str
) -> None:
    store.save(make())
    path = paths.profiles_dir / "Main school.json"
    data = json.loads(path.read_text())
    data[field] = value
    path.write_text(json.dumps(data))
    with pytest.raises(UsageError) as info:
        store.get("Main school")
    assert str(path) in info.value.message
    assert expected in info.value.message


def test_a_damaged_file_does_not_hide_the_others_names(
    store: ProfileStore, paths: AppPaths
) -> None:
    store.save(make("Good"))
    write_raw(paths, "Broken", "\x00\x01")
    assert store.names() == ["Broken", "Good"]
    assert store.get("Good").name == "Good"
    with pytest.raises(UsageError, match=r"Broken\.json"):
        store.list()


def test_no_secret_is_ever_written(store: ProfileStore, paths: AppPaths) -> None:
    fields = {f.name for f in dataclasses.fields(Profile)}
    assert fields == {
        "name", "canvas_url", "client_id", "redirect_port", "account", "options",
        "secret_key_id", "signed_in_as", "created_at", "updated_at",
    }  # fmt: skip
    profile = make()
    secrets = SecretStore(session_only=True)
    values = {kind: f"{kind}-value-that-must-stay-in-the-keyring" for kind in SecretKind}
    for kind, value in values.items():
        secrets.set(profile, kind, value)
    try:
        store.save(profile)
        text = (paths.profiles_dir / "Main school.json").read_text()
        data = json.loads(text)
        assert set(data) == fields | {"format"}
        for value in values.values():
            assert value not in text
        assert not any(word in key for key in data for word in ("token", "password"))
    finally:
        secrets.forget_all(profile)
