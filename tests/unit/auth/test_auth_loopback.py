"""The loopback redirect catcher over real sockets, as a browser (or a stray process) meets it."""

from __future__ import annotations

import http.client
import logging
import socket
import sys
import threading
import time
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor

import pytest

from canvas_wizard.core.auth import LoopbackRedirect, OAuthError, RedirectResult

STATE = "st4te-0123456789abcdefghijklmnopqrstuvwxyz"
CODE = "9f" * 64  # Canvas codes are 128 hex digits


@pytest.fixture
def pool() -> Iterator[ThreadPoolExecutor]:
    with ThreadPoolExecutor(max_workers=2) as executor:
        yield executor


@pytest.fixture
def catcher() -> Iterator[LoopbackRedirect]:
    with LoopbackRedirect(0, STATE, timeout=10) as c:
        yield c


def get(
    port: int, target: str, *, host: str | None = None, method: str = "GET"
) -> tuple[int, str, http.client.HTTPMessage]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
    try:
        conn.request(method, target, headers={"Host": host or f"127.0.0.1:{port}"})
        response = conn.getresponse()
        return response.status, response.read().decode("utf-8"), response.headers
    finally:
        conn.close()


def redirect(code: str = CODE, state: str = STATE, **extra: str) -> str:
    from urllib.parse import urlencode

    params = {"code": code, "state": state} if code else {"state": state}
    params.update(extra)
    return "/canvas/authorize?" + urlencode(params)


def still_waiting(future: Future[RedirectResult]) -> bool:
    time.sleep(0.02)  # let the serving thread settle after answering
    return not future.done()


def refused(port: int, host: str = "127.0.0.1") -> bool:
    try:
        socket.create_connection((host, port), timeout=1).close()
    except ConnectionRefusedError:
        return True
    return False


def test_success(catcher: LoopbackRedirect, pool: ThreadPoolExecutor) -> None:
    waiting = pool.submit(catcher.wait)
    status, page, headers = get(catcher.port, redirect())
    assert status == 200
    assert "You are signed in — return to Canvas Sync Wizard" in page
    assert headers["Referrer-Policy"] == "no-referrer"
    assert headers["Cache-Control"] == "no-store"
    assert CODE not in page
    result = waiting.result(timeout=5)
    assert result == RedirectResult(code=CODE)
    assert CODE not in repr(result) and CODE not in str(result)


def test_port_is_closed_after_success(catcher: LoopbackRedirect, pool: ThreadPoolExecutor) -> None:
    waiting = pool.submit(catcher.wait)
    get(catcher.port, redirect())
    waiting.result(timeout=5)
    assert refused(catcher.port)


def test_wrong_state_gets_an_honest_page_and_the_real_one_still_wins(
    catcher: LoopbackRedirect, pool: ThreadPoolExecutor
) -> None:
    waiting = pool.submit(catcher.wait)
    status, page, _ = get(catcher.port, redirect(state="someone-elses-state"))
    assert status == 400
    assert "not accepted" in page and "signed in" not in page.replace("Nothing was signed in", "")
    assert still_waiting(waiting)
    status, page, _ = get(catcher.port, redirect())
    assert status == 200
    assert waiting.result(timeout=5).code == CODE


def test_a_stray_process_cannot_cancel_the_sign_in(
    catcher: LoopbackRedirect, pool: ThreadPoolExecutor
) -> None:
    waiting = pool.submit(catcher.wait)
    assert get(catcher.port, redirect("", state="guess", error="access_denied"))[0] == 400
    assert get(catcher.port, redirect("", state="", error="access_denied"))[0] == 400
    assert get(catcher.port, f"/canvas/authorize?state={STATE}&state=x&code=c0de")[0] == 400
    assert still_waiting(waiting)
    get(catcher.port, redirect())
    assert waiting.result(timeout=5).code == CODE


def test_access_denied_shows_why_and_wait_raises(
    catcher: LoopbackRedirect, pool: ThreadPoolExecutor
) -> None:
    waiting = pool.submit(catcher.wait)
    status, page, _ = get(catcher.port, redirect("", error="access_denied"))
    assert status == 200
    assert "Sign-in did not complete" in page and "Cancel" in page
    with pytest.raises(OAuthError) as info:
        waiting.result(timeout=5)
    assert info.value.code == "access_denied"
    assert refused(catcher.port)


def test_error_description_is_html_escaped(
    catcher: LoopbackRedirect, pool: ThreadPoolExecutor
) -> None:
    waiting = pool.submit(catcher.wait)
    evil = "<script>alert('x')</script> & <b>bold</b>"
    _, page, headers = get(
        catcher.port, redirect("", error="unauthorized_client", error_description=evil)
    )
    assert "<script>" not in page and "<b>" not in page
    assert "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt; &amp; &lt;b&gt;" in page
    assert "default-src 'none'" in headers["Content-Security-Policy"]
    with pytest.raises(OAuthError) as info:
        waiting.result(timeout=5)
    assert info.value.code == "unauthorized_client"
    assert info.value.detail == evil
    assert "switch its State to ON" in page


