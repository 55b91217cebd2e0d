"""The App's own URL comes from APP_URL, never from the Host header outside development."""

import dataclasses
import logging
from collections.abc import Callable
from pathlib import Path

import pytest
from cryptography.fernet import Fernet

from {{ cookiecutter.package_name }}.settings import Settings, SettingsError, load_settings
from tests.conftest import Browser

MakeBrowser = Callable[..., Browser]
APP_URL = "https://akeneo-app.example.test"
KEYS = {"SECRET_KEY": "k" * 40, "TOKEN_ENCRYPTION_KEYS": Fernet.generate_key().decode()}


@pytest.fixture
def production(settings: Settings) -> Settings:
    return dataclasses.replace(settings, environment="production", app_url=APP_URL)


def load(tmp_path: Path, **values: str) -> Settings:
    return load_settings({**KEYS, **values}, env_file=tmp_path / "absent.env")


def test_app_url_is_required_in_production(tmp_path: Path) -> None:
    with pytest.raises(SettingsError, match="APP_URL must be set outside development"):
        load(tmp_path, APP_ENV="production")


def test_app_url_is_optional_in_development(tmp_path: Path) -> None:
    assert load(tmp_path).app_url == ""


@pytest.mark.parametrize(
    ("app_url", "stored"),
    [
        ("https://Akeneo-App.Example.test/", "https://akeneo-app.example.test"),
        ("https://akeneo-app.example.test:8443", "https://akeneo-app.example.test:8443"),
        ("https://example.test/akeneo-app/", "https://example.test/akeneo-app"),
    ],
)
def test_app_url_is_kept_without_its_trailing_slash(
    tmp_path: Path, app_url: str, stored: str
) -> None:
    assert load(tmp_path, APP_ENV="production", APP_URL=app_url).app_url == stored


@pytest.mark.parametrize(
    ("app_url", "message"),
    [
        ("http://akeneo-app.example.test", "must start with https:// outside development"),
        ("akeneo-app.example.test", "must be an absolute URL"),
        ("ftp://akeneo-app.example.test", "must be an absolute URL"),
        ("https://user:secret@akeneo-app.example.test", "must not hold a user name or password"),
        ("https://akeneo-app.example.test/?next=1", "must not have a query or fragment"),
        ("https://akeneo-app.example.test/#top", "must not have a query or fragment"),
        ("https://akeneo-app.example.test/a%2Fb", "may have a path prefix only"),
        ("https://akeneo-app.example.test/a b", "may have a path prefix only"),
        ("https://akeneo-app.example.test:port", "is not a URL"),
    ],
)
def test_a_malformed_app_url_is_refused_naming_the_problem(
    tmp_path: Path, app_url: str, message: str
) -> None:
    with pytest.raises(SettingsError, match="APP_URL") as refused:
        load(tmp_path, APP_ENV="production", APP_URL=app_url)

    assert message in str(refused.value)


def test_plain_http_app_url_is_allowed_in_development(tmp_path: Path) -> None:
    assert load(tmp_path, APP_URL="http://127.0.0.1:8000").app_url == "http://127.0.0.1:8000"


def test_the_welcome_page_shows_urls_from_app_url_not_the_host_header(
    make_browser: MakeBrowser, production: Settings
) -> None:
    page = make_browser(production).get("/", headers={"Host": "akeneo-app.example.test"})

    assert page.status == 200
    assert f'<code id="activate-url">{APP_URL}/activate</code>' in page.text
    assert f'<code id="callback-url">{APP_URL}/callback</code>' in page.text


def test_app_url_with_a_prefix_prefixes_the_shown_urls(
    make_browser: MakeBrowser, production: Settings
) -> None:
    prefixed = dataclasses.replace(production, app_url="https://example.test/akeneo-app")

    page = make_browser(prefixed).get("/", headers={"Host": "example.test"})

    assert '<code id="activate-url">https://example.test/akeneo-app/activate</code>' in page.text


def test_in_production_another_host_is_refused_with_a_log_line(
    make_browser: MakeBrowser, production: Settings, caplog: pytest.LogCaptureFixture
) -> None:
    browser = make_browser(production)

    with caplog.at_level(logging.WARNING):
        page = browser.get("/", headers={"Host": "evil.example"})

    assert page.status == 421
    assert "This address is not the App&#39;s" in page.text
    assert "evil.example" not in page.text
    assert "Refused a request for the host 'evil.example'" in caplog.text


@pytest.mark.parametrize("host", ["akeneo-app.example.test:443", "AKENEO-APP.example.test"])
def test_in_production_the_app_urls_host_is_served_with_its_default_port_or_any_case(
    make_browser: MakeBrowser, production: Settings, host: str
) -> None:
    assert make_browser(production).get("/", headers={"Host": host}).status == 200


def test_in_production_health_answers_for_any_host(
    make_browser: MakeBrowser, production: Settings
) -> None:
    # A load balancer or the image's HEALTHCHECK calls the App by its address.
    page = make_browser(production).get("/health", headers={"Host": "10.0.0.7:8000"})

    assert page.status == 200


def test_in_development_without_app_url_the_urls_follow_the_request(browser: Browser) -> None:
    page = browser.get("/", headers={"Host": "localhost:8000"})

    assert '<code id="activate-url">http://localhost:8000/activate</code>' in page.text


def test_in_development_app_url_wins_over_the_host_header(
    make_browser: MakeBrowser, settings: Settings
) -> None:
    tunnel = dataclasses.replace(settings, app_url="https://tunnel.example.test")

    page = make_browser(tunnel).get("/", headers={"Host": "localhost:8000"})

    assert page.status == 200
    assert '<code id="callback-url">https://tunnel.example.test/callback</code>' in page.text
    assert "localhost:8000" not in page.text
