"""The loopback redirect against a curious neighbour, end to end with `canvas-wizard authorize`.

The unit tests (tests/unit/auth/test_auth_loopback.py) cover each refusal of the
catcher on its own. Here another local *process* hammers the port while the admin
signs in through the real CLI: forged codes, forged cancels and a DNS-rebinding
Host header change nothing, the admin's sign-in completes, the port is closed
after it, and the code it carried cannot be used a second time.
"""

from __future__ import annotations

import json
import socket
import subprocess
import sys
from pathlib import Path

import pytest
import requests
from chaos_support import catch_codes, cli_env

from canvas_wizard.core.auth import OAuthError, exchange_code
from canvas_wizard.core.auth.oauth import redirect_uri_for
from canvas_wizard.demo import free_loopback_port
from canvas_wizard.sandbox import SandboxCanvas

NEIGHBOUR = """
import http.client, json, os, sys
from urllib.parse import parse_qs, urlsplit

url = sys.argv[1]
query = parse_qs(urlsplit(url).query)
port = urlsplit(query["redirect_uri"][0]).port
state = query["state"][0]

def ask(target, host=None):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
    try:
        conn.request("GET", target, headers={"Host": host or f"127.0.0.1:{port}"})
        answer = conn.getresponse()
        answer.read()
        return answer.status
    finally:
        conn.close()

forged = "ab" * 64
statuses = [
    ask(f"/canvas/authorize?code={forged}&state=guessed"),          # complete with a guess
    ask("/canvas/authorize?error=access_denied&state=guessed"),      # cancel with a guess
    ask("/canvas/authorize?error=access_denied"),                    # cancel with no state
    ask(f"/canvas/authorize?code={forged}&state={state}", host=f"evil.example:{port}"),
    ask(f"/canvas/authorize?code={forged}&state={state}&state=x"),   # two states
    ask("/favicon.ico"),
]
with open(os.environ["CHAOS_NEIGHBOUR_LOG"], "w") as log:
    json.dump({"port": port, "statuses": statuses}, log)
# Then the admin's browser does its job.
os.execv(sys.executable, [sys.executable, "-m", "canvas_wizard.sandbox.browser", url])
"""


@pytest.mark.skipif(sys.platform == "win32", reason="execv-based stand-in browser")
def test_a_neighbour_process_cannot_complete_or_cancel_the_sign_in(tmp_path: Path) -> None:
    script = tmp_path / "neighbour.py"
    script.write_text(NEIGHBOUR)
    log = tmp_path / "neighbour.json"
    env = cli_env(CHAOS_NEIGHBOUR_LOG=str(log))
    env["BROWSER"] = f"{sys.executable} {script} %s"
    with SandboxCanvas(seed=True) as canvas:
        codes = catch_codes(canvas)
        port = free_loopback_port()
        redirect = redirect_uri_for(port)
        key = canvas.add_developer_key(redirect_uris=[redirect])
        added = subprocess.run(
            [sys.executable, "-m", "canvas_wizard", "profile", "add", "school", "--canvas-url",
             canvas.url, "--client-id", key.client_id, "--redirect-port", str(port),
             "--client-secret-stdin"],
            input=key.client_secret + "\n", capture_output=True, text=True, env=env, timeout=60,
        )  # fmt: skip
        assert added.returncode == 0, added.stderr

        signed = subprocess.run(
            [sys.executable, "-m", "canvas_wizard", "authorize", "school"],
            capture_output=True, text=True, env=env, timeout=60,
        )  # fmt: skip

        assert signed.returncode == 0, signed.stderr[-2000:]
        assert "Signed in as Alex Morgan." in signed.stdout
        seen = json.loads(log.read_text())
        assert seen["port"] == port
        assert seen["statuses"] == [400, 400, 400, 400, 400, 404]

        # Exactly one good redirect was accepted, then the port closed.
        with pytest.raises(ConnectionRefusedError):
            socket.create_connection(("127.0.0.1", port), timeout=2).close()
        # The code that came through cannot be replayed at Canvas, even with the secret.
        (code,) = codes
        with requests.Session() as http, pytest.raises(OAuthError) as replayed:
            exchange_code(
                http, canvas.url, key.client_id, key.client_secret, code, redirect, "x" * 43
            )
        assert replayed.value.code == "invalid_grant"
