"""Sends the requests of a protocol generator, with timeouts mapped to typed errors and retries."""

{% if cookiecutter.framework == "fastapi" -%}
import asyncio
{% endif -%}
import random
{%- if cookiecutter.framework == "flask" %}
import time
{%- endif %}
from collections.abc import Generator, Iterator
from contextlib import contextmanager
from typing import TypeVar

import httpx

from .errors import PimTimeout, PimUnreachable

T = TypeVar("T")

RETRIED_STATUSES = frozenset({429, 503})
MAX_ATTEMPTS = 3
MAX_RETRY_DELAY = 10.0


def retry_delay(response: httpx.Response, attempt: int) -> float | None:
    """Seconds to wait before sending again, or None when `response` is final.

    A PIM over its fair-use limits answers 429 (and may answer 503 when busy) with `Retry-After`;
    otherwise back off exponentially with jitter. Never more than `MAX_ATTEMPTS` in all.
    """
    if response.status_code not in RETRIED_STATUSES or attempt + 1 >= MAX_ATTEMPTS:
        return None
    try:
        delay = float(response.headers["Retry-After"])
    except (KeyError, ValueError):
        delay = -1.0
    if not delay >= 0:  # missing, unreadable, negative or nan
        delay = 2**attempt + random.random()
    return min(delay, MAX_RETRY_DELAY)


def with_client_headers(request: httpx.Request, headers: httpx.Headers) -> httpx.Request:
    """Add the client's default headers (User-Agent...) that `client.send` does not add."""
    for name, value in headers.items():
        request.headers.setdefault(name, value)
    return request


@contextmanager
def pim_errors(request: httpx.Request) -> Iterator[None]:
    host = request.url.host
    try:
        yield
    except httpx.TimeoutException:
        raise PimTimeout(f"{host} did not answer in time") from None
    except httpx.TransportError:
        raise PimUnreachable(f"{host} could not be reached") from None
{% if cookiecutter.framework == "flask" %}

def send(client: httpx.Client, request: httpx.Request) -> httpx.Response:
    for attempt in range(MAX_ATTEMPTS):
        with pim_errors(request):
            response = client.send(with_client_headers(request, client.headers))
        delay = retry_delay(response, attempt)
        if delay is None:
            break
        time.sleep(delay)
    return response


def run(protocol: Generator[httpx.Request, httpx.Response, T], client: httpx.Client) -> T:
    """Drive `protocol` to its end, sending each request it yields with `client`."""
    try:
        request = next(protocol)
        while True:
            request = protocol.send(send(client, request))
    except StopIteration as finished:
        result: T = finished.value
        return result
{%- else %}

async def send(client: httpx.AsyncClient, request: httpx.Request) -> httpx.Response:
    for attempt in range(MAX_ATTEMPTS):
        with pim_errors(request):
            response = await client.send(with_client_headers(request, client.headers))
        delay = retry_delay(response, attempt)
        if delay is None:
            break
        await asyncio.sleep(delay)
    return response


async def run(
    protocol: Generator[httpx.Request, httpx.Response, T], client: httpx.AsyncClient
) -> T:
    """Drive `protocol` to its end, sending each request it yields with `client`."""
    try:
        request = next(protocol)
        while True:
            request = protocol.send(await send(client, request))
    except StopIteration as finished:
        result: T = finished.value
        return result
{%- endif %}
