"""Every answer carries protective headers; pages are never stored; the schema stays private."""

import dataclasses

import pytest

from {{ cookiecutter.package_name }}.headers import (
    CONTENT_SECURITY_POLICY,
    STRICT_TRANSPORT_SECURITY,
)
from {{ cookiecutter.package_name }}.settings import Settings
from tests.conftest import Browser
from tests.fake_pim import FakePim
{%- if cookiecutter.framework == "flask" %}

Headers = dict[str, str]


def headers_of(browser: Browser, method: str, path: str) -> tuple[int, Headers]:
    with browser._client.open(path, method=method) as response:
        return response.status_code, dict(response.headers)


def values_of(browser: Browser, path: str, name: str) -> list[str]:
    with browser._client.open(path) as response:
        return response.headers.getlist(name)
{%- else %}

Headers = dict[str, str]


def headers_of(browser: Browser, method: str, path: str) -> tuple[int, Headers]:
    response = browser._app.run(browser._client.request(method, path))
    return response.status_code, dict(response.headers)


def values_of(browser: Browser, path: str, name: str) -> list[str]:
    return browser._app.run(browser._client.request("GET", path)).headers.get_list(name)
{%- endif %}


def lower(headers: Headers) -> Headers:
    return {name.lower(): value for name, value in headers.items()}


@pytest.mark.parametrize(
    "path",
    ["/", "/activate?pim_url=https://pim-a.example.test", "/callback", "/no-such-page", "/health"],
)
def test_every_answer_forbids_framing_sniffing_referrers_and_storing(
    browser: Browser, path: str
) -> None:
    _, headers = headers_of(browser, "GET", path)

    headers = lower(headers)
    assert headers["content-security-policy"] == CONTENT_SECURITY_POLICY
    assert "frame-ancestors 'none'" in headers["content-security-policy"]
    assert "script-src" not in headers["content-security-policy"]  # default-src 'none'
    assert headers["x-frame-options"] == "DENY"
    assert headers["x-content-type-options"] == "nosniff"
    assert headers["referrer-policy"] == "no-referrer"
    assert headers["cache-control"] == "no-store"


def test_the_page_of_a_connected_pim_is_not_stored(browser: Browser, pim_a: FakePim) -> None:
    browser.connect(pim_a)

    status, headers = headers_of(browser, "GET", "/")

    assert status == 200
    assert lower(headers)["cache-control"] == "no-store"


def test_the_stylesheet_may_be_cached_but_not_sniffed(browser: Browser) -> None:
    status, headers = headers_of(browser, "GET", "/static/style.css")

    assert status == 200
    assert lower(headers).get("cache-control") != "no-store"
    assert lower(headers)["x-content-type-options"] == "nosniff"


def test_an_answer_keeps_a_cache_header_it_sets_itself(browser: Browser) -> None:
    status, headers = headers_of(browser, "GET", "/favicon.ico")

    headers = lower(headers)
    assert status == 204
    assert headers["cache-control"] == "max-age=86400"
    assert headers["content-security-policy"] == CONTENT_SECURITY_POLICY
    assert headers["x-frame-options"] == "DENY"
    assert headers["referrer-policy"] == "no-referrer"


@pytest.mark.parametrize("path", ["/favicon.ico", "/no-such-page", "/static/style.css"])
def test_each_header_is_sent_once(browser: Browser, path: str) -> None:
    assert len(values_of(browser, path, "X-Content-Type-Options")) == 1
    for name in ("Content-Security-Policy", "X-Frame-Options", "Cache-Control"):
        assert len(values_of(browser, path, name)) <= 1, name


def test_pages_have_no_inline_script_or_style(browser: Browser, pim_a: FakePim) -> None:
    pages = [browser.get("/").text, browser.get("/no-such-page").text]
    browser.connect(pim_a)
    pages.append(browser.get("/").text)

    for text in pages:
        assert "<script" not in text
        assert "<style" not in text
        assert "style=" not in text


def test_health_answers_head(browser: Browser) -> None:
    status, headers = headers_of(browser, "HEAD", "/health")

    assert status == 200
    assert lower(headers)["content-type"].startswith("application/json")


@pytest.mark.parametrize("path", ["/", "/health", "/static/style.css", "/no-such-page"])
def test_in_production_every_answer_asks_for_https_only(
    make_browser, settings: Settings, path: str
) -> None:
    production = dataclasses.replace(
        settings, environment="production", app_url="https://testserver"
    )
    browser = make_browser(production)

    _, headers = headers_of(browser, "GET", path)

    assert lower(headers)["strict-transport-security"] == STRICT_TRANSPORT_SECURITY


def test_in_development_no_answer_asks_for_https_only(browser: Browser) -> None:
    _, headers = headers_of(browser, "GET", "/")

    assert "strict-transport-security" not in lower(headers)


@pytest.mark.parametrize(
    ("method", "path", "status"),
    [("PUT", "/", 405), ("DELETE", "/health", 405), ("GET", "/no-such-page", 404)],
)
def test_the_frameworks_own_error_answers_carry_the_security_headers(
    browser: Browser, method: str, path: str, status: int
) -> None:
    answered, headers = headers_of(browser, method, path)

    assert answered == status
    assert lower(headers)["content-security-policy"] == CONTENT_SECURITY_POLICY
    assert lower(headers)["x-frame-options"] == "DENY"


@pytest.mark.parametrize(
    "path", ["/", "/activate?pim_url=https://pim-a.example.test", "/callback", "/favicon.ico"]
)
def test_every_page_answers_head_as_it_answers_get(browser: Browser, path: str) -> None:
    got, _ = headers_of(browser, "GET", path)

    headed, headers = headers_of(browser, "HEAD", path)

    assert headed == got
    assert lower(headers)["content-security-policy"] == CONTENT_SECURITY_POLICY


def test_no_schema_is_published_in_production(make_browser, settings: Settings) -> None:
    browser = make_browser(dataclasses.replace(settings, environment="production"))

    assert browser.get("/openapi.json").status == 404
{%- if cookiecutter.framework == "fastapi" %}


def test_the_schema_is_published_in_development(browser: Browser) -> None:
    page = browser.get("/openapi.json")

    assert page.status == 200
    assert '"/activate"' in page.text
{%- endif %}
