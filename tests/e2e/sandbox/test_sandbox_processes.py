"""The stand-in browser process and ``python -m canvas_wizard.sandbox``."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import webbrowser
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest
import requests
from canvas_sandbox_helpers import authorize_url, exchange, query_of, wait_for

BROWSER = [sys.executable, "-m", "canvas_wizard.sandbox.browser"]


class _Listener:
    """A tiny loopback redirect catcher, like the app's."""

    def __init__(self) -> None:
        self.hits: list[str] = []
        hits = self.hits

        class Catch(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                hits.append(self.path)
                body = b"<html><body>Signed in. You can close this tab.</body></html>"
                self.send_response(200)
                self.send_header("Content-Type", "text/html")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: object) -> None:
                pass

        self.server = HTTPServer(("127.0.0.1", 0), Catch)
        self.redirect_uri = f"http://127.0.0.1:{self.server.server_address[1]}/canvas/authorize"
        self.thread = threading.Thread(
            target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self.thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=5)


@pytest.fixture
def listener() -> Iterator[_Listener]:
    catcher = _Listener()
    yield catcher
    catcher.close()


def _url(canvas, key, listener: _Listener) -> str:
    return authorize_url(canvas, key, redirect_uri=listener.redirect_uri)


def test_webbrowser_opens_the_stand_in_which_completes_consent(canvas, listener):
    key = canvas.add_developer_key(redirect_uris=[listener.redirect_uri])
    # How the app opens it: webbrowser with a %s command line (BROWSER=...).
    opened = webbrowser.GenericBrowser([*BROWSER, "%s"]).open(_url(canvas, key, listener))
    assert opened
    path = wait_for(lambda: listener.hits and listener.hits[0], timeout=15)
    params = query_of(path)
    assert path.startswith("/canvas/authorize?") and params["state"] == "st-123"
    response = exchange(canvas, key, params["code"], redirect_uri=listener.redirect_uri)
    assert response.status_code == 200


def test_stand_in_browser_can_press_cancel(canvas, listener, monkeypatch):
    key = canvas.add_developer_key(redirect_uris=[listener.redirect_uri])
    monkeypatch.setenv("CANVAS_SANDBOX_BROWSER_ACTION", "cancel")
    result = subprocess.run(
        [*BROWSER, "--foreground", _url(canvas, key, listener)],
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert query_of(listener.hits[0]) == {"error": "access_denied", "state": "st-123"}


def test_stand_in_browser_reports_a_canvas_error_page(canvas, key, listener):
    url = authorize_url(canvas, key, redirect_uri=listener.redirect_uri)  # not registered
    result = subprocess.run(
        [*BROWSER, "--foreground", url], capture_output=True, text=True, timeout=30, check=False
    )
    assert result.returncode == 3
    assert "redirect_uri does not match client settings" in result.stderr
    assert listener.hits == []


def _start_main(*args: str) -> tuple[subprocess.Popen[str], dict[str, str]]:
    proc = subprocess.Popen(
        [sys.executable, "-m", "canvas_wizard.sandbox", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    assert proc.stdout is not None
    lines: dict[str, str] = {}
    for line in proc.stdout:
        name, _, value = line.partition(": ")
        lines[name.strip()] = value.strip()
        if line.startswith("Press Ctrl+C"):
            break
    return proc, lines


def _stop(proc: subprocess.Popen[str]) -> int:
    proc.send_signal(signal.SIGTERM if sys.platform != "win32" else signal.CTRL_BREAK_EVENT)
    try:
        return proc.wait(timeout=10)
    finally:
        for stream in (proc.stdout, proc.stderr):
            if stream is not None:
                stream.close()


def test_main_prints_the_address_and_client_id_but_not_the_secret():
    proc, lines = _start_main()
    try:
        url, client_id = lines["Sandbox Canvas"], lines["Client ID"]
        assert url.startswith("http://127.0.0.1:") and client_id.isdigit()
        assert "not shown" in lines["Client secret"]
        with requests.get(f"{url}/api/v1/users/self", timeout=10) as response:
            assert response.status_code == 401
    finally:
        assert _stop(proc) == 0


def test_main_shows_the_secret_when_asked():
    proc, lines = _start_main("--show-secret")
    try:
        assert len(lines["Client secret"]) == 64
    finally:
        _stop(proc)
