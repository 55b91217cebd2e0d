"""Validation of the untrusted `pim_url` that the browser brings to the Activate URL."""

import ipaddress
import re
from urllib.parse import urlsplit

from .errors import InvalidPimUrl

MAX_LENGTH = 2048
_HOST_LABEL = re.compile(r"^(?!-)[a-z0-9-]{1,63}(?<!-)$")
# A last label that is a number: an IPv4 address in a spelling other than dotted decimal
# (2130706433, 127.1, 0x7f000001), which resolvers read as an address.
_NUMERIC_LABEL = re.compile(r"^(0x[0-9a-f]*|[0-9]+)$")
_DEFAULT_PORTS = {"http": 80, "https": 443}
_WILDCARD = "*."
# IPv6 prefixes that carry an IPv4 address in their last 32 bits (RFC 6052 NAT64).
_NAT64 = ipaddress.ip_network("64:ff9b::/96")

__all__ = [
    "InvalidPimUrl",
    "has_public_host",
    "is_allowed",
    "is_loopback",
    "is_public_address",
    "normalize_allow_list_entry",
    "normalize_pim_url",
]


def normalize_pim_url(raw: str, *, allow_http_loopback: bool) -> str:
    """Return `raw` as `scheme://host[:port]`, or raise `InvalidPimUrl` saying why not.

    Only a bare origin is accepted: no credentials, path, query or fragment. `http` is accepted
    for a loopback host when `allow_http_loopback` (local development), `https` everywhere.
    """
    if not raw:
        raise InvalidPimUrl("the pim_url parameter is missing")
    if len(raw) > MAX_LENGTH:
        raise InvalidPimUrl(f"the URL is longer than {MAX_LENGTH} characters")
    if any(char.isspace() or not char.isprintable() for char in raw):
        raise InvalidPimUrl("the URL contains spaces or control characters")
    try:
        parts = urlsplit(raw)
        port = parts.port
    except ValueError:
        raise InvalidPimUrl("the URL is malformed") from None
    if port == 0 or parts.netloc.endswith(":"):
        raise InvalidPimUrl("the URL's port must be a number from 1 to 65535")
    scheme = parts.scheme.lower()
    if scheme not in _DEFAULT_PORTS or not parts.netloc:
        raise InvalidPimUrl(
            "the URL must be an absolute http(s) URL such as https://my-pim.example.com"
        )
    if "@" in parts.netloc:
        raise InvalidPimUrl("the URL must not contain credentials")
    if parts.path not in ("", "/"):
        raise InvalidPimUrl("the URL must not have a path")
    if "?" in raw or "#" in raw:
        raise InvalidPimUrl("the URL must not have a query or a fragment")
    host = _valid_host(parts.hostname or "")
    if scheme == "http" and not (allow_http_loopback and is_loopback(host)):
        raise InvalidPimUrl("the URL must use https")

    netloc = f"[{host}]" if ":" in host else host
    if port is not None and port != _DEFAULT_PORTS[scheme]:
        netloc = f"{netloc}:{port}"
    return f"{scheme}://{netloc}"


def normalize_allow_list_entry(raw: str, *, allow_http_loopback: bool) -> str:
    """An `AKENEO_ALLOWED_PIM_URLS` entry: a PIM URL, or a pattern such as `https://*.example.com`.

    `*` stands for exactly one label of a host name, so a pattern never matches an IP address.
    """
    scheme, separator, rest = raw.partition("://")
    if not separator or not rest.startswith(_WILDCARD):
        return normalize_pim_url(raw, allow_http_loopback=allow_http_loopback)
    # Validate the pattern as the URL of one host it matches, then put the wildcard back.
    example = normalize_pim_url(
        f"{scheme}://x.{rest[len(_WILDCARD) :]}", allow_http_loopback=allow_http_loopback
    )
    prefix, _, suffix = example.partition("://x.")
    if "." not in suffix.partition(":")[0]:
        raise InvalidPimUrl("a pattern must be *. followed by a domain such as example.com")
    return f"{prefix}://{_WILDCARD}{suffix}"


def is_allowed(pim_url: str, allow_list: tuple[str, ...]) -> bool:
    """True when the normalised `pim_url` is an entry of `allow_list` or matches a pattern."""
    for entry in allow_list:
        if entry == pim_url:
            return True
        prefix, wildcard, suffix = entry.partition(_WILDCARD)
        if wildcard and pim_url.startswith(prefix) and pim_url.endswith(f".{suffix}"):
            label = pim_url[len(prefix) : -len(suffix) - 1]
            if _HOST_LABEL.match(label):
                return True
    return False


def has_public_host(pim_url: str) -> bool:
    """False when the URL's host is, by its very spelling, not a public address.

    A host name may still resolve to a private address: that is checked when the App dials it.
    """
    host = urlsplit(pim_url).hostname or ""
    if host == "localhost" or host.endswith(".localhost"):
        return False
    try:
        return is_public_address(host)
    except ValueError:
        return True


def is_public_address(address: str) -> bool:
    """True for a globally routable unicast address, including IPv4 inside IPv6 spellings."""
    ip: ipaddress.IPv4Address | ipaddress.IPv6Address = ipaddress.ip_address(address)
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.ipv4_mapped is not None:
            ip = ip.ipv4_mapped
        elif ip.sixtofour is not None:
            ip = ip.sixtofour
        elif ip in _NAT64:
            ip = ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
    return ip.is_global and not ip.is_multicast


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _valid_host(host: str) -> str:
    host = host.lower().rstrip(".")
    if "%" in host:
        raise InvalidPimUrl("the URL's host must not have a zone id (%)")
    try:
        # Only canonical spellings parse: dotted decimal IPv4, and IPv6.
        return str(ipaddress.ip_address(host))
    except ValueError:
        pass
    labels = host.split(".")
    if _NUMERIC_LABEL.match(labels[-1]):
        raise InvalidPimUrl(
            "the URL's host is a number: write an IP address as four decimal numbers"
        )
    if not host or len(host) > 253 or not all(_HOST_LABEL.match(label) for label in labels):
        raise InvalidPimUrl("the URL's host is not a valid host name")
    return host
