"""Typing a Canvas address, and finding out what really answers there."""

from __future__ import annotations

import contextlib
import json
import shutil
import socket
import ssl
import subprocess
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests
import responses

from canvas_wizard.core.canvas import (
    CanvasConnectionError,
    CanvasServerError,
    CanvasSite,
    CanvasTLSError,
    NotCanvasError,
    normalize_canvas_url,
    probe_canvas,
)
from canvas_wizard.core.errors import UsageError

CANVAS_401 = {"status": "unauthenticated", "errors": [{"message": "user authorization required"}]}
REALM = {"WWW-Authenticate": 'Bearer realm="canvas-lms"'}


# -- Normalising what was typed ------------------------------------------------------------


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("school.instructure.com", "https://school.instructure.com"),
        ("  School.Instructure.COM  ", "https://school.instructure.com"),
        ("https://school.instructure.com/", "https://school.instructure.com"),
        ("https://school.instructure.com/login/canvas", "https://school.instructure.com"),
        ("https://canvas.school.org/api/v1/", "https://canvas.school.org"),
        ("canvas.school.org/courses/12?x=1#top", "https://canvas.school.org"),
        ("HTTPS://canvas.school.org:443", "https://canvas.school.org"),
        ("https://canvas.school.org:8443/", "https://canvas.school.org:8443"),
        ("canvas.school.org.", "https://canvas.school.org"),
        ("http://127.0.0.1:8123/", "http://127.0.0.1:8123"),
        ("http://localhost:3000/login", "http://localhost:3000"),
        ("http://[::1]:8123", "http://[::1]:8123"),
        ("10.0.0.5", "https://10.0.0.5"),
        ("https://bücher.example", "https://xn--bcher-kva.example"),
    ],
)
def test_addresses_are_normalized(typed: str, expected: str) -> None:
    assert normalize_canvas_url(typed) == expected


@pytest.mark.parametrize(
    ("typed", "words"),
    [
        ("", "empty"),
        ("   ", "empty"),
        ("school instructure.com", "spaces"),
        ("admin@school.edu", "email address"),
        ("http://school.instructure.com", "https://"),
        ("ftp://school.instructure.com", "https://"),
        ("school.instructure", "missing its ending"),
        ("myschool", "domain is missing"),
        ("https://school.instructure.com:99999", "65535"),
        ("https://school.instructure.com:0", "65535"),
        ("https://school.instructure.com:abc", "65535"),
        ("https://admin:hunter2@school.instructure.com", "user name or password"),
        ("https://school_name.instructure.com", "not a valid server name"),
        ("https://-school.instructure.com", "not a valid server name"),
        ("999.1.1.1", "not a valid server name"),
        ("https://", "no server name"),
    ],
)
def test_typos_are_refused_with_a_reason(typed: str, words: str) -> None:
    with pytest.raises(UsageError) as caught:
        normalize_canvas_url(typed)
    assert words in caught.value.message
    assert caught.value.hint
    assert "hunter2" not in str(caught.value)


# -- What answers ---------------------------------------------------------------------------


@pytest.fixture
def rsps() -> Iterator[responses.RequestsMock]:
    with responses.RequestsMock() as mock:
        yield mock


def test_real_canvas_answer_is_recognized(rsps: responses.RequestsMock) -> None:
    rsps.get(
        "https://school.instructure.com/api/v1/users/self",
        status=401,
        json=CANVAS_401,
        headers=REALM,
    )
    site = probe_canvas("school.instructure.com/login/canvas")
    assert site == CanvasSite(url="https://school.instructure.com")
    assert "Authorization" not in rsps.calls[0].request.headers


def test_translated_canvas_answer_is_recognized_by_its_header(rsps: responses.RequestsMock) -> None:
    body = {"status": "no autenticado", "errors": [{"message": "se requiere autorización"}]}
    rsps.get("https://canvas.escuela.test/api/v1/users/self", status=401, json=body, headers=REALM)
    assert probe_canvas("canvas.escuela.test").url == "https://canvas.escuela.test"


