"""Sends the requests of a protocol generator to a PIM, and reads every answer as hostile.

Each request has one deadline, `HTTP_TIMEOUT` (the client's timeout) from when it is first
sent, that covers its retries and the waits between them. Answers are read with a cap on their
decompressed size and on their nesting depth. A busy PIM (429, 503) is asked again after its
`Retry-After` when that is short; a GET whose connection timed out is sent again after a backoff.
Transport failures become typed errors.
"""

import asyncio
import random
import re
import time
import zlib
from collections.abc import Generator, Iterator
from contextlib import contextmanager
from typing import TypeVar

import httpx

from .errors import PimBadResponse, PimConnectTimeout, PimTimeout, PimUnreachable
from .network import call_deadline

T = TypeVar("T")

MAX_ANSWER_BYTES = 256 * 1024
"""Token and certificate answers are a few KB: a larger one is not a PIM's."""
DEFAULT_API_MAX_BYTES = 10_000_000
"""REST API answers (`/api/rest/`) are pages of up to 100 items: they get a larger cap."""
API_PATH_PREFIX = "/api/rest/"
MAX_JSON_DEPTH = 64
DEFAULT_CALL_SECONDS = 10.0

RETRIED_STATUSES = frozenset({429, 503})
IDEMPOTENT_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
MAX_ATTEMPTS = 3
BACKOFF_SECONDS = 0.5
MAX_RETRY_DELAY = 3.0
"""A PIM asking to wait longer than this gets no retry: its busy answer is shown at once."""

# Compressed answers are decoded here, with a bound: not by httpx, which would inflate a
# compression bomb in full. Only what the App asks for is accepted.
ACCEPTED_ENCODINGS = "gzip, deflate"
_STRING = re.compile(rb'"[^"\\]*(?:\\.[^"\\]*)*"', re.DOTALL)
_NOT_A_BRACKET = bytes(byte for byte in range(256) if byte not in b"[]{}")


def answer_limit(request: httpx.Request, api_max_bytes: int) -> int:
    """The largest decompressed answer accepted for `request`."""
    if request.url.path.startswith(API_PATH_PREFIX):
        return api_max_bytes
    return MAX_ANSWER_BYTES


def deadline_for(timeout: httpx.Timeout) -> float:
    """When a request sent now must be over (`time.monotonic`): the client's longest timeout."""
    budgets = [budget for budget in timeout.as_dict().values() if budget is not None]
    return time.monotonic() + (max(budgets) if budgets else DEFAULT_CALL_SECONDS)


def attempt_timeouts(timeout: httpx.Timeout, deadline: float) -> dict[str, float]:
    """The client's timeouts, shortened so that no phase of an attempt ends after `deadline`."""
    remaining = deadline - time.monotonic()
    return {
        phase: remaining if budget is None else min(budget, remaining)
        for phase, budget in timeout.as_dict().items()
    }


def backoff(attempt: int) -> float:
    """Exponential backoff with jitter, so that many clients do not retry in step."""
    return min(BACKOFF_SECONDS * 2.0**attempt + random.uniform(0, BACKOFF_SECONDS), MAX_RETRY_DELAY)


def retry_delay(response: httpx.Response, attempt: int) -> float | None:
    """Seconds to wait before sending again, or None when `response` is final.

    A PIM over its fair-use limits answers 429 (and may answer 503 when busy) with `Retry-After`;
    without a usable one, back off exponentially with jitter. Never more than `MAX_ATTEMPTS` in
    all, and no retry when the PIM asks for a longer pause than a browser should wait.
    """
    if response.status_code not in RETRIED_STATUSES or attempt + 1 >= MAX_ATTEMPTS:
        return None
    try:
        delay = float(response.headers["Retry-After"])
    except (KeyError, ValueError):
        delay = -1.0
    if not delay >= 0:  # missing, unreadable, negative or nan
        return backoff(attempt)
    return delay if delay <= MAX_RETRY_DELAY else None


def connect_retry_delay(request: httpx.Request, attempt: int) -> float | None:
    """Seconds to wait before trying to connect again, or None: only GETs are retried."""
    if request.method not in IDEMPOTENT_METHODS or attempt + 1 >= MAX_ATTEMPTS:
        return None
    return backoff(attempt)


def within(delay: float | None, deadline: float) -> float | None:
    """`delay`, if waiting it leaves the request time before its deadline; else None."""
    if delay is None or time.monotonic() + delay >= deadline:
        return None
    return delay


def json_depth_exceeds(content: bytes, limit: int) -> bool:
    """True when `content` nests arrays and objects deeper than `limit` (strings are skipped).

    Checked before any JSON parsing: the parser recurses once per level and a body nested
    200,000 deep would exhaust the stack.
    """
    depth = 0
    for bracket in _STRING.sub(b"", content).translate(None, _NOT_A_BRACKET):
        depth += 1 if bracket in b"[{" else -1
        if depth > limit:
            return True
    return False


