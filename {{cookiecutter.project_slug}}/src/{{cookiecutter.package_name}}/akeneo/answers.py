"""Reading a PIM's answers as hostile, without I/O: size caps, depth caps, typed failures.

Used by `transport.send` for every attempt, whichever HTTP client sends it.
"""

import re
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from typing import BinaryIO

import httpx

from .errors import (
    AnswerTooLarge,
    PimBadResponse,
    PimConnectFailed,
    PimConnectTimeout,
    PimTimeout,
    PimUnreachable,
)

MAX_ANSWER_BYTES = 256 * 1024
"""Token and certificate answers are a few KB: a larger one is not a PIM's."""
DEFAULT_API_MAX_BYTES = 10_000_000
"""REST API answers (`/api/rest/`) are pages of up to 100 items: they get a larger cap."""
API_PATH_PREFIX = "/api/rest/"
MAX_BYTES_EXTENSION = "pim_max_bytes"
SINK_EXTENSION = "pim_sink"
"""A binary file that a successful answer's body is written to instead of being kept (media)."""
ATTEMPTS_EXTENSION = "pim_attempts"
"""How many times the App sent the request of a response: error messages say so."""
MAX_JSON_DEPTH = 64
# Compressed answers are decoded here, with a bound: not by httpx, which would inflate a
# compression bomb in full. Only what the App asks for is accepted.
ACCEPTED_ENCODINGS = "gzip, deflate"
_STRING = re.compile(rb'"[^"\\]*(?:\\.[^"\\]*)*"', re.DOTALL)
_NOT_A_BRACKET = bytes(byte for byte in range(256) if byte not in b"[]{}")


def answer_limit(request: httpx.Request, api_max_bytes: int) -> int:
    """The largest decompressed answer accepted for `request`.

    A protocol may lower it for one request (`MAX_BYTES_EXTENSION`): a list read for a page
    gives each page what is left of the list's byte budget. A download written to a file
    (`SINK_EXTENSION`) is not held in memory: its cap is its own, larger or not.
    """
    chosen = request.extensions.get(MAX_BYTES_EXTENSION)
    if isinstance(chosen, int):
        return chosen if SINK_EXTENSION in request.extensions else min(chosen, api_max_bytes)
    if request.url.path.startswith(API_PATH_PREFIX):
        return api_max_bytes
    return MAX_ANSWER_BYTES


def attempt_timeouts(timeout: httpx.Timeout, remaining: float) -> dict[str, float]:
    """The client's timeouts, shortened so that no phase of an attempt lasts over `remaining`."""
    return {
        phase: remaining if budget is None else min(budget, remaining)
        for phase, budget in timeout.as_dict().items()
    }


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
    """Decodes an answer body chunk by chunk, refusing more than `limit` decoded bytes.

    With a `sink` (a binary file), the decoded body is written to it as it comes, not kept.
    """

    def __init__(self, content_encoding: str, limit: int, sink: BinaryIO | None = None) -> None:
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
        self._sink = sink
        if sink is not None:  # a retried download starts the file again
            sink.seek(0)
            sink.truncate()

    def feed(self, chunk: bytes) -> None:
        if self._decompressor is not None:
            try:
                # At most one byte over the limit is inflated: enough to know it is exceeded.
                chunk = self._decompressor.decompress(chunk, self._limit - self._size + 1)
            except zlib.error:
                raise PimBadResponse("the PIM's compressed answer is corrupt") from None
        self._size += len(chunk)
        if self._size > self._limit:
            raise AnswerTooLarge(self._limit)
        if self._sink is not None:
            self._sink.write(chunk)
        else:
            self._chunks.append(chunk)

    def response(self, streamed: httpx.Response) -> httpx.Response:
        """The answer as a complete response, its body decoded and checked."""
        if self._decompressor is not None and not self._decompressor.eof:
            raise PimBadResponse("the PIM's compressed answer is truncated")
        content = b"".join(self._chunks)
        if self._sink is None and json_depth_exceeds(content, MAX_JSON_DEPTH):
            raise PimBadResponse(f"the PIM's answer is nested over {MAX_JSON_DEPTH} levels deep")
        framing = {"content-encoding", "content-length", "transfer-encoding"}
        headers = [
            (name, value)
            for name, value in streamed.headers.multi_items()
            if name.lower() not in framing
        ]
        if self._sink is not None:
            headers.append(("Content-Length", str(self._size)))  # what was written to the sink
        return httpx.Response(
            streamed.status_code, headers=headers, content=content, request=streamed.request
        )


def with_client_headers(request: httpx.Request, headers: httpx.Headers) -> httpx.Request:
    """Add the client's default headers (User-Agent...) that `client.send` does not add."""
    for name, value in headers.items():
        request.headers.setdefault(name, value)
    request.headers["Accept-Encoding"] = ACCEPTED_ENCODINGS
    return request


@contextmanager
def pim_errors(request: httpx.Request) -> Iterator[None]:
    host = request.url.host
    try:
        yield
    except httpx.ConnectTimeout:
        raise PimConnectTimeout(f"{host} did not answer in time") from None
    except httpx.ConnectError:
        raise PimConnectFailed(f"{host} could not be reached") from None
    except httpx.TimeoutException:
        raise PimTimeout(f"{host} did not answer in time") from None
    except httpx.TransportError:
        raise PimUnreachable(f"{host} could not be reached") from None
