"""TLS: certificate failures are never bypassed and each says what is wrong; a Canvas
with a certificate from a private CA is trusted once that CA is in the system store.

The certificates are made in the test with the ``openssl`` command. On Linux the
system store is whatever OpenSSL reads, and SSL_CERT_FILE points it at a bundle:
that is how a school's IT adds its CA (or its TLS-inspecting proxy's) here.
"""

from __future__ import annotations

import shutil
import ssl
import subprocess
from dataclasses import dataclass
from pathlib import Path

import pytest
import requests

from canvas_wizard.core.canvas import CanvasClient, CanvasTLSError, probe_canvas
from canvas_wizard.core.canvas.transport import make_session
from canvas_wizard.sandbox import SandboxCanvas

pytestmark = pytest.mark.skipif(shutil.which("openssl") is None, reason="needs openssl")

CA_CONFIG = """
[ ca ]
default_ca = local
[ local ]
dir = {dir}
database = $dir/index.txt
new_certs_dir = $dir
serial = $dir/serial
default_md = sha256
policy = anything
copy_extensions = copy
unique_subject = no
[ anything ]
commonName = supplied
"""


@dataclass
class Pki:
    ca: Path  # the school's private CA (goes into the trust store)
    good: tuple[Path, Path]  # cert, key for 127.0.0.1, signed by ca
    expired: tuple[Path, Path]
    wrong_host: tuple[Path, Path]  # for canvas.elsewhere.example
    rogue: tuple[Path, Path]  # for 127.0.0.1, signed by a CA nobody trusts (an interceptor)


def openssl(*args: str, cwd: Path) -> None:
    subprocess.run(["openssl", *args], cwd=cwd, check=True, capture_output=True)


def make_ca(folder: Path, name: str) -> tuple[Path, Path, Path]:
    folder.mkdir()
    (folder / "index.txt").write_text("")
    (folder / "serial").write_text("1000\n")
    config = folder / "ca.cnf"
    config.write_text(CA_CONFIG.format(dir=folder))
    openssl(
        "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "30",
        "-subj", f"/CN={name}", "-keyout", "ca.key", "-out", "ca.pem",
        "-addext", "basicConstraints=critical,CA:TRUE",
        "-addext", "keyUsage=critical,keyCertSign,cRLSign",
        cwd=folder,
    )  # fmt: skip
    return folder / "ca.pem", folder / "ca.key", config


def issue(
    ca: tuple[Path, Path, Path], name: str, san: str, *, dates: tuple[str, str] | None = None
) -> tuple[Path, Path]:
    cert, key, config = ca
    folder = cert.parent
    openssl(
        "req", "-new", "-newkey", "rsa:2048", "-nodes", "-subj", f"/CN={name}",
        "-keyout", f"{name}.key", "-out", f"{name}.csr", "-addext", f"subjectAltName={san}",
        cwd=folder,
    )  # fmt: skip
    validity = ["-startdate", dates[0], "-enddate", dates[1]] if dates else ["-days", "30"]
    openssl(
        "ca", "-batch", "-notext", "-config", str(config), "-cert", str(cert),
        "-keyfile", str(key), "-in", f"{name}.csr", "-out", f"{name}.pem", *validity,
        cwd=folder,
    )  # fmt: skip
    return folder / f"{name}.pem", folder / f"{name}.key"


@pytest.fixture(scope="module")
def pki(tmp_path_factory: pytest.TempPathFactory) -> Pki:
    root = tmp_path_factory.mktemp("pki")
    school = make_ca(root / "school-ca", "Northfield IT Root CA")
    other = make_ca(root / "rogue-ca", "Inspecting Proxy CA")
    here = "IP:127.0.0.1,DNS:localhost"
    return Pki(
        ca=school[0],
        good=issue(school, "canvas", here),
        expired=issue(school, "old", here, dates=("20200101000000Z", "20200201000000Z")),
        wrong_host=issue(school, "elsewhere", "DNS:canvas.elsewhere.example"),
        rogue=issue(other, "intercepted", here),
    )


