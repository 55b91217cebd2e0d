"""Akeneo's fair use: at most 4 API calls in flight to one PIM from this App process.

The limit holds across the threads of a threaded server: each PIM has a semaphore.
"""

import threading
from collections.abc import Generator, Iterator
from contextlib import contextmanager
from typing import TypeVar

import httpx

from .transport import DEFAULT_API_MAX_BYTES, send

T = TypeVar("T")

MAX_CONCURRENT_CALLS = 4


class FairUse:
    """One semaphore per PIM origin: a call waits for a free slot before it is sent."""

    def __init__(self, limit: int = MAX_CONCURRENT_CALLS) -> None:
        self.limit = limit
        self._slots: dict[tuple[str, str, int | None], threading.BoundedSemaphore] = {}
        self._lock = threading.Lock()

    @contextmanager
    def slot(self, url: httpx.URL) -> Iterator[None]:
        """Hold one of the PIM's slots while the block runs (waiting for one if all are taken)."""
        origin = (url.scheme, url.host, url.port)
        with self._lock:
            semaphore = self._slots.setdefault(origin, threading.BoundedSemaphore(self.limit))
        with semaphore:
            yield


def run_fairly(
    protocol: Generator[httpx.Request, httpx.Response, T],
    client: httpx.Client,
    fair_use: FairUse,
    *,
    api_max_bytes: int = DEFAULT_API_MAX_BYTES,
) -> T:
    """Drive `protocol` like `transport.run`, each call holding a slot of its PIM."""
    try:
        request = next(protocol)
        while True:
            with fair_use.slot(request.url):
                response = send(client, request, api_max_bytes=api_max_bytes)
            request = protocol.send(response)
    except StopIteration as finished:
        result: T = finished.value
        return result
