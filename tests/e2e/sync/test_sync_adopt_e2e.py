"""Taking over Canvas users that exist without the roster's SIS ID, against the sandbox over HTTP."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import requests
from sync_support import REDIRECT, ROOT, SignIn, parent, seeded_roster, student, writes

from canvas_wizard.core.canvas import CanvasClient, StaticToken
from canvas_wizard.core.roster import Link, Person, Roster, read_roster
from canvas_wizard.core.sync import ActionKind, SyncOptions
from canvas_wizard.core.sync.engine import run_sync
from canvas_wizard.core.sync.outcome import OutcomeStatus
from canvas_wizard.sandbox import SandboxCanvas
from canvas_wizard.sandbox.seed import PREFIXED_STUDENTS, SELF_REGISTERED, seed_lived_in
from canvas_wizard.sandbox.signin import sign_in as sandbox_sign_in

ADOPT = SyncOptions(adopt=True)


def _self_registered(
    client: CanvasClient, name: str, login: str, email: str | None, sis: str | None = None
) -> int:
    """A user made the way a parent's self-registration or a hand-made account is."""
    data = {
        "user[name]": name,
        "user[skip_registration]": "true",
        "pseudonym[unique_id]": login,
        "pseudonym[send_confirmation]": "false",
    }
    if sis:
        data["pseudonym[sis_user_id]"] = sis
    if email:
        data["communication_channel[type]"] = "email"
        data["communication_channel[address]"] = email
        data["communication_channel[skip_confirmation]"] = "true"
    made: Any = client.post(f"/api/v1/accounts/{ROOT}/users", data=data)
    return int(made["id"])


def _with(*people: Person, links: tuple[Link, ...] = ()) -> Roster:
    roster = seeded_roster()
    return Roster(
        format="cloudwork",
        people=dict(roster.people) | {p.sis_id: p for p in people},
        links=set(roster.links) | set(links),
    )


def _outcome(result: Any, sis: str) -> Any:
    [found] = [o for o in result.report.outcomes if o.record == "person" and o.key == sis]
    return found


def _sis_of(canvas: SandboxCanvas, user_id: int) -> list[str | None]:
    return [lg.sis_user_id for lg in canvas.state.logins_of(user_id)]


def test_adopt_by_login_sets_the_sis_id_links_the_parent_and_a_second_sync_writes_nothing(
    canvas: SandboxCanvas, client: CanvasClient
) -> None:
    lee = _self_registered(client, "Lee Park", "lee.park@home.example", "lee.park@home.example")
    roster = _with(
        parent("P2101", "Lee Park", "lee.park@home.example"),
        links=(Link("P2101", "S1004"),),
    )
    users_before = len(canvas.state.users)

    result = run_sync(roster, client, ROOT, ROOT, options=ADOPT)

    assert result.status == "ok", result.message
    got = _outcome(result, "P2101")
    assert got.action is ActionKind.ADOPT and got.status is OutcomeStatus.DONE
    assert got.canvas_id == lee and "SIS ID none → P2101" in got.message
    assert _sis_of(canvas, lee) == ["P2101"]
    assert len(canvas.state.users) == users_before  # taken over, not created again
    oliver = canvas.state.user_by_sis_id("S1004")
    assert oliver is not None and canvas.state.observee_ids(lee) == [oliver.id]
    assert result.report.counts_by_action()["adopt"] == 1

    before = canvas.request_counts()
    again = run_sync(roster, client, ROOT, ROOT, options=ADOPT)
    assert again.status == "ok", again.message
    assert writes(canvas.request_counts()) == writes(before)
    assert _outcome(again, "P2101").action is ActionKind.UNCHANGED


def test_adopt_by_email_renames_the_login_to_the_rosters(
    canvas: SandboxCanvas, client: CanvasClient
) -> None:
    kim = _self_registered(client, "Kim Osei", "kimo77", "Kim.Osei@home.example")
    roster = _with(student("S1201", "Kim Osei", "kim.osei", "kim.osei@home.example"))

    result = run_sync(roster, client, ROOT, ROOT, options=ADOPT)

    assert result.status == "ok", result.message
    assert _outcome(result, "S1201").action is ActionKind.ADOPT
    [login] = canvas.state.logins_of(kim)
    assert (login.unique_id, login.sis_user_id) == ("kim.osei", "S1201")