@pytest.fixture
def trusted(pki: Pki, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The school's CA is in this computer's trust store (and nothing else is)."""
    bundle = tmp_path / "system-bundle.pem"
    bundle.write_bytes(pki.ca.read_bytes())
    monkeypatch.setenv("SSL_CERT_FILE", str(bundle))
    monkeypatch.delenv("SSL_CERT_DIR", raising=False)
    monkeypatch.delenv("REQUESTS_CA_BUNDLE", raising=False)
    monkeypatch.delenv("CURL_CA_BUNDLE", raising=False)
    return bundle


def serving(cert: tuple[Path, Path]) -> SandboxCanvas:
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert[0], cert[1])
    return SandboxCanvas(seed=True, ssl_context=context)


def test_private_ca_canvas_is_trusted_once_the_ca_is_in_the_store(pki: Pki, trusted: Path) -> None:
    with serving(pki.good) as canvas:
        assert canvas.url.startswith("https://127.0.0.1:")
        site = probe_canvas(canvas.url)
        assert site.url.startswith("https://127.0.0.1:")
        with CanvasClient(canvas.url, None, sleep=lambda _: None) as client:
            response = client.request("GET", "/login/canvas")
            assert response.status_code == 200


def test_without_the_ca_in_the_store_the_same_canvas_is_refused(
    pki: Pki, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    empty = tmp_path / "empty.pem"
    empty.write_text("")
    monkeypatch.setenv("SSL_CERT_FILE", str(empty))
    monkeypatch.delenv("SSL_CERT_DIR", raising=False)
    with serving(pki.good) as canvas, pytest.raises(CanvasTLSError) as refused:
        probe_canvas(canvas.url)
    assert refused.value.reason == "untrusted"


@pytest.mark.parametrize(
    ("which", "reason", "message", "hint"),
    [
        ("expired", "expired", "has expired", "date and time"),
        ("rogue", "untrusted", "does not trust the security certificate", "TLS-inspecting proxy"),
        ("wrong_host", "hostname", "belongs to a different name", "Check the Canvas address"),
    ],
)
def test_certificate_failures_name_the_problem(
    pki: Pki, trusted: Path, which: str, reason: str, message: str, hint: str
) -> None:
    with serving(getattr(pki, which)) as canvas:
        with pytest.raises(CanvasTLSError) as refused:
            probe_canvas(canvas.url)
        error = refused.value
        assert error.reason == reason
        assert message in error.message and "127.0.0.1" in error.message
        assert hint in error.hint
        # The API client says the same, and does not retry its way around it.
        with CanvasClient(canvas.url, None, sleep=lambda _: None) as client:
            with pytest.raises(CanvasTLSError) as again:
                client.get("/api/v1/users/self")
            assert again.value.reason == reason
            assert client.stats.requests == 1


def test_verification_cannot_be_switched_off_by_settings(
    pki: Pki, trusted: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The usual ways people "fix" certificate errors change nothing for this app.
    monkeypatch.setenv("CURL_CA_BUNDLE", "")
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", "")
    monkeypatch.setenv("PYTHONHTTPSVERIFY", "0")
    with serving(pki.rogue) as canvas:
        with pytest.raises(CanvasTLSError):
            probe_canvas(canvas.url)
        session = make_session()
        try:
            with pytest.raises(ValueError, match="cannot be turned off"):
                session.get(canvas.url + "/login/canvas", verify=False, timeout=5)
        finally:
            session.close()
    # A plain requests call shows the server really is there (it is the trust that fails).
    with (
        serving(pki.rogue) as canvas,
        requests.get(
            canvas.url + "/login/canvas", verify=str(pki.rogue[0].parent / "ca.pem"), timeout=5
        ) as response,
    ):
        assert response.status_code == 200
