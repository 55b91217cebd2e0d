"""How often and for how long a PIM call is tried: the caller's retry budget.

A browser waits for a page: `BROWSER` gives a call one short deadline (the HTTP client's
timeout), waits included, and a PIM asking for a longer pause is answered at once with a "busy,
try again in N s" page. A background job can wait: `BACKGROUND` honours `Retry-After` up to a
minute and retries the failures Akeneo's good practices call worth retrying (408, 429, 5xx,
connections that failed), with exponential backoff and jitter, within a total deadline.

In the background only 429 (the PIM refused before doing anything) is retried for every
method; the other statuses and failed connections are retried for idempotent methods only, so
that a POST or a PATCH is never sent twice. The browser budget keeps retrying 429 and 503 for
every method (a token request answered 503 was not processed).
"""

import email.utils
import random
import time
from collections.abc import Callable
from dataclasses import dataclass

import httpx

from .errors import PimConnectFailed, PimConnectTimeout, PimUnreachable

IDEMPOTENT_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "PUT", "DELETE"})
DEFAULT_CALL_SECONDS = 10.0


@dataclass(frozen=True)
class RetryBudget:
    """The attempts, waits and total time one call may take.

    `total_seconds` None means the HTTP client's timeout. `clock` is `time.monotonic` except in
    tests, which pass a clock that their stand-in for sleeping moves on.
    """

    max_attempts: int
    total_seconds: float | None
    max_retry_after: float
    """A PIM asking to wait longer than this gets no retry: its busy answer is final."""
    retried_statuses: frozenset[int]
    retried_for_any_method: frozenset[int]
    """Of `retried_statuses`, those retried for a POST or a PATCH too."""
    retried_failures: tuple[type[PimUnreachable], ...]
    backoff_seconds: float
    max_backoff: float
    clock: Callable[[], float] = time.monotonic

    def deadline(self, timeout: httpx.Timeout) -> float:
        """When a call starting now must be over, on `clock`."""
        if self.total_seconds is not None:
            return self.clock() + self.total_seconds
        budgets = [budget for budget in timeout.as_dict().values() if budget is not None]
        return self.clock() + (max(budgets) if budgets else DEFAULT_CALL_SECONDS)

    def backoff(self, attempt: int) -> float:
        """Exponential backoff with jitter, so that many clients do not retry in step."""
        delay = self.backoff_seconds * 2.0**attempt + random.uniform(0, self.backoff_seconds)
        return min(delay, self.max_backoff)

    def retry_delay(
        self, request: httpx.Request, response: httpx.Response, attempt: int
    ) -> float | None:
        """Seconds to wait before sending `request` again after `response`, or None: final.

        Without a usable `Retry-After` (seconds or an HTTP date), back off exponentially.
        """
        status = response.status_code
        if status not in self.retried_statuses or attempt + 1 >= self.max_attempts:
            return None
        idempotent = request.method in IDEMPOTENT_METHODS
        if status not in self.retried_for_any_method and not idempotent:
            return None
        delay = retry_after(response)
        if delay is None:
            return self.backoff(attempt)
        return delay if delay <= self.max_retry_after else None

    def failure_delay(
        self, request: httpx.Request, error: PimUnreachable, attempt: int
    ) -> float | None:
        """Seconds to wait before trying again after a failed connection, or None: final."""
        if not isinstance(error, self.retried_failures) or attempt + 1 >= self.max_attempts:
            return None
        if request.method not in IDEMPOTENT_METHODS:
            return None
        return self.backoff(attempt)

    def within(self, delay: float | None, deadline: float) -> float | None:
        """`delay`, if waiting it leaves the call time before its deadline; else None."""
        if delay is None or self.clock() + delay >= deadline:
            return None
        return delay


BROWSER = RetryBudget(
    max_attempts=3,
    total_seconds=None,
    max_retry_after=3.0,
    retried_statuses=frozenset({429, 503}),
    retried_for_any_method=frozenset({429, 503}),
    retried_failures=(PimConnectTimeout,),
    backoff_seconds=0.5,
    max_backoff=3.0,
)
"""For a browser waiting for a page: a few seconds in all."""

BACKGROUND = RetryBudget(
    max_attempts=8,
    total_seconds=300.0,
    max_retry_after=60.0,
    retried_statuses=frozenset({408, 429, 500, 502, 503, 504}),
    retried_for_any_method=frozenset({429}),
    retried_failures=(PimConnectTimeout, PimConnectFailed),
    backoff_seconds=1.0,
    max_backoff=30.0,
)
"""For a job: up to 8 attempts within 5 minutes, waiting up to a minute when the PIM asks."""


def retry_after(response: httpx.Response) -> float | None:
    """The PIM's `Retry-After` in seconds (it may be an HTTP date), or None if unusable."""
    value = response.headers.get("Retry-After", "").strip()
    try:
        delay = float(value)
    except ValueError:
        try:
            when = email.utils.parsedate_to_datetime(value)
        except (TypeError, ValueError, IndexError):
            return None
        if when.tzinfo is None:
            return None
        return max(when.timestamp() - time.time(), 0.0)
    return delay if delay >= 0 else None  # not for a negative delay or nan