def test_adopt_by_sis_id_written_differently_rekeys_the_login(
    canvas: SandboxCanvas, client: CanvasClient
) -> None:
    # An older script wrote Cloudwork's "001234" as "1234", and "000777" as " 777 ".
    ana = _self_registered(client, "Ana Ruiz", "ana.ruiz", None, sis="1234")
    roster = _with(student("001234", "Ana Ruiz", "ana.ruiz"))
    users_before = len(canvas.state.users)

    result = run_sync(roster, client, ROOT, ROOT, options=ADOPT)

    assert result.status == "ok", result.message
    got = _outcome(result, "001234")
    assert got.action is ActionKind.ADOPT and "SIS ID 1234 → 001234" in got.message
    assert _sis_of(canvas, ana) == ["001234"]
    assert len(canvas.state.users) == users_before


def test_without_adopt_nothing_is_taken_over_and_the_preview_says_how_many_could_be(
    canvas: SandboxCanvas, client: CanvasClient
) -> None:
    lee = _self_registered(client, "Lee Park", "lee.park@home.example", "lee.park@home.example")
    roster = _with(parent("P2101", "Lee Park", "lee.park@home.example"))
    before = canvas.request_counts()

    result = run_sync(roster, client, ROOT, ROOT)

    assert result.status == "failed_records"
    got = _outcome(result, "P2101")
    assert got.status is OutcomeStatus.CONFLICT and "--adopt" in got.message
    assert any("could be taken over" in n for n in result.report.notes), result.report.notes
    assert writes(canvas.request_counts()) - writes(before) <= 1  # the report's POST at most
    assert _sis_of(canvas, lee) == [None]


def test_refusals_name_every_candidate_and_change_nothing(
    canvas: SandboxCanvas, client: CanvasClient
) -> None:
    other = _self_registered(client, "Sam Okoro", "s.okoro", "family@home.example")
    twin1 = _self_registered(client, "Ray Lin", "ray1", "ray@home.example")
    twin2 = _self_registered(client, "Ray Lin", "ray2", "ray@home.example")
    roster = _with(
        # the names disagree: probably a relative sharing the family's email
        parent("P2101", "Tolu Okoro", "family@home.example"),
        # two Canvas users fit
        parent("P2102", "Ray Lin", "ray@home.example"),
        # "s1001" is S1001 written differently, but the roster has S1001 too
        student("s1001", "Ava Thompson", "ava.t2"),
        # "t9001" is Rachel Green's SIS ID written differently: she is staff in the roster
        student("t9001", "Rachel Green", "rachel.g2"),
    )
    roster.not_synced.add("T9001")
    logins_before = {lg.id: (lg.unique_id, lg.sis_user_id) for lg in canvas.state.logins.values()}

    result = run_sync(roster, client, ROOT, ROOT, options=ADOPT)

    assert result.status == "failed_records"
    names = _outcome(result, "P2101")
    assert names.status is OutcomeStatus.CONFLICT and "names differ" in names.message
    assert f"Canvas user id {other} " in names.message
    two = _outcome(result, "P2102").message
    assert "2 Canvas users fit" in two and f"id {twin1} " in two and f"id {twin2} " in two
    assert 'login "ray1", SIS ID none' in two
    held = _outcome(result, "s1001").message
    assert "holds roster person S1001's SIS ID" in held
    assert "staff member" in _outcome(result, "t9001").message
    after = {lg.id: (lg.unique_id, lg.sis_user_id) for lg in canvas.state.logins.values()}
    assert after == logins_before


def test_the_signed_in_admin_is_never_taken_over(
    canvas: SandboxCanvas, client: CanvasClient
) -> None:
    # Alex Morgan (the signed-in admin) has no SIS ID; the roster lists a parent with his login.
    roster = _with(parent("P2101", "Alex Morgan", "alex.morgan@northfield.example"))

    result = run_sync(roster, client, ROOT, ROOT, options=ADOPT)

    got = _outcome(result, "P2101")
    assert got.status is OutcomeStatus.CONFLICT and "the signed-in admin" in got.message
    assert _sis_of(canvas, 1) == [None]


