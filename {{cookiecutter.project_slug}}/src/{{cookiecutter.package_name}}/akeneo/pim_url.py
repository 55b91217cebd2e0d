"""Validation of the untrusted `pim_url` that the browser brings to the Activate URL."""

import ipaddress
import re
from urllib.parse import urlsplit

from .errors import InvalidPimUrl

MAX_LENGTH = 2048
_HOST_LABEL = re.compile(r"^(?!-)[a-z0-9-]{1,63}(?<!-)$")
_DEFAULT_PORTS = {"http": 80, "https": 443}

__all__ = ["InvalidPimUrl", "is_loopback", "normalize_pim_url"]


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


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _valid_host(host: str) -> str:
    host = host.lower().rstrip(".")
    try:
        return str(ipaddress.ip_address(host))
    except ValueError:
        pass
    labels = host.split(".")
    if not host or len(host) > 253 or not all(_HOST_LABEL.match(label) for label in labels):
        raise InvalidPimUrl("the URL's host is not a valid host name")
    return host
