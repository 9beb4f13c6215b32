"""make_session: the OS trust store on our adapter only, proxies from the environment."""

from __future__ import annotations

import socket
import ssl

import pytest
import truststore

from canvas_wizard import __version__
from canvas_wizard.core.canvas.transport import TrustStoreAdapter, make_session


def test_user_agent_names_the_app() -> None:
    with make_session() as session:
        assert session.headers["User-Agent"] == f"CanvasSyncWizard/{__version__}"
    with make_session(user_agent="Custom/1") as session:
        assert session.headers["User-Agent"] == "Custom/1"


def test_https_goes_through_the_trust_store() -> None:
    with make_session() as session:
        adapter = session.get_adapter("https://canvas.school.test/")
        assert isinstance(adapter, TrustStoreAdapter)
        context = adapter.poolmanager.connection_pool_kw["ssl_context"]
        assert isinstance(context, truststore.SSLContext)
        assert session.verify is True


def test_trust_store_is_not_injected_process_wide() -> None:
    make_session().close()
    assert ssl.SSLContext is not truststore.SSLContext
    assert not isinstance(ssl.create_default_context(), truststore.SSLContext)


def test_proxies_come_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HTTPS_PROXY", "http://proxy.school.test:3128")
    monkeypatch.delenv("NO_PROXY", raising=False)
    monkeypatch.delenv("no_proxy", raising=False)
    with make_session() as session:
        assert session.trust_env is True
        settings = session.merge_environment_settings(
            "https://canvas.school.test/api/v1/users/self", {}, None, None, None
        )
    assert settings["proxies"]["https"] == "http://proxy.school.test:3128"


def test_this_computer_is_never_reached_through_a_proxy(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HTTP_PROXY", "http://proxy.school.test:3128")
    monkeypatch.setenv("HTTPS_PROXY", "http://proxy.school.test:3128")
    for name in ("NO_PROXY", "no_proxy"):
        monkeypatch.delenv(name, raising=False)
    with make_session() as session:
        for url in ("http://127.0.0.1:8123/api/v1/x", "https://localhost/x", "http://[::1]:80/"):
            settings = session.merge_environment_settings(url, {}, None, None, None)
            assert settings["proxies"] == {}, url
        outside = session.merge_environment_settings("https://c.school.test/", {}, None, None, None)
        assert outside["proxies"]["https"] == "http://proxy.school.test:3128"


def test_verification_cannot_be_switched_off() -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    with make_session() as session, pytest.raises(ValueError, match="cannot be turned off"):
        session.get(f"https://127.0.0.1:{port}/", verify=False, timeout=1)


def test_connections_are_verified_without_certifi() -> None:
    adapter = TrustStoreAdapter()

    class Conn:
        cert_reqs = "CERT_NONE"
        ca_certs = "certifi.pem"
        ca_cert_dir = None

    conn = Conn()
    adapter.cert_verify(conn, "https://canvas.school.test/", True, None)
    assert conn.cert_reqs == "CERT_REQUIRED"
    assert conn.ca_certs is None  # the OS store alone decides
    adapter.cert_verify(conn, "https://canvas.school.test/", "/etc/school-proxy-ca.pem", None)
    assert conn.ca_certs == "/etc/school-proxy-ca.pem"  # REQUESTS_CA_BUNDLE adds to it
    adapter.close()
