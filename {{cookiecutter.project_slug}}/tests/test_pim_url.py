"""The untrusted `pim_url`: the origins the App accepts, how it writes them, why it refuses."""

import pytest

from {{ cookiecutter.package_name }}.akeneo.pim_url import (
    MAX_LENGTH,
    InvalidPimUrl,
    normalize_pim_url,
)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("https://pim.example.com", "https://pim.example.com"),
        ("https://pim.example.com/", "https://pim.example.com"),
        ("HTTPS://PIM.Example.COM", "https://pim.example.com"),
        ("https://pim.example.com.", "https://pim.example.com"),
        ("https://pim.example.com:443", "https://pim.example.com"),
        ("https://pim.example.com:8443", "https://pim.example.com:8443"),
        ("https://203.0.113.7", "https://203.0.113.7"),
        ("http://localhost:8081", "http://localhost:8081"),
        ("http://LOCALHOST:80/", "http://localhost"),
        ("http://127.0.0.1:8081", "http://127.0.0.1:8081"),
        ("http://[::1]:8081", "http://[::1]:8081"),
        ("https://[::1]:443", "https://[::1]"),
    ],
    ids=[
        "bare-https",
        "trailing-slash",
        "uppercase-scheme-and-host",
        "trailing-dot",
        "default-https-port",
        "explicit-port",
        "ipv4-host",
        "http-localhost",
        "http-localhost-default-port",
        "http-ipv4-loopback",
        "http-ipv6-loopback",
        "https-ipv6-default-port",
    ],
)
def test_a_valid_pim_url_is_normalised_in_development(raw: str, expected: str) -> None:
    assert normalize_pim_url(raw, allow_http_loopback=True) == expected


def test_https_is_accepted_without_the_development_exception() -> None:
    assert normalize_pim_url("https://pim.example.com/", allow_http_loopback=False) == (
        "https://pim.example.com"
    )


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        ("", "missing"),
        ("https://user:password@pim.example.com", "credentials"),
        ("https://user@pim.example.com", "credentials"),
        ("https://pim.example.com/some/path", "path"),
        ("https://pim.example.com//", "path"),
        ("https://pim.example.com?x=1", "query or a fragment"),
        ("https://pim.example.com/?", "query or a fragment"),
        ("https://pim.example.com#top", "query or a fragment"),
        ("https://pim.example.com#", "query or a fragment"),
        ("ftp://pim.example.com", "absolute http(s) URL"),
        ("javascript:alert(1)", "absolute http(s) URL"),
        ("pim.example.com", "absolute http(s) URL"),
        ("//pim.example.com", "absolute http(s) URL"),
        ("https://", "absolute http(s) URL"),
        ("https://:443", "host"),
        ("https://pim.example.com:99999", "malformed"),
        ("https://pim.example.com:https", "malformed"),
        ("https://pim.example.com:0", "port must be a number from 1 to 65535"),
        ("https://pim.example.com:", "port must be a number from 1 to 65535"),
        ("https://pim.example.com ", "spaces or control characters"),
        ("https://pim example.com", "spaces or control characters"),
        ("https://pim.example.com\n", "spaces or control characters"),
        ("https://pim.example.com\x00", "spaces or control characters"),
        ("https://pim.example.com\u200b", "spaces or control characters"),
        ("https://" + "a" * MAX_LENGTH + ".com", f"longer than {MAX_LENGTH}"),
        ("https://-pim.example.com", "host"),
        ("https://pim-.example.com", "host"),
        ("https://pim..example.com", "host"),
        ("https://pim_1.example.com", "host"),
        ("https://<script>.example.com", "host"),
        ("https://" + "a" * 64 + ".example.com", "host"),
        ("https://pïm.example.com", "host"),
        ("http://pim.example.com", "https"),
        ("http://192.168.1.10:8081", "https"),
    ],
    ids=[
        "empty",
        "user-and-password",
        "user-only",
        "path",
        "double-slash-path",
        "query",
        "empty-query",
        "fragment",
        "empty-fragment",
        "ftp-scheme",
        "javascript-scheme",
        "no-scheme",
        "scheme-relative",
        "no-host",
        "port-without-host",
        "port-out-of-range",
        "port-not-a-number",
        "port-zero",
        "empty-port",
        "trailing-space",
        "inner-space",
        "newline",
        "nul-byte",
        "zero-width-space",
        "too-long",
        "label-starts-with-hyphen",
        "label-ends-with-hyphen",
        "empty-label",
        "underscore",
        "angle-brackets",
        "label-over-63-chars",
        "non-ascii-host",
        "http-public-host",
        "http-private-ip",
    ],
)
def test_an_invalid_pim_url_is_refused_with_its_reason(raw: str, reason: str) -> None:
    with pytest.raises(InvalidPimUrl) as refused:
        normalize_pim_url(raw, allow_http_loopback=True)

    assert reason in str(refused.value)


@pytest.mark.parametrize(
    "raw",
    ["http://localhost:8081", "http://127.0.0.1:8081", "http://[::1]:8081"],
    ids=["localhost", "ipv4-loopback", "ipv6-loopback"],
)
def test_http_on_loopback_is_refused_when_not_allowed(raw: str) -> None:
    with pytest.raises(InvalidPimUrl, match="must use https"):
        normalize_pim_url(raw, allow_http_loopback=False)


def test_a_host_name_of_exactly_63_character_labels_is_accepted() -> None:
    host = ".".join(["a" * 63, "b" * 63, "example", "com"])

    assert normalize_pim_url(f"https://{host}", allow_http_loopback=False) == f"https://{host}"
