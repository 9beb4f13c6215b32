"""The leaky-bucket throttle: arithmetic, and a real 403 (or hosted Canvas's 429) under load."""

from __future__ import annotations

import threading

import pytest
import requests
from canvas_sandbox_helpers import Api, sign_in

from canvas_wizard.core.canvas import CanvasClient, StaticToken
from canvas_wizard.sandbox import SandboxCanvas, ThrottleConfig
from canvas_wizard.sandbox.throttle import Throttle


class _Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_bucket_reserves_up_front_then_charges_the_real_cost_and_leaks():
    clock = _Clock()
    throttle = Throttle(ThrottleConfig(), clock)
    first = throttle.reserve("token:a")
    second = throttle.reserve("token:a")  # in flight together: 100 reserved
    assert first.allowed and second.allowed
    assert throttle.release(first, 1.0) == pytest.approx(600 - 51)
    assert throttle.release(second, 1.0) == pytest.approx(600 - 2)
    clock.now += 0.1  # leaks 10 units a second
    assert throttle.level("token:a") == pytest.approx(1.0)
    clock.now += 60
    assert throttle.level("token:a") == 0.0  # never below empty


def test_a_request_finding_the_bucket_at_the_high_water_mark_is_refused():
    clock = _Clock()
    throttle = Throttle(ThrottleConfig(high_water_mark=600, outflow=0), clock)
    in_flight = [throttle.reserve("token:b") for _ in range(11)]
    assert all(r.allowed for r in in_flight)  # 550 reserved
    assert not throttle.reserve("token:b").allowed  # the 12th reaches 600
    assert throttle.reserve("token:other").allowed  # buckets are per token


def test_bucket_never_holds_more_than_the_maximum():
    clock = _Clock()
    throttle = Throttle(ThrottleConfig(maximum=800, outflow=0), clock)
    for _ in range(40):
        throttle.reserve("token:c")
    assert throttle.level("token:c") == 800


@pytest.mark.parametrize(
    ("status", "body"),
    [
        (403, "403 Forbidden (Rate Limit Exceeded)\n"),  # the canvas-lms source
        (429, "429 Too Many Requests (Rate Limit Exceeded)\n"),  # hosted Canvas since 2025-10
    ],
)
def test_concurrent_requests_get_canvas_403_with_exact_body_and_headers(status, body):
    config = ThrottleConfig(
        high_water_mark=100, maximum=200, outflow=0.0, up_front_cost=40, status=status
    )
    with SandboxCanvas(throttle=config, latency=0.3) as canvas:
        key = canvas.add_developer_key(redirect_uris=["http://127.0.0.1:53682/canvas/authorize"])
        canvas.latency = 0.0  # sign in quickly, then slow the API down
        token = sign_in(canvas, key)["access_token"]
        canvas.latency = 0.3
        results: list[requests.Response] = []
        lock = threading.Lock()

        start = threading.Barrier(6)

        def call() -> None:
            start.wait(timeout=5)  # all six in flight together
            with requests.Session() as session:
                response = Api(session, canvas.url, token).get("/api/v1/users/self")
                with lock:
                    results.append(response)

        threads = [threading.Thread(target=call) for _ in range(6)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=10)
        throttled = [r for r in results if r.status_code == status]
        ok = [r for r in results if r.status_code == 200]
        assert len(results) == 6 and throttled and ok
        for response in throttled:
            assert response.text == body
            assert response.headers["Content-Type"] == "text/plain; charset=utf-8"
            assert response.headers["X-Rate-Limit-Remaining"] == "0.0"
        for response in ok:
            assert float(response.headers["X-Request-Cost"]) == 1.0
        assert canvas.request_counts()["throttled"] == len(throttled)


def test_disabled_throttle_never_refuses_but_still_reports():
    config = ThrottleConfig(enabled=False, high_water_mark=10, up_front_cost=50)
    with SandboxCanvas(throttle=config) as canvas:
        key = canvas.add_developer_key(redirect_uris=["http://127.0.0.1:53682/canvas/authorize"])
        token = sign_in(canvas, key)["access_token"]
        with requests.Session() as session:
            response = Api(session, canvas.url, token).get("/api/v1/users/self")
        assert response.status_code == 200
        assert "X-Rate-Limit-Remaining" in response.headers


@pytest.mark.parametrize("status", [403, 429])
def test_the_client_rides_out_throttling_answered_either_way(status: int) -> None:
    """Four CanvasClients share one token (as four processes would) and overfill the
    bucket: each refused request is retried after a backoff, and all of them finish."""
    config = ThrottleConfig(
        high_water_mark=100, maximum=200, outflow=200.0, up_front_cost=40, status=status
    )
    with SandboxCanvas(throttle=config, latency=0.0) as canvas:
        key = canvas.add_developer_key(redirect_uris=["http://127.0.0.1:53682/canvas/authorize"])
        token = sign_in(canvas, key)["access_token"]
        canvas.latency = 0.25
        clients = [
            CanvasClient(
                canvas.url, StaticToken(token), sleep=lambda s: threading.Event().wait(0.05)
            )
            for _ in range(4)
        ]
        answers: list[object] = []
        errors: list[BaseException] = []
        start = threading.Barrier(len(clients))

        def call(client: CanvasClient) -> None:
            start.wait(timeout=5)
            try:
                answers.append(client.get("/api/v1/users/self"))
            except BaseException as exc:  # reported below, with the status in the message
                errors.append(exc)

        threads = [threading.Thread(target=call, args=(c,)) for c in clients]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=30)
        throttled = sum(c.stats.throttled for c in clients)
        for c in clients:
            c.close()
    assert errors == [], f"{status}: {errors}"
    assert len(answers) == 4
    assert throttled > 0 and canvas.request_counts()["throttled"] == throttled
