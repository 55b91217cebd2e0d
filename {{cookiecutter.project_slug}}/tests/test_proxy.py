"""Behind a reverse proxy or tunnel: forwarded headers count only from TRUSTED_PROXIES."""

import dataclasses
import logging
from collections.abc import Callable

import pytest

from {{ cookiecutter.package_name }}.settings import Settings
from tests.conftest import Browser
from tests.fake_pim import FakePim

MakeBrowser = Callable[..., Browser]

PROXY = "10.0.0.5"  # the proxy as the App sees it: the TCP peer of every proxied request
ELSEWHERE = "198.51.100.7"  # any other client
PUBLIC_HOST = "app.example.test"
FORWARDED = {"Host": PUBLIC_HOST, "X-Forwarded-Proto": "https", "X-Forwarded-For": "203.0.113.9"}


@pytest.fixture
def behind_proxy(settings: Settings) -> Settings:
    return dataclasses.replace(settings, trusted_proxies=("10.0.0.0/24",))


def secure(cookie: str) -> bool:
    return any(flag.strip().lower() == "secure" for flag in cookie.split(";")[1:])


def test_through_a_trusted_proxy_the_pages_show_the_public_https_urls(
    make_browser: MakeBrowser, behind_proxy: Settings
) -> None:
    page = make_browser(behind_proxy, address=PROXY).get("/", headers=FORWARDED)

    assert page.status == 200
    assert f"https://{PUBLIC_HOST}/activate" in page.text
    assert f"https://{PUBLIC_HOST}/callback" in page.text
    assert "http://" not in page.text.replace("http://www.w3.org", "")


def test_through_a_trusted_proxy_the_session_cookie_is_secure(
    make_browser: MakeBrowser, behind_proxy: Settings, pim_a: FakePim
) -> None:
    page = make_browser(behind_proxy, address=PROXY).get(
        "/activate", {"pim_url": pim_a.url}, headers=FORWARDED
    )

    assert page.status == 302
    assert secure(page.cookie)


def test_forwarded_headers_from_an_untrusted_address_are_ignored(
    make_browser: MakeBrowser, behind_proxy: Settings, pim_a: FakePim
) -> None:
    browser = make_browser(behind_proxy, address=ELSEWHERE)

    page = browser.get("/", headers=FORWARDED)
    activation = browser.get("/activate", {"pim_url": pim_a.url}, headers=FORWARDED)

    assert f"http://{PUBLIC_HOST}/activate" in page.text
    assert f"https://{PUBLIC_HOST}" not in page.text
    assert activation.status == 302
    assert not secure(activation.cookie)


def test_without_trusted_proxies_forwarded_headers_are_ignored(
    make_browser: MakeBrowser, settings: Settings, pim_a: FakePim
) -> None:
    assert settings.trusted_proxies == ()
    browser = make_browser(settings, address=PROXY)

    page = browser.get("/", headers=FORWARDED)
    activation = browser.get("/activate", {"pim_url": pim_a.url}, headers=FORWARDED)

    assert f"http://{PUBLIC_HOST}/callback" in page.text
    assert f"https://{PUBLIC_HOST}" not in page.text
    assert not secure(activation.cookie)


@pytest.mark.parametrize(
    "forwarded_for", ["<script>alert(1)</script>", "x" * 300, "203.0.113.9, not-an-address"]
)
def test_a_forwarded_for_that_is_not_ip_addresses_is_ignored_with_a_log_line(
    make_browser: MakeBrowser,
    behind_proxy: Settings,
    caplog: pytest.LogCaptureFixture,
    forwarded_for: str,
) -> None:
    browser = make_browser(behind_proxy, address=PROXY)

    with caplog.at_level(logging.WARNING):
        page = browser.get("/", headers={**FORWARDED, "X-Forwarded-For": forwarded_for})

    assert page.status == 200
    assert f"https://{PUBLIC_HOST}/activate" in page.text  # the proxy's other headers count
    assert f"Ignored an X-Forwarded-For that is not IP addresses, from {PROXY}" in caplog.text
    assert forwarded_for not in caplog.text


def test_a_forwarded_for_of_ip_addresses_is_not_logged_as_ignored(
    make_browser: MakeBrowser, behind_proxy: Settings, caplog: pytest.LogCaptureFixture
) -> None:
    browser = make_browser(behind_proxy, address=PROXY)

    with caplog.at_level(logging.WARNING):
        page = browser.get("/", headers={**FORWARDED, "X-Forwarded-For": "2001:db8::1, 10.0.0.9"})

    assert page.status == 200
    assert "X-Forwarded-For" not in caplog.text
