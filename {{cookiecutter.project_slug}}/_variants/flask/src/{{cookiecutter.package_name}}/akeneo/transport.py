"""Sends the requests of a protocol generator to a PIM, and reads every answer as hostile.

Each call has one deadline from when it is first sent, covering its retries and the waits
between them: the caller's `RetryBudget` (see `retries`) says how long, how often, and which
failures are tried again. Answers are read with a cap on their decompressed size and on their
nesting depth (see `answers`). Transport failures become typed errors.
"""

import time
from collections.abc import Callable, Generator
from contextlib import AbstractContextManager, nullcontext
from typing import Protocol, TypeVar

import httpx

from .answers import (
    ATTEMPTS_EXTENSION,
    DEFAULT_API_MAX_BYTES,
    SINK_EXTENSION,
    AnswerReader,
    answer_limit,
    attempt_timeouts,
    pim_errors,
    with_client_headers,
)
from .errors import AkeneoError, PimTimeout, PimUnreachable
from .network import call_deadline
from .retries import BROWSER, RetryBudget

__all__ = ["DEFAULT_API_MAX_BYTES", "Slots", "run", "send"]

T = TypeVar("T")
Sleep = Callable[[float], object]


class Slots(Protocol):
    """Where a call waits for its turn (fair use: see `fair_use.FairUse`)."""

    def slot(self, url: httpx.URL) -> AbstractContextManager[None]: ...


def send(
    client: httpx.Client,
    request: httpx.Request,
    *,
    api_max_bytes: int = DEFAULT_API_MAX_BYTES,
    budget: RetryBudget = BROWSER,
    deadline: float | None = None,
    sleep: Sleep = time.sleep,
) -> httpx.Response:
    """Send `request` and read its answer, retrying within `budget` and one deadline.

    `deadline` (on the budget's clock) is the caller's when several calls share one, as the
    pages of a list read for a browser page do.
    """
    if deadline is None:
        deadline = budget.deadline(client.timeout)
    limit = answer_limit(request, api_max_bytes)
    with_client_headers(request, client.headers)
    attempt = 0
    while True:
        try:
            response = _attempt(client, request, limit, deadline, budget)
        except PimUnreachable as error:
            delay = budget.within(budget.failure_delay(request, error, attempt), deadline)
            if delay is None:
                if attempt:
                    raise type(error)(f"{error} ({attempt + 1} attempts)") from None
                raise
        else:
            delay = budget.within(budget.retry_delay(request, response, attempt), deadline)
            if delay is None:
                response.extensions[ATTEMPTS_EXTENSION] = attempt + 1
                return response
        sleep(delay)
        attempt += 1


def _attempt(
    client: httpx.Client,
    request: httpx.Request,
    limit: int,
    deadline: float,
    budget: RetryBudget,
) -> httpx.Response:
    remaining = deadline - budget.clock()
    if remaining <= 0:
        raise PimTimeout(f"{request.url.host} did not answer in time")
    request.extensions["timeout"] = attempt_timeouts(client.timeout, remaining)
    # Sockets keep their own time: the deadline they stop at is on the system's clock.
    socket_deadline = time.monotonic() + remaining
    with pim_errors(request), call_deadline(socket_deadline):
        streamed = client.send(request, stream=True)
        try:
            sink = request.extensions.get(SINK_EXTENSION)
            reader = AnswerReader(
                streamed.headers.get("Content-Encoding", ""),
                limit,
                sink if streamed.is_success else None,
            )
            assert isinstance(streamed.stream, httpx.SyncByteStream)
            for chunk in streamed.stream:
                reader.feed(chunk)
                if time.monotonic() >= socket_deadline:
                    raise PimTimeout(f"{request.url.host} did not answer in time")
        finally:
            streamed.close()
    return reader.response(streamed)


def run(
    protocol: Generator[httpx.Request, httpx.Response, T],
    client: httpx.Client,
    *,
    api_max_bytes: int = DEFAULT_API_MAX_BYTES,
    budget: RetryBudget = BROWSER,
    deadline: float | None = None,
    slots: Slots | None = None,
    sleep: Sleep = time.sleep,
) -> T:
    """Drive `protocol` to its end, sending each request it yields with `client`.

    A failure of a call is raised inside the protocol, at its `yield`, so that a protocol can
    turn it into its own error. With `slots`, each call first waits for a slot of its PIM.
    """
    try:
        request = next(protocol)
        while True:
            try:
                with slots.slot(request.url) if slots else nullcontext():
                    response = send(
                        client,
                        request,
                        api_max_bytes=api_max_bytes,
                        budget=budget,
                        deadline=deadline,
                        sleep=sleep,
                    )
            except AkeneoError as error:
                request = protocol.throw(error)
            else:
                request = protocol.send(response)
    except StopIteration as finished:
        result: T = finished.value
        return result
