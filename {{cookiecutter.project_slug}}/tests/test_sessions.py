"""Browser sessions and OAuth states: single use, several tabs, logout and lifetime for real."""

import dataclasses
from collections.abc import Callable
from datetime import timedelta
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
{%- if cookiecutter.framework == "fastapi" %}
from fastapi.routing import APIRoute
{%- endif %}

{% if cookiecutter.framework == "flask" -%}
from {{ cookiecutter.package_name }}.app import close, create_app
{%- else -%}
from {{ cookiecutter.package_name }}.app import router
{%- endif %}
from {{ cookiecutter.package_name }}.flow import MAX_PENDING_AUTHORIZATIONS
from {{ cookiecutter.package_name }}.settings import Settings
from {{ cookiecutter.package_name }}.storage import Storage
from tests.conftest import Browser
from tests.databases import sql
from tests.fake_pim import TOKEN_PATH, FakePim

MakeBrowser = Callable[..., Browser]


def state_of(activation_location: str) -> str:
    return parse_qs(urlsplit(activation_location).query)["state"][0]


def token_requests(pim: FakePim) -> int:
    return sum(1 for request in pim.requests if request.url.path == TOKEN_PATH)


def test_a_state_is_redeemed_once_even_with_a_copy_of_the_cookie_saved_before(
    make_browser: MakeBrowser, pim_a: FakePim
) -> None:
    browser = make_browser()
    callback = pim_a.authorize(browser.get("/activate", {"pim_url": pim_a.url}).location)
    saved_before_callback = browser.session_cookie
    assert browser.get(callback).status == 302
    replaying = make_browser()
    replaying.session_cookie = saved_before_callback

    page = replaying.get(callback)

    assert page.status == 403
    assert "already used" in page.text
    assert token_requests(pim_a) == 1  # refused before the PIM is asked


def test_two_tabs_of_one_browser_each_complete_their_connection(
    browser: Browser, pim_a: FakePim, pim_b: FakePim, storage: Storage
) -> None:
    first_tab = pim_a.authorize(browser.get("/activate", {"pim_url": pim_a.url}).location)
    second_tab = pim_b.authorize(browser.get("/activate", {"pim_url": pim_b.url}).location)

    assert browser.get(first_tab).status == 302
    assert browser.get(second_tab).status == 302

    assert storage.get_connection(pim_a.url) is not None
    assert storage.get_connection(pim_b.url) is not None
    assert pim_b.url in browser.get("/").text  # the last tab to come back is the one in use


def test_only_the_latest_pending_connections_are_kept(browser: Browser, pim_a: FakePim) -> None:
    activations = [
        browser.get("/activate", {"pim_url": pim_a.url}).location
        for _ in range(MAX_PENDING_AUTHORIZATIONS + 1)
    ]
    oldest, newest = pim_a.authorize(activations[0]), pim_a.authorize(activations[-1])

    assert browser.get(oldest).status == 403
    assert browser.get(newest).status == 302


def test_a_cancelled_consent_gets_its_own_page_and_uses_the_state_up(
    browser: Browser, pim_a: FakePim, storage: Storage
) -> None:
    activation = browser.get("/activate", {"pim_url": pim_a.url}).location
    state = state_of(activation)

    page = browser.get(f"/callback?{urlencode({'error': 'access_denied', 'state': state})}")

    assert page.status == 403
    assert "The connection was cancelled" in page.text
    assert "no authorization code" not in page.text
    assert storage.get_connection(pim_a.url) is None
    assert browser.get(pim_a.authorize(activation)).status == 403
    assert token_requests(pim_a) == 0


@pytest.mark.parametrize(
    ("error", "shown"),
    [("invalid_scope", "(invalid_scope)"), ("<b>call +1 555</b>", "")],
    ids=["known-code", "unknown-text"],
)
def test_an_error_from_the_pim_on_the_callback_is_a_502_page(
    browser: Browser, pim_a: FakePim, error: str, shown: str
) -> None:
    state = state_of(browser.get("/activate", {"pim_url": pim_a.url}).location)

    page = browser.get(f"/callback?{urlencode({'error': error, 'state': state})}")

    assert page.status == 502
    assert "The PIM did not authorize the App" in page.text
    assert shown in page.text
    assert "call +1 555" not in page.text  # a stranger's text is never shown


def test_logout_ends_the_session_for_every_copy_of_the_cookie(
    make_browser: MakeBrowser, pim_a: FakePim
) -> None:
    browser, thief = make_browser(), make_browser()
    browser.connect(pim_a)
    thief.session_cookie = browser.session_cookie
    assert "Connected to your PIM" in thief.get("/").text

    assert browser.submit(browser.get("/"), "/logout").status == 303

    assert "Welcome" in thief.get("/").text
    assert thief.get("/first-api-call").status == 401
    assert "Welcome" in browser.get("/").text