def test_many_adoptions_hold_the_run_until_approved(
    canvas: SandboxCanvas, client: CanvasClient
) -> None:
    parents = []
    for n in range(12):
        email = f"parent{n}@home.example"
        _self_registered(client, f"Parent Number{n}", email, email)
        parents.append(parent(f"P3{n:03d}", f"Parent Number{n}", email))
    roster = _with(*parents)
    before = canvas.request_counts()

    held = run_sync(roster, client, ROOT, ROOT, options=ADOPT)

    assert held.status == "held", held.message
    assert [b.what for b in held.breaches] == ["change"]
    assert "change 12 of 18 existing Canvas users" in held.message
    assert writes(canvas.request_counts()) - writes(before) <= 1  # the report's POST at most
    assert held.plan is not None
    approved = run_sync(
        roster, client, ROOT, ROOT, options=ADOPT, approve_limits=held.plan.fingerprint()
    )
    assert approved.status == "ok", approved.message
    assert approved.report.counts_by_action()["adopt"] == 12
    assert all(canvas.state.user_by_sis_id(p.sis_id) is not None for p in parents)


class _StopAfterTheSisId(requests.Session):
    """Drops every user edit: as if the sync died between re-keying and updating."""

    def request(self, method: str | bytes, url: str | bytes, *args: Any, **kwargs: Any) -> Any:
        if method == "PUT" and re.search(r"/api/v1/users/\d+$", str(url)):
            raise requests.ConnectionError("Connection reset by peer")
        return super().request(method, url, *args, **kwargs)


def test_an_adoption_cut_short_converges_on_the_next_run_without_a_second_takeover(
    canvas: SandboxCanvas, sign_in: SignIn
) -> None:
    lee = _self_registered(sign_in(), "Lee Park", "lee.park@home.example", "lee@old.example")
    roster = _with(
        parent("P2101", "Lee Park", "lee.park@home.example"), links=(Link("P2101", "S1004"),)
    )
    users_before = len(canvas.state.users)
    with _StopAfterTheSisId() as session:
        broken = sign_in(session=session)
        first = run_sync(roster, broken, ROOT, ROOT, options=ADOPT, verify=False)
    assert _outcome(first, "P2101").status is OutcomeStatus.FAILED
    assert _sis_of(canvas, lee) == ["P2101"]  # the SIS ID got there; the email did not
    assert canvas.state.observee_ids(lee) == []  # no link for a takeover that failed

    again = run_sync(roster, sign_in(), ROOT, ROOT, options=ADOPT)

    assert again.status == "ok", again.message
    got = _outcome(again, "P2101")
    assert got.action is ActionKind.UPDATE  # found by its SIS ID now: no second takeover
    assert canvas.state.email_of(lee) == "lee.park@home.example"
    assert len(canvas.state.users) == users_before
    assert len(canvas.state.observee_ids(lee)) == 1


def test_the_demo_schools_first_sync_with_and_without_adopt() -> None:

    with SandboxCanvas(seed=True, latency=0.0) as demo:
        seed_lived_in(demo.state)

        key = demo.add_developer_key(redirect_uris=[REDIRECT])
        with requests.Session() as http:
            tokens = sandbox_sign_in(demo, key, REDIRECT, as_user_id=1, session=http)
        client = CanvasClient(demo.url, StaticToken(tokens.access_token), sleep=lambda _: None)
        sample = Path(__file__).resolve().parents[3] / "resources" / "sample-cloudwork-export.csv"
        roster = read_roster(sample)

        def first(adopt: bool) -> Any:
            return run_sync(
                roster,
                client,
                ROOT,
                ROOT,
                options=SyncOptions(adopt=adopt),
                dry_run=True,
                prefer_report=True,
            )

        without, with_adopt = first(False), first(True)
        client.close()
    takeable = len(SELF_REGISTERED) - 1 + len(PREFIXED_STUDENTS) + 1  # + Jordan Lee, - M. Roberts
    assert without.plan.person_totals()[ActionKind.CONFLICT] == takeable + 2
    assert with_adopt.plan.person_totals()[ActionKind.ADOPT] == takeable
    # Left: "M. Roberts" is not the roster's Mark Roberts, and S1099's login is deleted.
    assert sorted(a.sis_id for a in with_adopt.plan.conflicts) == ["P2008", "S1099"]
