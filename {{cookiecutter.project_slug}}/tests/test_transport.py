"""Sending a protocol's requests: bounded answers, one deadline, retries, typed errors, headers."""

{% if cookiecutter.framework == "fastapi" -%}
import asyncio
{% endif -%}
import gzip
import json
import time
import tracemalloc
import zlib
from collections.abc import Callable, Generator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from typing import Any

import httpx
import pytest

from {{ cookiecutter.package_name }} import USER_AGENT
from {{ cookiecutter.package_name }}.akeneo.answers import (
    MAX_ANSWER_BYTES,
    MAX_JSON_DEPTH,
    json_depth_exceeds,
)
from {{ cookiecutter.package_name }}.akeneo.errors import (
    PimBadResponse,
    PimConnectFailed,
    PimConnectTimeout,
    PimTimeout,
    PimUnreachable,
)
from {{ cookiecutter.package_name }}.akeneo.retries import BACKGROUND, BROWSER, RetryBudget
from {{ cookiecutter.package_name }}.akeneo.transport import run, send

PIM_URL = "https://pim.example.test"
Handler = Callable[[httpx.Request], httpx.Response]
Protocol = Generator[httpx.Request, httpx.Response, object]
HEADERS = {"User-Agent": USER_AGENT}
MAX_ATTEMPTS = BROWSER.max_attempts
QUICK = replace(BROWSER, backoff_seconds=0.01)
"""Back-offs of milliseconds, for tests that count attempts rather than time the waits."""
{%- if cookiecutter.framework == "flask" %}


def send_with(
    handler: Handler, request: httpx.Request, timeout: float = 10, **options: Any
) -> httpx.Response:
    """Send `request` with the App's transport, through a client whose PIM is `handler`."""
    transport = httpx.MockTransport(handler)
    with httpx.Client(transport=transport, headers=HEADERS, timeout=timeout) as client:
        return send(client, request, **{"budget": QUICK, **options})


def run_with(handler: Handler, protocol: Protocol) -> object:
    with httpx.Client(transport=httpx.MockTransport(handler), headers=HEADERS) as client:
        return run(protocol, client)
{%- else %}


def send_with(
    handler: Handler, request: httpx.Request, timeout: float = 10, **options: Any
) -> httpx.Response:
    """Send `request` with the App's transport, through a client whose PIM is `handler`."""

    async def sending() -> httpx.Response:
        transport = httpx.MockTransport(handler)
        async with httpx.AsyncClient(
            transport=transport, headers=HEADERS, timeout=timeout
        ) as client:
            return await send(client, request, **{"budget": QUICK, **options})

    return asyncio.run(sending())


def run_with(handler: Handler, protocol: Protocol) -> object:
    async def running() -> object:
        transport = httpx.MockTransport(handler)
        async with httpx.AsyncClient(transport=transport, headers=HEADERS) as client:
            return await run(protocol, client)

    return asyncio.run(running())
{%- endif %}


def answers(*responses: httpx.Response) -> tuple[Handler, list[httpx.Request]]:
    """A PIM that gives `responses` in order, and the requests it received."""
    received: list[httpx.Request] = []
    pending = iter(responses)

    def handler(request: httpx.Request) -> httpx.Response:
        received.append(request)
        return next(pending)

    return handler, received


def channels_request() -> httpx.Request:
    return httpx.Request("GET", f"{PIM_URL}/api/rest/v1/channels")


def retry_delay(
    response: httpx.Response, attempt: int, budget: RetryBudget = BROWSER, method: str = "GET"
) -> float | None:
    return budget.retry_delay(httpx.Request(method, PIM_URL), response, attempt)


@pytest.mark.parametrize("status", [200, 201, 400, 401, 403, 404, 500, 502])
def test_a_response_that_is_not_busy_is_final(status: int) -> None:
    assert retry_delay(httpx.Response(status, headers={"Retry-After": "1"}), 0) is None


@pytest.mark.parametrize(
    ("retry_after", "delay"),
    [("0", 0.0), ("1", 1.0), ("2.5", 2.5), (" 3 ", 3.0)],
)
@pytest.mark.parametrize("status", [429, 503])
def test_retry_after_is_honoured(status: int, retry_after: str, delay: float) -> None:
    response = httpx.Response(status, headers={"Retry-After": retry_after})

    assert retry_delay(response, 0) == delay


