"""Akeneo's fair use: at most 4 API calls in flight to one PIM from this App process.

The limit holds across the tasks of the event loop: each PIM has an `asyncio.Semaphore`.
"""

import asyncio
from collections.abc import AsyncIterator, Generator
from contextlib import asynccontextmanager
from typing import TypeVar

import httpx

from .transport import DEFAULT_API_MAX_BYTES, send

T = TypeVar("T")

MAX_CONCURRENT_CALLS = 4


class FairUse:
    """One semaphore per PIM origin: a call waits for a free slot before it is sent."""

    def __init__(self, limit: int = MAX_CONCURRENT_CALLS) -> None:
        self.limit = limit
        # Only the event loop's thread touches this: no lock is needed to add a semaphore.
        self._slots: dict[tuple[str, str, int | None], asyncio.Semaphore] = {}

    @asynccontextmanager
    async def slot(self, url: httpx.URL) -> AsyncIterator[None]:
        """Hold one of the PIM's slots while the block runs (waiting for one if all are taken)."""
        origin = (url.scheme, url.host, url.port)
        async with self._slots.setdefault(origin, asyncio.Semaphore(self.limit)):
            yield


async def run_fairly(
    protocol: Generator[httpx.Request, httpx.Response, T],
    client: httpx.AsyncClient,
    fair_use: FairUse,
    *,
    api_max_bytes: int = DEFAULT_API_MAX_BYTES,
) -> T:
    """Drive `protocol` like `transport.run`, each call holding a slot of its PIM."""
    try:
        request = next(protocol)
        while True:
            async with fair_use.slot(request.url):
                response = await send(client, request, api_max_bytes=api_max_bytes)
            request = protocol.send(response)
    except StopIteration as finished:
        result: T = finished.value
        return result