def test_redirect_to_a_vanity_domain_gives_the_final_address(rsps: responses.RequestsMock) -> None:
    rsps.get(
        "https://old.school.test/api/v1/users/self",
        status=301,
        headers={"Location": "https://canvas.school.test/api/v1/users/self"},
    )
    rsps.get(
        "https://canvas.school.test/api/v1/users/self", status=401, json=CANVAS_401, headers=REALM
    )
    assert probe_canvas("old.school.test").url == "https://canvas.school.test"


def test_redirect_to_plain_http_is_refused(rsps: responses.RequestsMock) -> None:
    rsps.get(
        "https://canvas.school.test/api/v1/users/self",
        status=302,
        headers={"Location": "http://canvas.school.test/api/v1/users/self"},
    )
    rsps.get(
        "http://canvas.school.test/api/v1/users/self", status=401, json=CANVAS_401, headers=REALM
    )
    with pytest.raises(NotCanvasError, match=r"http://canvas\.school\.test"):
        probe_canvas("canvas.school.test")


def test_school_web_page_is_not_canvas(rsps: responses.RequestsMock) -> None:
    rsps.get(
        "https://www.school.test/api/v1/users/self",
        body="<html><head><title>Welcome to Springfield High</title></head></html>",
        content_type="text/html; charset=utf-8",
    )
    with pytest.raises(NotCanvasError) as caught:
        probe_canvas("www.school.test")
    assert "not Canvas" in caught.value.message
    assert '"Welcome to Springfield High"' in caught.value.message


def test_404_is_not_canvas(rsps: responses.RequestsMock) -> None:
    rsps.get("https://www.school.test/api/v1/users/self", status=404, body="Not Found")
    with pytest.raises(NotCanvasError, match="no Canvas API"):
        probe_canvas("www.school.test")


@pytest.mark.parametrize(
    ("status", "body"),
    [(401, {"error": "unauthorized"}), (200, {"id": 1, "name": "x"}), (401, {"errors": "no"})],
)
def test_other_json_is_not_canvas(rsps: responses.RequestsMock, status: int, body: object) -> None:
    rsps.get("https://api.school.test/api/v1/users/self", status=status, json=body)
    with pytest.raises(NotCanvasError, match="data Canvas would not send"):
        probe_canvas("api.school.test")


def test_canvas_down_for_maintenance_is_a_server_error(rsps: responses.RequestsMock) -> None:
    rsps.get(
        "https://canvas.school.test/api/v1/users/self",
        status=503,
        body="<html><title>Maintenance</title></html>",
        content_type="text/html",
    )
    with pytest.raises(CanvasServerError, match="503"):
        probe_canvas("canvas.school.test")


# -- Real sockets -------------------------------------------------------------------------