@pytest.mark.parametrize("retry_after", ["3.5", "10", "3600", "inf"])
def test_a_retry_after_longer_than_a_browser_should_wait_is_final(retry_after: str) -> None:
    response = httpx.Response(429, headers={"Retry-After": retry_after})

    assert float(retry_after) > BROWSER.max_retry_after
    assert retry_delay(response, 0) is None


@pytest.mark.parametrize(
    "retry_after",
    [
        None,
        "",
        "soon",
        "Wed, 21 Oct 2015 07:28",
        pytest.param(
            "-5",
        ),
        "nan",
    ],
    ids=["absent", "empty", "word", "http-date-without-zone", "negative", "nan"],
)
@pytest.mark.parametrize("attempt", range(MAX_ATTEMPTS - 1))
def test_without_a_usable_retry_after_the_backoff_is_exponential_and_bounded(
    attempt: int, retry_after: str | None
) -> None:
    headers = {} if retry_after is None else {"Retry-After": retry_after}

    delay = retry_delay(httpx.Response(503, headers=headers), attempt)

    assert delay is not None
    lowest = BROWSER.backoff_seconds * 2**attempt
    assert lowest <= delay <= min(lowest + BROWSER.backoff_seconds, BROWSER.max_backoff)


@pytest.mark.parametrize("status", [429, 503])
def test_the_last_attempt_is_final(status: int) -> None:
    response = httpx.Response(status, headers={"Retry-After": "0"})

    assert retry_delay(response, MAX_ATTEMPTS - 1) is None
    assert retry_delay(response, MAX_ATTEMPTS) is None


def test_a_busy_pim_is_asked_again_after_its_retry_after() -> None:
    handler, received = answers(
        httpx.Response(429, headers={"Retry-After": "0"}),
        httpx.Response(200, json={"items": []}),
    )

    response = send_with(handler, channels_request())

    assert response.status_code == 200
    assert response.json() == {"items": []}
    assert [request.url.path for request in received] == ["/api/rest/v1/channels"] * 2


def test_a_pim_busy_on_every_attempt_gets_its_last_answer() -> None:
    handler, received = answers(
        *(
            httpx.Response(503, headers={"Retry-After": "0", "X-Attempt": str(attempt)})
            for attempt in range(1, MAX_ATTEMPTS + 1)
        )
    )

    response = send_with(handler, channels_request())

    assert len(received) == MAX_ATTEMPTS
    assert response.status_code == 503
    assert response.headers["X-Attempt"] == str(MAX_ATTEMPTS)


@pytest.mark.parametrize(
    ("failure", "error", "message"),
    [
        (httpx.ReadTimeout("timed out"), PimTimeout, "pim.example.test did not answer in time"),
        (httpx.ConnectTimeout("timed out"), PimConnectTimeout, "did not answer in time"),
        (httpx.ConnectError("refused"), PimConnectFailed, "pim.example.test could not be reached"),
        (httpx.RemoteProtocolError("closed"), PimUnreachable, "could not be reached"),
    ],
    ids=["read-timeout", "connect-timeout", "connect-error", "protocol-error"],
)
def test_transport_failures_become_typed_errors(
    failure: httpx.TransportError, error: type[Exception], message: str
) -> None:
    def failing(request: httpx.Request) -> httpx.Response:
        raise failure

    with pytest.raises(error) as raised:
        send_with(failing, channels_request())

    assert type(raised.value) is error
    assert message in str(raised.value)


def test_the_clients_user_agent_reaches_the_pim() -> None:
    handler, received = answers(httpx.Response(200, json={}))
    request = httpx.Request("GET", f"{PIM_URL}/api/rest/v1/channels", headers={"Accept": "x/y"})

    send_with(handler, request)

    [sent] = received
    assert sent.headers["User-Agent"] == USER_AGENT
    assert sent.headers["Accept"] == "x/y"  # the request's own headers win over the client's


