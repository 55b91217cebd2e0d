"""HTTP headers that every answer of the App carries, whatever the framework."""

import ipaddress
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
# Outside development the App is served over https only: browsers never try plain http again.
STRICT_TRANSPORT_SECURITY = "max-age=31536000"
_HTTPS_ONLY = {**_EVERY_ANSWER, "Strict-Transport-Security": STRICT_TRANSPORT_SECURITY}
# Pages show a PIM's connection or a user: no browser or proxy keeps a copy.
_NOT_STORED = {"Cache-Control": "no-store"}
# Built once: every answer adds them, so nothing is assembled per request.
STATIC_HEADERS: Mapping[str, str] = MappingProxyType(_EVERY_ANSWER)
PAGE_HEADERS: Mapping[str, str] = MappingProxyType({**_EVERY_ANSWER, **_NOT_STORED})
_PRODUCTION = {
    True: MappingProxyType(_HTTPS_ONLY),
    False: MappingProxyType({**_HTTPS_ONLY, **_NOT_STORED}),
}
_DEVELOPMENT = {True: STATIC_HEADERS, False: PAGE_HEADERS}


def security_headers(path: str, development: bool = True) -> Mapping[str, str]:
    """The headers for the answer to `path`: pages are never framed, sniffed or stored."""
    return (_DEVELOPMENT if development else _PRODUCTION)[path.startswith(STATIC_PREFIX)]


def missing_security_headers(
    path: str, present: Iterable[str], development: bool = True
) -> list[tuple[str, str]]:
    """The headers of `security_headers(path)` whose names are not in `present` (any case).

    An answer that sets one of them itself keeps its own value (the icon's Cache-Control).
    """
    names = {name.lower() for name in present}
    wanted = security_headers(path, development).items()
    return [(name, value) for name, value in wanted if name.lower() not in names]


MAX_FORWARDED_ADDRESSES = 20


def is_address_list(forwarded_for: str) -> bool:
    """Whether an X-Forwarded-For value is a short list of IP addresses, and nothing else.

    A proxy appends the address it saw; any other text came from the client (a forged header
    the proxy passed on) and is neither logged nor used as the client's address.
    """
    entries = forwarded_for.split(",")
    if len(entries) > MAX_FORWARDED_ADDRESSES:
        return False
    try:
        for entry in entries:
            ipaddress.ip_address(entry.strip())
    except ValueError:
        return False
    return True
