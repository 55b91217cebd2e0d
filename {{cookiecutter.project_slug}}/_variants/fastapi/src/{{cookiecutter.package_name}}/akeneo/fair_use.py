"""Akeneo's fair use: at most 4 API calls in flight to one PIM from the whole App.

Each process holds its share of the 4: `per_process_limit(workers)` is `4 // workers` (at
least 1), so that N worker processes together never have more than 4 calls in flight to one
PIM (with 2 workers, 2 each; 3 or 4 workers, 1 each; over 4 workers, 1 each, which can exceed 4).
The limit holds across the tasks of the event loop: each PIM has an `asyncio.Semaphore`.
"""

import asyncio
import os
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager

import httpx

MAX_CONCURRENT_CALLS = 4
"""Akeneo's limit per connection (App token), across every process of the App."""


def per_process_limit(workers: int) -> int:
    """This process's share of the limit when `workers` processes call the same PIMs."""
    return max(1, MAX_CONCURRENT_CALLS // max(1, workers))


class FairUse:
    """One semaphore per PIM origin: a call waits for a free slot before it is sent."""

    @classmethod
    def shared_by_workers(cls, environ: Mapping[str, str] = os.environ) -> "FairUse":
        """This process's share of the limit, `WEB_CONCURRENCY` processes serving the App."""
        try:
            workers = int(environ.get("WEB_CONCURRENCY", "1"))
        except ValueError:
            workers = 1
        return cls(per_process_limit(workers))

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