def test_favicon_and_other_paths_are_ignored(
    catcher: LoopbackRedirect, pool: ThreadPoolExecutor
) -> None:
    waiting = pool.submit(catcher.wait)
    assert get(catcher.port, "/favicon.ico")[0] == 404
    assert get(catcher.port, "/?code=x&state=" + STATE)[0] == 404
    assert get(catcher.port, "/canvas/authorize/../../etc/passwd")[0] == 404
    assert get(catcher.port, redirect(), method="POST")[0] == 405
    assert still_waiting(waiting)
    get(catcher.port, redirect())
    assert waiting.result(timeout=5).code == CODE


@pytest.mark.parametrize("host", ["evil.example:{port}", "127.0.0.1:1", "127.0.0.1", "localhost"])
def test_foreign_host_header_is_rejected(
    catcher: LoopbackRedirect, pool: ThreadPoolExecutor, host: str
) -> None:
    waiting = pool.submit(catcher.wait)
    status, page, _ = get(catcher.port, redirect(), host=host.format(port=catcher.port))
    assert status == 400
    assert "signed in" not in page
    assert still_waiting(waiting)
    assert get(catcher.port, redirect(), host=f"localhost:{catcher.port}")[0] == 200
    assert waiting.result(timeout=5).code == CODE


def test_idle_preconnected_socket_does_not_block_the_browser(
    catcher: LoopbackRedirect, pool: ThreadPoolExecutor
) -> None:
    # Chrome opens spare connections and leaves them silent.
    idle = socket.create_connection(("127.0.0.1", catcher.port))
    half = socket.create_connection(("127.0.0.1", catcher.port))
    try:
        half.sendall(b"GET /canvas/authorize HTTP/1.1\r\n")
        waiting = pool.submit(catcher.wait)
        assert get(catcher.port, redirect())[0] == 200
        assert waiting.result(timeout=5).code == CODE
    finally:
        idle.close()
        half.close()


def test_timeout_says_what_to_check() -> None:
    with LoopbackRedirect(0, STATE, timeout=0.1) as catcher:
        started = time.monotonic()
        with pytest.raises(OAuthError) as info:
            catcher.wait()
        assert time.monotonic() - started < 2
        assert info.value.code == "timeout"
        assert "redirect_uri does not match" in info.value.hint
        assert catcher.redirect_uri in info.value.hint
        assert "unknown client" in info.value.hint
        assert refused(catcher.port)


def test_cancel_from_another_thread(catcher: LoopbackRedirect, pool: ThreadPoolExecutor) -> None:
    waiting = pool.submit(catcher.wait)
    assert still_waiting(waiting)
    started = time.monotonic()
    threading.Thread(target=catcher.cancel).start()
    with pytest.raises(OAuthError) as info:
        waiting.result(timeout=5)
    assert time.monotonic() - started < 1
    assert info.value.code == "cancelled"
    assert refused(catcher.port)


def test_cancel_before_wait_and_close_while_waiting(pool: ThreadPoolExecutor) -> None:
    catcher = LoopbackRedirect(0, STATE, timeout=10)
    catcher.start()
    catcher.cancel()
    with pytest.raises(OAuthError, match="stopped"):
        catcher.wait()
    catcher.close()

    catcher = LoopbackRedirect(0, STATE, timeout=10)
    catcher.start()
    waiting = pool.submit(catcher.wait)
    assert still_waiting(waiting)
    catcher.close()
    with pytest.raises(OAuthError) as info:
        waiting.result(timeout=5)
    assert info.value.code == "cancelled"
    assert refused(catcher.port)


@pytest.mark.parametrize("blocker_host", ["127.0.0.1", "0.0.0.0"])
def test_busy_port_says_which_and_what_to_do(blocker_host: str) -> None:
    with socket.socket() as blocker:
        blocker.bind((blocker_host, 0))
        blocker.listen(1)
        port = blocker.getsockname()[1]
        catcher = LoopbackRedirect(port, STATE)
        with pytest.raises(OAuthError) as info:
            catcher.start()
        catcher.close()
    assert info.value.code == "port_in_use"
    assert str(port) in info.value.message
    assert "another port" in info.value.hint and "Redirect URIs" in info.value.hint


def test_listens_on_127_0_0_1_only(catcher: LoopbackRedirect) -> None:
    assert not refused(catcher.port, "127.0.0.1")
    if sys.platform.startswith("linux"):
        # Linux answers all of 127/8: a socket on all interfaces would take 127.0.0.2 too.
        assert refused(catcher.port, "127.0.0.2")
    with socket.socket(socket.AF_INET6, socket.SOCK_STREAM) as v6:
        v6.settimeout(1)
        with pytest.raises(OSError):
            v6.connect(("::1", catcher.port))


def test_the_code_never_reaches_the_log(
    catcher: LoopbackRedirect, pool: ThreadPoolExecutor, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    waiting = pool.submit(catcher.wait)
    get(catcher.port, "/favicon.ico")
    get(catcher.port, redirect(state="wrong"))
    get(catcher.port, redirect())
    waiting.result(timeout=5)
    assert "authorization code" in caplog.text
    assert CODE not in caplog.text and STATE not in caplog.text


def test_listens_once() -> None:
    with LoopbackRedirect(0, STATE, timeout=1) as catcher, pytest.raises(RuntimeError):
        catcher.start()
    with pytest.raises(RuntimeError):
        LoopbackRedirect(0, STATE).wait()
