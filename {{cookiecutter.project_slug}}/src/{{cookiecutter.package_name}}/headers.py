"""HTTP headers that every answer of the App carries, whatever the framework."""

from collections.abc import Iterable, Mapping
from types import MappingProxyType

# No inline script or style anywhere: pages load only the App's own stylesheet.
CONTENT_SECURITY_POLICY = (
    "default-src 'none'; style-src 'self'; img-src 'self'; base-uri 'none'; frame-ancestors 'none'"
)
STATIC_PREFIX = "/static/"

_EVERY_ANSWER = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    # The callback URL carries the code and state: it must never leave as a Referer.
    "Referrer-Policy": "no-referrer",
}
# Built once: every answer adds them, so nothing is assembled per request.
STATIC_HEADERS: Mapping[str, str] = MappingProxyType(_EVERY_ANSWER)
# Pages show a PIM's connection or a user: no browser or proxy keeps a copy.
PAGE_HEADERS: Mapping[str, str] = MappingProxyType({**_EVERY_ANSWER, "Cache-Control": "no-store"})


def security_headers(path: str) -> Mapping[str, str]:
    """The headers for the answer to `path`: pages are never framed, sniffed or stored."""
    return STATIC_HEADERS if path.startswith(STATIC_PREFIX) else PAGE_HEADERS


def missing_security_headers(path: str, present: Iterable[str]) -> list[tuple[str, str]]:
    """The headers of `security_headers(path)` whose names are not in `present` (any case).

    An answer that sets one of them itself keeps its own value (the icon's Cache-Control).
    """
    names = {name.lower() for name in present}
    wanted = security_headers(path).items()
    return [(name, value) for name, value in wanted if name.lower() not in names]