def test_unknown_host_says_check_the_address(monkeypatch: pytest.MonkeyPatch) -> None:
    real = socket.getaddrinfo

    def no_such_host(host: str, *args: object, **kwargs: object) -> object:
        if host == "canvas.no-such-school.test":
            raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
        return real(host, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(socket, "getaddrinfo", no_such_host)
    with pytest.raises(CanvasConnectionError) as caught:
        probe_canvas("canvas.no-such-school.test")
    assert caught.value.reason == "dns"
    assert caught.value.message == (
        "Cannot find the server canvas.no-such-school.test: check the address."
    )


def test_refused_port(unused_port: int, monkeypatch: pytest.MonkeyPatch) -> None:
    # A proxy in the environment must not stand between the app and this computer.
    monkeypatch.setenv("HTTP_PROXY", "http://proxy.school.test:3128")
    with pytest.raises(CanvasConnectionError) as caught:
        probe_canvas(f"http://127.0.0.1:{unused_port}")
    assert caught.value.reason == "refused"
    assert "refused" in caught.value.message


def test_silent_server_times_out() -> None:
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(1)  # accepts the connection in the kernel, never answers
        port = listener.getsockname()[1]
        with pytest.raises(CanvasConnectionError) as caught:
            probe_canvas(f"http://127.0.0.1:{port}", timeout=0.2)
    assert caught.value.reason == "timeout"
    assert caught.value.message == "No answer from 127.0.0.1 within 0.2 s."


@pytest.fixture
def unused_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def make_cert(folder: Path, name: str, san: str) -> tuple[Path, Path]:
    if shutil.which("openssl") is None:
        pytest.skip("the openssl command is needed to make a test certificate")
    cert, key = folder / f"{name}.pem", folder / f"{name}.key"
    subprocess.run(
        [
            "openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt",
            "ec_paramgen_curve:prime256v1", "-nodes", "-days", "2",
            "-keyout", str(key), "-out", str(cert),
            "-subj", "/CN=canvas-test", "-addext", f"subjectAltName={san}",
        ],
        check=True,
        capture_output=True,
    )  # fmt: skip
    return cert, key


class TinyHTTPS:
    """A one-thread HTTPS server that answers every request like Canvas's /users/self."""

    def __init__(self, cert: Path, key: Path) -> None:
        self.context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        self.context.load_cert_chain(cert, key)
        self.listener = socket.socket()
        self.listener.bind(("127.0.0.1", 0))
        self.listener.listen(8)
        self.port = self.listener.getsockname()[1]
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self) -> None:
        body = json.dumps(CANVAS_401).encode()
        while True:
            try:
                raw, _ = self.listener.accept()
            except OSError:
                return
            with raw:
                try:
                    with self.context.wrap_socket(raw, server_side=True) as tls:
                        tls.recv(65536)
                        tls.sendall(
                            b"HTTP/1.1 401 Unauthorized\r\nContent-Type: application/json\r\n"
                            b'WWW-Authenticate: Bearer realm="canvas-lms"\r\n'
                            b"Connection: close\r\nContent-Length: %d\r\n\r\n%s" % (len(body), body)
                        )
                except (ssl.SSLError, OSError):
                    continue  # the client refused our certificate: that is the point

    def close(self) -> None:
        # shutdown() wakes the thread blocked in accept(); close() alone would not.
        with contextlib.suppress(OSError):
            self.listener.shutdown(socket.SHUT_RDWR)
        self.listener.close()
        self.thread.join(5)
        assert not self.thread.is_alive()


@pytest.fixture
def https_server(tmp_path: Path) -> Iterator[tuple[TinyHTTPS, Path]]:
    cert, key = make_cert(tmp_path, "self-signed", "IP:127.0.0.1,DNS:localhost")
    server = TinyHTTPS(cert, key)
    yield server, cert
    server.close()


def test_self_signed_certificate_is_untrusted(
    https_server: tuple[TinyHTTPS, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("SSL_CERT_FILE", raising=False)
    server, _ = https_server
    with pytest.raises(CanvasTLSError) as caught:
        probe_canvas(f"https://127.0.0.1:{server.port}")
    error = caught.value
    assert error.reason == "untrusted"
    assert "proxy" in error.hint and "root certificate" in error.hint
    assert "system certificate store" in error.hint


def test_certificate_in_the_system_store_is_trusted(
    https_server: tuple[TinyHTTPS, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    # SSL_CERT_FILE is how OpenSSL (and so truststore on Linux) finds the system store:
    # pointing it at our certificate is "IT installed the root certificate".
    server, cert = https_server
    monkeypatch.setenv("SSL_CERT_FILE", str(cert))
    site = probe_canvas(f"https://127.0.0.1:{server.port}")
    assert site.url == f"https://127.0.0.1:{server.port}"


def test_certificate_for_another_name(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    cert, key = make_cert(tmp_path, "other-name", "DNS:other.school.test")
    server = TinyHTTPS(cert, key)
    try:
        monkeypatch.setenv("SSL_CERT_FILE", str(cert))
        with pytest.raises(CanvasTLSError) as caught:
            probe_canvas(f"https://127.0.0.1:{server.port}")
    finally:
        server.close()
    assert caught.value.reason == "hostname"


def test_probe_uses_a_given_session_and_leaves_it_open(rsps: responses.RequestsMock) -> None:
    rsps.get("https://c.school.test/api/v1/users/self", status=401, json=CANVAS_401, headers=REALM)
    with requests.Session() as session:
        session.headers["User-Agent"] = "probe-test"
        probe_canvas("c.school.test", session=session)
        assert rsps.calls[0].request.headers["User-Agent"] == "probe-test"
        assert session.adapters  # still usable
