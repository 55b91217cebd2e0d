"""The untrusted `pim_url`: the origins the App accepts, how it writes them, why it refuses."""

import pytest

from {{ cookiecutter.package_name }}.akeneo.pim_url import (
    MAX_LENGTH,
    InvalidPimUrl,
    has_public_host,
    is_allowed,
    is_public_address,
    normalize_allow_list_entry,
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


@pytest.mark.parametrize(
    "raw",
    [
        "https://2130706433",
        "https://127.1",
        "https://0x7f000001",
        "https://0x7f.0.0.1",
        "https://0177.0.0.1",
        "https://127.0.0.01",
        "https://1.2.3.4.5",
        "https://pim.example.123",
    ],
)
def test_a_number_spelled_otherwise_than_dotted_decimal_is_refused(raw: str) -> None:
    with pytest.raises(InvalidPimUrl, match="host is a number"):
        normalize_pim_url(raw, allow_http_loopback=True)


@pytest.mark.parametrize("raw", ["https://[::1%lo]", "https://[fe80::1%25eth0]:8443"])
def test_an_ipv6_zone_id_is_refused(raw: str) -> None:
    with pytest.raises(InvalidPimUrl, match="zone id"):
        normalize_pim_url(raw, allow_http_loopback=True)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("https://*.Cloud.Akeneo.com/", "https://*.cloud.akeneo.com"),
        ("https://*.example.com:8443", "https://*.example.com:8443"),
        ("https://pim.example.com", "https://pim.example.com"),
    ],
)
def test_allow_list_entries_are_urls_or_one_label_patterns(raw: str, expected: str) -> None:
    assert normalize_allow_list_entry(raw, allow_http_loopback=False) == expected


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        ("https://*.com", "a pattern must be *. followed by a domain"),
        ("https://*.example.com/path", "path"),
        ("http://*.example.com", "https"),
        ("https://*.10.0.0.1", "number"),
        ("https://*", "host"),
        ("https://a.*.example.com", "host"),
    ],
)
def test_a_malformed_pattern_is_refused(raw: str, reason: str) -> None:
    with pytest.raises(InvalidPimUrl, match=reason.replace("*", "[*]")):
        normalize_allow_list_entry(raw, allow_http_loopback=False)


ALLOW_LIST = ("https://*.cloud.akeneo.com", "https://pim.example.com", "https://*.example.org:8443")


@pytest.mark.parametrize(
    ("pim_url", "allowed"),
    [
        ("https://my-pim.cloud.akeneo.com", True),
        ("https://pim.example.com", True),
        ("https://a.example.org:8443", True),
        ("https://cloud.akeneo.com", False),
        ("https://a.b.cloud.akeneo.com", False),
        ("https://evil-cloud.akeneo.com", False),
        ("https://my-pim.cloud.akeneo.com.evil.com", False),
        ("https://my-pim.cloud.akeneo.com:8443", False),
        ("https://a.example.org", False),
        ("https://other.example.com", False),
    ],
)
def test_the_allow_list_matches_exact_urls_and_one_label_patterns(
    pim_url: str, allowed: bool
) -> None:
    assert is_allowed(pim_url, ALLOW_LIST) is allowed


@pytest.mark.parametrize(
    ("address", "public"),
    [
        ("8.8.8.8", True),
        ("2606:4700::1111", True),
        ("127.0.0.1", False),
        ("10.0.0.1", False),
        ("172.16.5.4", False),
        ("192.168.1.1", False),
        ("169.254.169.254", False),
        ("100.64.0.1", False),
        ("0.0.0.0", False),
        ("224.0.0.1", False),
        ("::1", False),
        ("fe80::1", False),
        ("fc00::1", False),
        ("::ffff:127.0.0.1", False),
        ("::ffff:8.8.8.8", True),
        ("2002:7f00:1::", False),
        ("64:ff9b::a00:1", False),
    ],
)
def test_only_globally_routable_unicast_addresses_are_public(address: str, public: bool) -> None:
    assert is_public_address(address) is public


@pytest.mark.parametrize(
    ("pim_url", "public"),
    [
        ("https://pim.example.com", True),
        ("https://8.8.8.8", True),
        ("https://localhost", False),
        ("https://app.localhost", False),
        ("https://127.0.0.1:8443", False),
        ("https://[::1]", False),
        ("https://10.0.0.1", False),
    ],
)
def test_a_host_spelled_as_a_private_address_is_not_public(pim_url: str, public: bool) -> None:
    assert has_public_host(pim_url) is public