def test_a_session_ends_with_its_lifetime(
    make_browser: MakeBrowser, settings: Settings, pim_a: FakePim
) -> None:
    two_hours = dataclasses.replace(settings, session_lifetime=timedelta(hours=2))
    browser = make_browser(two_hours)
    browser.connect(pim_a)
    [(lifetime,)] = sql(
        settings.database_url,
        "SELECT (julianday(expires_at) - julianday(created_at)) * 24 FROM browser_sessions"
        if settings.database_url.startswith("sqlite")
        else "SELECT EXTRACT(EPOCH FROM expires_at - created_at) / 3600 FROM browser_sessions",
    )
    assert round(float(str(lifetime)), 3) == 2
    assert "Connected to your PIM" in browser.get("/").text

    sql(settings.database_url, "UPDATE browser_sessions SET expires_at = created_at")

    assert "Welcome" in browser.get("/").text
    assert browser.get("/first-api-call").status == 401


def test_the_database_holds_only_hashes_of_session_ids(
    browser: Browser, pim_a: FakePim, settings: Settings
) -> None:
    browser.connect(pim_a)

    [(id_hash,)] = sql(settings.database_url, "SELECT id_hash FROM browser_sessions")
    assert isinstance(id_hash, str) and len(id_hash) == 64
    assert id_hash not in browser.session_cookie


def test_each_connection_starts_a_new_session_and_ends_the_previous_one(
    browser: Browser, pim_a: FakePim, pim_b: FakePim, settings: Settings
) -> None:
    browser.connect(pim_a)
    first = sql(settings.database_url, "SELECT id_hash FROM browser_sessions")

    browser.connect(pim_b)

    second = sql(settings.database_url, "SELECT id_hash, pim_url FROM browser_sessions")
    assert len(first) == len(second) == 1
    assert second[0][0] != first[0][0]
    assert second[0][1] == pim_b.url


def test_the_session_cookie_lasts_no_longer_than_a_session(
    make_browser: MakeBrowser, settings: Settings, pim_a: FakePim
) -> None:
    browser = make_browser(dataclasses.replace(settings, session_lifetime=timedelta(hours=3)))

    cookie = browser.get("/activate", {"pim_url": pim_a.url}).cookie.lower()

{%- if cookiecutter.framework == "flask" %}
    # A browser-session cookie, and its signature is refused once older than the lifetime.
    assert "expires=" not in cookie and "max-age" not in cookie
    app = create_app(dataclasses.replace(settings, session_lifetime=timedelta(hours=3)))
    assert app.permanent_session_lifetime == timedelta(hours=3)
    close(app)
{%- else %}
    assert f"max-age={3 * 3600}" in cookie
{%- endif %}


def test_every_form_route_refuses_a_post_without_the_pages_token(
    browser: Browser, pim_a: FakePim, settings: Settings
) -> None:
{%- if cookiecutter.framework == "flask" %}
    app = create_app(settings)
    post_routes = sorted(
        rule.rule for rule in app.url_map.iter_rules() if "POST" in (rule.methods or ())
    )
    close(app)
{%- else %}
    post_routes = sorted(
        route.path
        for route in router.routes
        if isinstance(route, APIRoute) and "POST" in route.methods
    )
{%- endif %}
    browser.connect(pim_a)

    assert post_routes == ["/activate", "/logout", "/request-scopes"]
    for route in post_routes:
        page = browser.post(route, {"pim_url": pim_a.url})
        assert page.status == 403, route
        assert "not sent from the App" in page.text, route
    assert "Connected to your PIM" in browser.get("/").text


def form_token(page: str) -> str:
    return page.split('name="csrf_token" value="')[1].split('"')[0]


def test_connecting_gives_the_browser_a_new_form_token(
    browser: Browser, pim_a: FakePim, pim_b: FakePim
) -> None:
    browser.connect(pim_a)
    before = form_token(browser.get("/").text)

    browser.connect(pim_b)
    after = form_token(browser.get("/").text)

    assert after != before
    assert browser.post("/logout", {"csrf_token": before}).status == 403
    assert browser.post("/logout", {"csrf_token": after}).status == 303


def test_logging_out_forgets_the_form_token(browser: Browser, pim_a: FakePim) -> None:
    browser.connect(pim_a)
    before = form_token(browser.get("/").text)
    assert browser.post("/logout", {"csrf_token": before}).status == 303

    browser.connect(pim_a)

    assert form_token(browser.get("/").text) != before
    assert browser.post("/logout", {"csrf_token": before}).status == 403