class AnswerReader:
    """Decodes an answer body chunk by chunk, refusing more than `limit` decoded bytes."""

    def __init__(self, content_encoding: str, limit: int) -> None:
        encoding = content_encoding.strip().lower()
        self._decompressor: zlib._Decompress | None
        if encoding in ("", "identity"):
            self._decompressor = None
        elif encoding in ("gzip", "x-gzip"):
            self._decompressor = zlib.decompressobj(zlib.MAX_WBITS | 16)
        elif encoding == "deflate":
            self._decompressor = zlib.decompressobj()
        else:
            raise PimBadResponse(f"the PIM's answer uses an unknown encoding: {encoding[:40]!r}")
        self._limit = limit
        self._chunks: list[bytes] = []
        self._size = 0

    def feed(self, chunk: bytes) -> None:
        if self._decompressor is not None:
            try:
                # At most one byte over the limit is inflated: enough to know it is exceeded.
                chunk = self._decompressor.decompress(chunk, self._limit - self._size + 1)
            except zlib.error:
                raise PimBadResponse("the PIM's compressed answer is corrupt") from None
        self._size += len(chunk)
        if self._size > self._limit:
            raise PimBadResponse(f"the PIM's answer is larger than {self._limit} bytes")
        self._chunks.append(chunk)

    def response(self, streamed: httpx.Response) -> httpx.Response:
        """The answer as a complete response, its body decoded and checked."""
        if self._decompressor is not None and not self._decompressor.eof:
            raise PimBadResponse("the PIM's compressed answer is truncated")
        content = b"".join(self._chunks)
        if json_depth_exceeds(content, MAX_JSON_DEPTH):
            raise PimBadResponse(f"the PIM's answer is nested over {MAX_JSON_DEPTH} levels deep")
        framing = {"content-encoding", "content-length", "transfer-encoding"}
        headers = [
            (name, value)
            for name, value in streamed.headers.multi_items()
            if name.lower() not in framing
        ]
        return httpx.Response(
            streamed.status_code, headers=headers, content=content, request=streamed.request
        )


def with_client_headers(request: httpx.Request, headers: httpx.Headers) -> httpx.Request:
    """Add the client's default headers (User-Agent...) that `client.send` does not add."""
    for name, value in headers.items():
        request.headers.setdefault(name, value)
    request.headers["Accept-Encoding"] = ACCEPTED_ENCODINGS
    return request


def check_deadline(request: httpx.Request, deadline: float) -> None:
    if time.monotonic() >= deadline:
        raise PimTimeout(f"{request.url.host} did not answer in time")


@contextmanager
def pim_errors(request: httpx.Request) -> Iterator[None]:
    host = request.url.host
    try:
        yield
    except httpx.ConnectTimeout:
        raise PimConnectTimeout(f"{host} did not answer in time") from None
    except httpx.TimeoutException:
        raise PimTimeout(f"{host} did not answer in time") from None
    except httpx.TransportError:
        raise PimUnreachable(f"{host} could not be reached") from None


async def send(
    client: httpx.AsyncClient,
    request: httpx.Request,
    *,
    api_max_bytes: int = DEFAULT_API_MAX_BYTES,
) -> httpx.Response:
    """Send `request` and read its answer, retrying within the request's one deadline."""
    deadline = deadline_for(client.timeout)
    limit = answer_limit(request, api_max_bytes)
    with_client_headers(request, client.headers)
    attempt = 0
    while True:
        try:
            response = await _attempt(client, request, limit, deadline)
        except PimConnectTimeout:
            delay = within(connect_retry_delay(request, attempt), deadline)
            if delay is None:
                raise
        else:
            delay = within(retry_delay(response, attempt), deadline)
            if delay is None:
                return response
        await asyncio.sleep(delay)
        attempt += 1


async def _attempt(
    client: httpx.AsyncClient, request: httpx.Request, limit: int, deadline: float
) -> httpx.Response:
    check_deadline(request, deadline)
    request.extensions["timeout"] = attempt_timeouts(client.timeout, deadline)
    try:
        async with asyncio.timeout(deadline - time.monotonic()):
            with pim_errors(request), call_deadline(deadline):
                streamed = await client.send(request, stream=True)
                try:
                    reader = AnswerReader(streamed.headers.get("Content-Encoding", ""), limit)
                    assert isinstance(streamed.stream, httpx.AsyncByteStream)
                    async for chunk in streamed.stream:
                        reader.feed(chunk)
                        check_deadline(request, deadline)
                finally:
                    await streamed.aclose()
    except TimeoutError:
        raise PimTimeout(f"{request.url.host} did not answer in time") from None
    return reader.response(streamed)


async def run(
    protocol: Generator[httpx.Request, httpx.Response, T],
    client: httpx.AsyncClient,
    *,
    api_max_bytes: int = DEFAULT_API_MAX_BYTES,
) -> T:
    """Drive `protocol` to its end, sending each request it yields with `client`."""
    try:
        request = next(protocol)
        while True:
            request = protocol.send(await send(client, request, api_max_bytes=api_max_bytes))
    except StopIteration as finished:
        result: T = finished.value
        return result
