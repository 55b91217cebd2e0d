"""Sending a protocol's requests: retries on 429/503, typed errors, the client's headers."""

{% if cookiecutter.framework == "fastapi" -%}
import asyncio
{% endif -%}
import json
from collections.abc import Callable, Generator

import httpx
import pytest

from {{ cookiecutter.package_name }} import USER_AGENT
from {{ cookiecutter.package_name }}.akeneo.errors import PimTimeout, PimUnreachable
from {{ cookiecutter.package_name }}.akeneo.transport import (
    MAX_ATTEMPTS,
    MAX_RETRY_DELAY,
    retry_delay,
    run,
    send,
)

PIM_URL = "https://pim.example.test"
Handler = Callable[[httpx.Request], httpx.Response]
Protocol = Generator[httpx.Request, httpx.Response, object]
HEADERS = {"User-Agent": USER_AGENT}
{%- if cookiecutter.framework == "flask" %}


def send_with(handler: Handler, request: httpx.Request) -> httpx.Response:
    """Send `request` with the App's transport, through a client whose PIM is `handler`."""
    with httpx.Client(transport=httpx.MockTransport(handler), headers=HEADERS) as client:
        return send(client, request)


def run_with(handler: Handler, protocol: Protocol) -> object:
    with httpx.Client(transport=httpx.MockTransport(handler), headers=HEADERS) as client:
        return run(protocol, client)
{%- else %}


def send_with(handler: Handler, request: httpx.Request) -> httpx.Response:
    """Send `request` with the App's transport, through a client whose PIM is `handler`."""

    async def sending() -> httpx.Response:
        transport = httpx.MockTransport(handler)
        async with httpx.AsyncClient(transport=transport, headers=HEADERS) as client:
            return await send(client, request)

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


@pytest.mark.parametrize("status", [200, 201, 400, 401, 403, 404, 500, 502])
def test_a_response_that_is_not_busy_is_final(status: int) -> None:
    assert retry_delay(httpx.Response(status, headers={"Retry-After": "1"}), 0) is None


@pytest.mark.parametrize(
    ("retry_after", "delay"),
    [("0", 0.0), ("1", 1.0), ("2.5", 2.5), (" 3 ", 3.0), ("10", 10.0)],
)
@pytest.mark.parametrize("status", [429, 503])
def test_retry_after_is_honoured(status: int, retry_after: str, delay: float) -> None:
    response = httpx.Response(status, headers={"Retry-After": retry_after})

    assert retry_delay(response, 0) == delay


@pytest.mark.parametrize("retry_after", ["11", "3600", "inf"])
def test_retry_after_is_capped(retry_after: str) -> None:
    response = httpx.Response(429, headers={"Retry-After": retry_after})

    assert retry_delay(response, 0) == MAX_RETRY_DELAY


@pytest.mark.parametrize(
    "retry_after",
    [
        None,
        "",
        "soon",
        "Wed, 21 Oct 2015 07:28:00 GMT",
        pytest.param(
            "-5",
        ),
        "nan",
    ],
    ids=["absent", "empty", "word", "http-date", "negative", "nan"],
)
@pytest.mark.parametrize("attempt", range(MAX_ATTEMPTS - 1))
def test_without_a_usable_retry_after_the_backoff_is_exponential_and_bounded(
    attempt: int, retry_after: str | None
) -> None:
    headers = {} if retry_after is None else {"Retry-After": retry_after}

    delay = retry_delay(httpx.Response(503, headers=headers), attempt)

    assert delay is not None
    assert 2**attempt <= delay <= min(2**attempt + 1, MAX_RETRY_DELAY)


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
        (httpx.ConnectTimeout("timed out"), PimTimeout, "did not answer in time"),
        (httpx.ConnectError("refused"), PimUnreachable, "pim.example.test could not be reached"),
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