def test_run_sends_each_request_of_a_protocol_and_returns_its_result() -> None:
    def protocol() -> Protocol:
        first = yield httpx.Request("GET", f"{PIM_URL}/first")
        second = yield httpx.Request("POST", f"{PIM_URL}/second", json=first.json())
        return (first.json(), second.json())

    def pim(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/first":
            return httpx.Response(200, json={"step": 1})
        return httpx.Response(200, json={"echo": json.loads(request.content)})

    assert run_with(pim, protocol()) == ({"step": 1}, {"echo": {"step": 1}})


def test_run_retries_each_request_of_a_protocol() -> None:
    def protocol() -> Protocol:
        response = yield channels_request()
        return response.status_code

    handler, received = answers(
        httpx.Response(503, headers={"Retry-After": "0"}),
        httpx.Response(200, json={}),
    )

    assert run_with(handler, protocol()) == 200
    assert len(received) == 2


def test_run_lets_a_transport_failure_out_of_the_protocol() -> None:
    def protocol() -> Protocol:
        yield channels_request()
        return "unreachable"

    def failing(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("refused")

    with pytest.raises(PimUnreachable, match="could not be reached"):
        run_with(failing, protocol())


def token_request() -> httpx.Request:
    return httpx.Request("POST", f"{PIM_URL}/connect/apps/v1/oauth2/token", data={"code": "c"})


def test_a_connection_timeout_of_a_get_is_tried_again() -> None:
    received: list[httpx.Request] = []

    def slow_to_accept_once(request: httpx.Request) -> httpx.Response:
        received.append(request)
        if len(received) == 1:
            raise httpx.ConnectTimeout("timed out")
        return httpx.Response(200, json={"items": []})

    response = send_with(slow_to_accept_once, channels_request())

    assert response.json() == {"items": []}
    assert len(received) == 2


def test_a_get_that_never_connects_is_tried_a_bounded_number_of_times() -> None:
    received: list[httpx.Request] = []

    def never_accepting(request: httpx.Request) -> httpx.Response:
        received.append(request)
        raise httpx.ConnectTimeout("timed out")

    with pytest.raises(PimTimeout, match="did not answer in time"):
        send_with(never_accepting, channels_request())

    assert len(received) == MAX_ATTEMPTS


def test_a_post_whose_connection_timed_out_is_not_sent_again() -> None:
    received: list[httpx.Request] = []

    def never_accepting(request: httpx.Request) -> httpx.Response:
        received.append(request)
        raise httpx.ConnectTimeout("timed out")

    with pytest.raises(PimConnectTimeout):
        send_with(never_accepting, token_request())

    assert len(received) == 1


def test_a_wait_that_would_end_after_the_deadline_is_not_waited() -> None:
    handler, received = answers(
        httpx.Response(503, headers={"Retry-After": "2"}),
        httpx.Response(200, json={}),
    )
    started = time.monotonic()

    response = send_with(handler, channels_request(), timeout=1)

    assert time.monotonic() - started < 0.5
    assert response.status_code == 503
    assert len(received) == 1


def test_each_attempt_gets_the_time_left_before_the_deadline() -> None:
    timeouts: list[dict[str, float]] = []

    def busy_then_ok(request: httpx.Request) -> httpx.Response:
        timeouts.append(request.extensions["timeout"])
        if len(timeouts) == 1:
            return httpx.Response(503, headers={"Retry-After": "0.5"})
        return httpx.Response(200, json={})

    send_with(busy_then_ok, channels_request(), timeout=2)

    first, second = timeouts
    assert set(first) == {"connect", "read", "write", "pool"}
    assert 1.9 < first["read"] <= 2
    assert second["read"] < 1.5  # half a second of Retry-After was spent


def test_the_app_asks_for_the_encodings_it_decodes() -> None:
    handler, received = answers(httpx.Response(200, json={}))

    send_with(handler, channels_request())

    assert received[0].headers["Accept-Encoding"] == "gzip, deflate"


@pytest.mark.parametrize(
    "compress",
    [gzip.compress, zlib.compress],
    ids=["gzip", "deflate"],
)
def test_a_compressed_answer_is_decoded(compress: Callable[[bytes], bytes]) -> None:
    encoding = "gzip" if compress is gzip.compress else "deflate"
    body = json.dumps({"items": ["a"] * 100}).encode()
    handler, _ = answers(
        httpx.Response(200, headers={"Content-Encoding": encoding}, content=compress(body))
    )

    response = send_with(handler, channels_request())

    assert response.json() == {"items": ["a"] * 100}
    assert "Content-Encoding" not in response.headers


def test_a_token_answer_over_the_cap_is_refused() -> None:
    handler, _ = answers(httpx.Response(200, content=b" " * (MAX_ANSWER_BYTES + 1)))

    with pytest.raises(PimBadResponse, match=f"larger than {MAX_ANSWER_BYTES} bytes"):
        send_with(handler, token_request())


def test_a_token_answer_at_the_cap_is_read() -> None:
    body = b"{}" + b" " * (MAX_ANSWER_BYTES - 2)
    handler, _ = answers(httpx.Response(200, content=body))

    assert send_with(handler, token_request()).content == body


def test_api_answers_have_their_own_configurable_cap() -> None:
    body = json.dumps({"items": ["x" * 1000] * 1000}).encode()  # about 1 MB
    handler, _ = answers(httpx.Response(200, content=body), httpx.Response(200, content=body))

    assert send_with(handler, channels_request()).content == body
    with pytest.raises(PimBadResponse, match="larger than 500000 bytes"):
        send_with(handler, channels_request(), api_max_bytes=500_000)


def test_a_compression_bomb_is_refused_without_inflating_it() -> None:
    compressor = zlib.compressobj(9, zlib.DEFLATED, zlib.MAX_WBITS | 16)
    megabyte = bytes(1024 * 1024)
    bomb = b"".join(compressor.compress(megabyte) for _ in range(100)) + compressor.flush()
    # A raw stream: httpx would inflate `content=` when building the response.
    raw = httpx.ByteStream(bomb)
    handler, _ = answers(httpx.Response(200, headers={"Content-Encoding": "gzip"}, stream=raw))
    tracemalloc.start()

    try:
        with pytest.raises(PimBadResponse, match=f"larger than {MAX_ANSWER_BYTES} bytes"):
            send_with(handler, token_request())
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()

    assert len(bomb) < 200 * 1024  # 100 MB once inflated
    assert peak < 4 * 1024 * 1024


@pytest.mark.parametrize(
    ("headers", "content", "message"),
    [
        ({"Content-Encoding": "br"}, b"{}", "unknown encoding: 'br'"),
        ({"Content-Encoding": "gzip"}, b"not gzip at all", "compressed answer is corrupt"),
        ({"Content-Encoding": "gzip"}, gzip.compress(b'{"a": 1}')[:-4], "truncated"),
    ],
    ids=["unknown-encoding", "corrupt", "truncated"],
)
def test_an_unreadable_encoding_is_a_bad_answer(
    headers: dict[str, str], content: bytes, message: str
) -> None:
    raw = httpx.ByteStream(content)
    handler, _ = answers(httpx.Response(200, headers=headers, stream=raw))

    with pytest.raises(PimBadResponse, match=message):
        send_with(handler, token_request())


def test_an_answer_nested_too_deep_is_refused_before_parsing() -> None:
    body = b"[" * 100_000 + b"]" * 100_000
    handler, _ = answers(httpx.Response(200, content=body))

    with pytest.raises(PimBadResponse, match=f"nested over {MAX_JSON_DEPTH} levels deep"):
        send_with(handler, token_request())


@pytest.mark.parametrize(
    ("content", "too_deep"),
    [
        (b"[" * MAX_JSON_DEPTH + b"]" * MAX_JSON_DEPTH, False),
        (b"[" * (MAX_JSON_DEPTH + 1) + b"]" * (MAX_JSON_DEPTH + 1), True),
        (b'{"a": {"b": [1, {"c": 2}]}}', False),
        (b'{"text": "' + b"[" * 1000 + b'"}', False),
        (b'{"text": "\\\\"' + b"{" * 100, True),
        (b'{"quote": "\\"[[[["}', False),
        (b"<html>not json</html>", False),
    ],
    ids=[
        "at-the-limit",
        "over-the-limit",
        "ordinary",
        "brackets-in-a-string",
        "escaped-backslash-ends-a-string",
        "escaped-quote-inside-a-string",
        "not-json",
    ],
)
def test_json_depth_counts_brackets_outside_strings(content: bytes, too_deep: bool) -> None:
    assert json_depth_exceeds(content, MAX_JSON_DEPTH) is too_deep


class FakeClock:
    """A clock that the waits move on, so that a test honours a 15 s wait without taking it."""

    def __init__(self) -> None:
        self.waits: list[float] = []
        self._start = time.monotonic()

    def now(self) -> float:
        return self._start + sum(self.waits)
{%- if cookiecutter.framework == "flask" %}

    def sleep(self, seconds: float) -> None:
        self.waits.append(seconds)
{%- else %}

    async def sleep(self, seconds: float) -> None:
        self.waits.append(seconds)
{%- endif %}


def in_the_background(clock: FakeClock) -> dict[str, Any]:
    return {"budget": replace(BACKGROUND, clock=clock.now), "sleep": clock.sleep}


def test_the_background_budget_honours_a_retry_after_of_15_seconds() -> None:
    clock = FakeClock()
    handler, received = answers(
        httpx.Response(429, headers={"Retry-After": "15"}), httpx.Response(200, json={})
    )

    response = send_with(handler, channels_request(), **in_the_background(clock))

    assert response.status_code == 200
    assert clock.waits == [15.0]
    assert len(received) == 2


def test_the_browser_budget_answers_a_retry_after_of_15_seconds_at_once() -> None:
    handler, received = answers(httpx.Response(429, headers={"Retry-After": "15"}))

    response = send_with(handler, channels_request(), budget=BROWSER)

    assert response.status_code == 429
    assert len(received) == 1


@pytest.mark.parametrize("status", [408, 500, 502, 503, 504])
def test_the_background_budget_retries_a_get_that_failed(status: int) -> None:
    clock = FakeClock()
    handler, received = answers(httpx.Response(status), httpx.Response(200, json={}))

    response = send_with(handler, channels_request(), **in_the_background(clock))

    assert response.status_code == 200
    assert len(received) == 2
    assert 0 < clock.waits[0] <= BACKGROUND.max_backoff


@pytest.mark.parametrize("method", ["POST", "PATCH"])
def test_a_write_answered_503_is_never_sent_again(method: str) -> None:
    handler, received = answers(httpx.Response(503), httpx.Response(201))
    request = httpx.Request(method, f"{PIM_URL}/api/rest/v1/products-uuid", json={})

    response = send_with(handler, request, **in_the_background(FakeClock()))

    assert response.status_code == 503
    assert len(received) == 1


def test_a_post_refused_with_429_is_sent_again_after_its_wait() -> None:
    clock = FakeClock()
    handler, received = answers(
        httpx.Response(429, headers={"Retry-After": "2"}), httpx.Response(201)
    )
    request = httpx.Request("POST", f"{PIM_URL}/api/rest/v1/catalogs", json={"name": "x"})

    response = send_with(handler, request, **in_the_background(clock))

    assert response.status_code == 201
    assert clock.waits == [2.0]
    assert received[1].content == b'{"name":"x"}' or json.loads(received[1].content) == {
        "name": "x"
    }


def test_the_background_budget_stops_at_its_total_deadline() -> None:
    clock = FakeClock()
    busy = [httpx.Response(429, headers={"Retry-After": "60"}) for _ in range(10)]
    handler, received = answers(*busy)

    response = send_with(handler, channels_request(), **in_the_background(clock))

    assert response.status_code == 429
    assert sum(clock.waits) < BACKGROUND.total_seconds
    assert clock.waits == [60.0] * 4  # a fifth minute would end at the 5-minute deadline
    assert len(received) == 5


def test_the_background_budget_tries_again_a_get_that_could_not_connect() -> None:
    clock = FakeClock()
    received: list[httpx.Request] = []

    def refusing_once(request: httpx.Request) -> httpx.Response:
        received.append(request)
        if len(received) == 1:
            raise httpx.ConnectError("refused")
        return httpx.Response(200, json={})

    response = send_with(refusing_once, channels_request(), **in_the_background(clock))

    assert response.status_code == 200
    assert len(clock.waits) == 1


def test_a_failure_after_several_attempts_says_how_many() -> None:
    def refusing(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("refused")

    with pytest.raises(PimUnreachable, match=r"could not be reached \(8 attempts\)"):
        send_with(refusing, channels_request(), **in_the_background(FakeClock()))


def test_a_retry_after_given_as_an_http_date_is_honoured() -> None:
    when = datetime.now(UTC) + timedelta(seconds=10)
    response = httpx.Response(429, headers={"Retry-After": format_datetime(when, usegmt=True)})

    delay = retry_delay(response, 0, BACKGROUND)

    assert delay is not None and 8 <= delay <= 10
