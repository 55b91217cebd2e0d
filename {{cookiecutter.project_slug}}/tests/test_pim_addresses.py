"""Outside development the Activate URL refuses PIM URLs that spell a non-public address."""

import dataclasses

import pytest

from {{ cookiecutter.package_name }}.settings import Settings
from tests.conftest import Browser


@pytest.fixture
def production(settings: Settings) -> Settings:
    return dataclasses.replace(settings, environment="production")


@pytest.mark.parametrize(
    ("pim_url", "reason"),
    [
        ("https://127.0.0.1:8443", "not a public address"),
        ("https://localhost", "not a public address"),
        ("https://[::1]", "not a public address"),
        ("https://10.0.0.1", "not a public address"),
        ("https://169.254.169.254", "not a public address"),
        ("https://[::ffff:127.0.0.1]", "not a public address"),
        ("https://2130706433", "host is a number"),
        ("https://127.1", "host is a number"),
        ("https://0x7f000001", "host is a number"),
        ("https://[::1%25lo]", "zone id"),
    ],
)
def test_an_internal_address_is_refused_in_production(
    make_browser, production: Settings, pim_url: str, reason: str
) -> None:
    browser: Browser = make_browser(production)

    page = browser.get("/activate", {"pim_url": pim_url})

    assert page.status == 400
    assert "This PIM URL cannot be used" in page.text
    assert reason in page.text


def test_an_on_premise_pim_listed_exactly_may_be_on_a_private_address(
    make_browser, production: Settings
) -> None:
    listed = dataclasses.replace(production, allowed_pim_urls=("https://10.0.0.1",))

    page = make_browser(listed).get("/activate", {"pim_url": "https://10.0.0.1"})

    assert page.status == 302
    assert page.location.startswith("https://10.0.0.1/connect/apps/v1/authorize?")


def test_a_pattern_allows_one_label_under_its_domain(make_browser, production: Settings) -> None:
    published = dataclasses.replace(production, allowed_pim_urls=("https://*.example.test",))
    browser = make_browser(published)

    assert browser.get("/activate", {"pim_url": "https://pim-a.example.test"}).status == 302
    refused = browser.get("/activate", {"pim_url": "https://pim.other.test"})
    assert refused.status == 400
    assert "AKENEO_ALLOWED_PIM_URLS" in refused.text


def test_loopback_stays_usable_in_development(make_browser, settings: Settings) -> None:
    page = make_browser(settings).get("/activate", {"pim_url": "http://127.0.0.1:8081"})

    assert page.status == 302


def test_an_empty_allow_list_in_production_is_warned_about_at_start_up(
    make_browser, production: Settings, caplog: pytest.LogCaptureFixture
) -> None:
    make_browser(production)

    [warning] = [record for record in caplog.records if record.levelname == "WARNING"]
    assert "AKENEO_ALLOWED_PIM_URLS is empty" in warning.getMessage()
    assert "https://*.cloud.akeneo.com" in warning.getMessage()
