"""The Activate and Callback URLs end to end, through the App's test client and fake PIMs."""

import dataclasses
import time
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from {{ cookiecutter.package_name }}.settings import Settings
from {{ cookiecutter.package_name }}.storage import Storage
from tests.conftest import Browser
from tests.databases import sql
from tests.fake_pim import TOKEN_PATH, FakePim


def query(url: str) -> dict[str, str]:
    return {name: values[0] for name, values in parse_qs(urlsplit(url).query).items()}


def test_a_new_browser_sees_the_welcome_page_with_the_urls_to_declare(browser: Browser) -> None:
    page = browser.get("/")

    assert page.status == 200
    assert "http://{{ 'localhost' if cookiecutter.framework == 'flask' else 'testserver' }}/activate" in page.text
    assert "http://{{ 'localhost' if cookiecutter.framework == 'flask' else 'testserver' }}/callback" in page.text
    assert "not configured" not in page.text


def test_activate_redirects_to_the_pims_consent_screen(browser: Browser, pim_a: FakePim) -> None:
    page = browser.get("/activate", {"pim_url": pim_a.url})

    assert page.status == 302
    assert page.location.startswith(f"{pim_a.url}/connect/apps/v1/authorize?")
    params = query(page.location)
    assert params["response_type"] == "code"
    assert params["client_id"] == "test-app-client-id"
{%- if cookiecutter.openid_connect %}
    assert params["scope"].split() == [
        "read_channel_settings",
        "read_channel_localization",
        "openid",
        "email",
        "profile",
    ]
{%- else %}
    assert params["scope"] == "read_channel_settings read_channel_localization"
{%- endif %}
    assert len(params["state"]) >= 32
    assert pim_a.requests == []  # the browser goes to the PIM, the App does not


def test_each_activation_gets_a_fresh_state(browser: Browser, pim_a: FakePim) -> None:
    first = query(browser.get("/activate", {"pim_url": pim_a.url}).location)["state"]
    second = query(browser.get("/activate", {"pim_url": pim_a.url}).location)["state"]

    assert first != second


def test_the_full_flow_stores_an_encrypted_token_and_shows_the_connection(
    browser: Browser, pim_a: FakePim, settings: Settings, storage: Storage
) -> None:
    landing = browser.connect(pim_a)

    assert landing.status == 302
    assert landing.location == "/"
    [(token, granted)] = pim_a.tokens.items()
    stored = storage.get_connection(pim_a.url)
    assert stored is not None
    assert stored.access_token == token
    assert stored.scopes == tuple(granted.split())
    [(raw_token, raw_scopes)] = sql(
        settings.database_url, "SELECT encrypted_token, scopes FROM connections"
    )
    assert isinstance(raw_token, str) and isinstance(raw_scopes, str)
    assert token not in raw_token
    assert "read_channel_settings" in raw_scopes

    home = browser.get("/")
    assert home.status == 200
    assert pim_a.url in home.text
    assert "read_channel_localization" in home.text
    assert "Connected on" in home.text


def test_the_token_request_proves_the_secret_without_sending_it(
    browser: Browser, pim_a: FakePim
) -> None:
    browser.connect(pim_a)

    [token_request] = [r for r in pim_a.requests if r.url.path == TOKEN_PATH]
    body = token_request.content.decode()
    assert "test-app-client-secret" not in body
    assert "code_challenge=" in body
    assert token_request.headers["user-agent"].startswith("{{ cookiecutter.project_slug }}/")


def test_reconnecting_a_pim_updates_its_row_and_leaves_other_pims_alone(
    make_browser, pim_a: FakePim, pim_b: FakePim, storage: Storage
) -> None:
    make_browser().connect(pim_a)
    make_browser().connect(pim_b)
    first_a = storage.get_connection(pim_a.url)
    first_b = storage.get_connection(pim_b.url)

    make_browser().connect(pim_a)

    again_a = storage.get_connection(pim_a.url)
    assert first_a is not None and again_a is not None
    assert again_a.connected_at == first_a.connected_at
    assert again_a.updated_at >= first_a.updated_at
    assert storage.get_connection(pim_b.url) == first_b


def test_two_browsers_connecting_two_pims_at_once_each_get_their_own(
    make_browser, pim_a: FakePim, pim_b: FakePim
) -> None:
    alice, bob = make_browser(), make_browser()
    to_a = alice.get("/activate", {"pim_url": pim_a.url})
    to_b = bob.get("/activate", {"pim_url": pim_b.url})
    back_from_b = pim_b.authorize(to_b.location)
    back_from_a = pim_a.authorize(to_a.location)

    assert bob.get(back_from_b).status == 302
    assert alice.get(back_from_a).status == 302

    alice_home, bob_home = alice.get("/").text, bob.get("/").text
    assert pim_a.url in alice_home and pim_b.url not in alice_home
    assert pim_b.url in bob_home and pim_a.url not in bob_home


def test_a_callback_in_another_browser_is_refused(make_browser, pim_a: FakePim) -> None:
    victim, attacker = make_browser(), make_browser()
    callback = pim_a.authorize(victim.get("/activate", {"pim_url": pim_a.url}).location)

    page = attacker.get(callback)

    assert page.status == 403
    assert "not started from this browser" in page.text
    assert pim_a.tokens == {}


def test_a_replayed_callback_is_refused(browser: Browser, pim_a: FakePim) -> None:
    callback = pim_a.authorize(browser.get("/activate", {"pim_url": pim_a.url}).location)
    assert browser.get(callback).status == 302

    page = browser.get(callback)

    assert page.status == 403
    assert "already used" in page.text


@pytest.mark.parametrize(
    "params",
    [{}, {"code": "abc"}, {"code": "abc", "state": "forged"}],
    ids=["nothing", "no-state", "forged-state"],
)
def test_a_callback_without_the_browsers_state_is_refused(
    browser: Browser, pim_a: FakePim, params: dict[str, str]
) -> None:
    browser.get("/activate", {"pim_url": pim_a.url})

    page = browser.get("/callback", params)

    assert page.status == 403
    assert "Open the App again from the PIM" in page.text


def test_an_expired_state_is_refused(
    browser: Browser, pim_a: FakePim, monkeypatch: pytest.MonkeyPatch
) -> None:
    callback = pim_a.authorize(browser.get("/activate", {"pim_url": pim_a.url}).location)
    later = time.time() + 11 * 60
    monkeypatch.setattr(time, "time", lambda: later)

    page = browser.get(callback)

    assert page.status == 403
    assert "expired" in page.text
    assert not any(r.url.path == TOKEN_PATH for r in pim_a.requests)


def test_a_callback_without_a_code_is_a_bad_request(browser: Browser, pim_a: FakePim) -> None:
    state = query(browser.get("/activate", {"pim_url": pim_a.url}).location)["state"]

    page = browser.get("/callback", {"state": state})

    assert page.status == 400
    assert "no authorization code" in page.text


@pytest.mark.parametrize(
    "pim_url",
    [
        "",
        "not a url",
        "ftp://pim.example.test",
        "https://user:password@pim.example.test",
        "https://pim.example.test/some/path",
        "https://pim.example.test?x=1",
        "https://pim.example.test#fragment",
        "http://pim.example.test",
        "javascript:alert(1)",
        "https://pim.example.test:99999",
    ],
)
def test_a_bad_pim_url_gets_a_400_page(browser: Browser, pim_url: str) -> None:
    page = browser.get("/activate", {"pim_url": pim_url})

    assert page.status == 400
    assert "This PIM URL cannot be used" in page.text


def test_a_missing_pim_url_gets_a_400_page(browser: Browser) -> None:
    page = browser.get("/activate")

    assert page.status == 400
    assert "missing" in page.text


def test_the_allow_list_refuses_other_pims(
    make_browser, settings: Settings, pim_a: FakePim, pim_b: FakePim
) -> None:
    browser = make_browser(dataclasses.replace(settings, allowed_pim_urls=(pim_a.url,)))

    assert browser.get("/activate", {"pim_url": pim_a.url}).status == 302
    refused = browser.get("/activate", {"pim_url": pim_b.url})
    assert refused.status == 400
    assert "AKENEO_ALLOWED_PIM_URLS" in refused.text


def test_http_on_loopback_is_refused_in_production(make_browser, settings: Settings) -> None:
    browser = make_browser(dataclasses.replace(settings, environment="production"))

    page = browser.get("/activate", {"pim_url": "http://127.0.0.1:8081"})

    assert page.status == 400
    assert "https" in page.text


def test_a_pim_url_in_the_page_is_escaped(browser: Browser) -> None:
    page = browser.get("/activate", {"pim_url": "https://<script>alert(1)</script>"})

    assert page.status == 400
    assert "<script>" not in page.text


@pytest.mark.parametrize(
    ("error", "status", "expected"),
    [
        ("invalid_grant", 502, "valid for 30 seconds"),
        ("invalid_client", 502, "AKENEO_CLIENT_SECRET"),
        ("unsupported_grant_type", 502, "unsupported_grant_type"),
    ],
)
def test_a_pim_refusing_the_code_gets_a_502_page_and_stores_nothing(
    browser: Browser, pim_a: FakePim, storage: Storage, error: str, status: int, expected: str
) -> None:
    pim_a.overrides[TOKEN_PATH] = httpx.Response(400, json={"error": error})

    page = browser.connect(pim_a)

    assert page.status == status
    assert error in page.text
    assert expected in page.text
    assert storage.get_connection(pim_a.url) is None


def test_an_expired_code_shows_the_pims_description(
    browser: Browser, pim_a: FakePim, storage: Storage
) -> None:
    callback = pim_a.authorize(browser.get("/activate", {"pim_url": pim_a.url}).location)
    pim_a.advance(31)

    page = browser.get(callback)

    assert page.status == 502
    assert "Code has expired" in page.text
    assert storage.get_connection(pim_a.url) is None


def test_a_wrong_client_secret_is_refused_by_the_pim(
    make_browser, settings: Settings, pim_a: FakePim
) -> None:
    browser = make_browser(dataclasses.replace(settings, client_secret="not-the-secret"))

    page = browser.connect(pim_a)

    assert page.status == 502
    assert "invalid_client" in page.text


@pytest.mark.parametrize(
    ("answer", "status", "expected"),
    [
        (httpx.ReadTimeout("timed out"), 504, "did not answer in time"),
        (httpx.ConnectError("refused"), 502, "could not be reached"),
        (httpx.Response(200, text="<html>maintenance</html>"), 502, "not JSON"),
        (httpx.Response(200, json={"token_type": "bearer"}), 502, "no valid access_token"),
        (httpx.Response(500, json={"error": "boom"}), 502, "HTTP 500"),
        (httpx.Response(200, json=["not", "an", "object"]), 502, "unexpected JSON"),
    ],
    ids=["timeout", "unreachable", "html", "no-token", "server-error", "json-list"],
)
def test_a_failing_pim_gets_an_error_page_and_changes_nothing(
    make_browser,
    pim_a: FakePim,
    storage: Storage,
    answer: httpx.Response | Exception,
    status: int,
    expected: str,
) -> None:
    make_browser().connect(pim_a)
    before = storage.get_connection(pim_a.url)
    browser = make_browser()
    callback = pim_a.authorize(browser.get("/activate", {"pim_url": pim_a.url}).location)
    pim_a.overrides[TOKEN_PATH] = answer

    page = browser.get(callback)

    assert page.status == status
    assert expected in page.text
    assert storage.get_connection(pim_a.url) == before
    assert "Welcome" in browser.get("/").text  # this browser is not linked to the PIM


def test_a_busy_pim_is_asked_again(browser: Browser, pim_a: FakePim, storage: Storage) -> None:
    callback = pim_a.authorize(browser.get("/activate", {"pim_url": pim_a.url}).location)
    pim_a.next_answers[TOKEN_PATH] = [httpx.Response(429, headers={"Retry-After": "0"})]

    assert browser.get(callback).status == 302
    assert len([r for r in pim_a.requests if r.url.path == TOKEN_PATH]) == 2
    assert storage.get_connection(pim_a.url) is not None


def test_a_pim_that_stays_busy_gets_a_502_page(
    browser: Browser, pim_a: FakePim, storage: Storage
) -> None:
    callback = pim_a.authorize(browser.get("/activate", {"pim_url": pim_a.url}).location)
    pim_a.overrides[TOKEN_PATH] = httpx.Response(503, headers={"Retry-After": "0"})

    page = browser.get(callback)

    assert page.status == 502
    assert "HTTP 503" in page.text
    assert len([r for r in pim_a.requests if r.url.path == TOKEN_PATH]) == 3
    assert storage.get_connection(pim_a.url) is None


def test_logout_forgets_the_browser_but_keeps_the_token(
    browser: Browser, pim_a: FakePim, storage: Storage
) -> None:
    browser.connect(pim_a)

    page = browser.submit(browser.get("/"), "/logout")

    assert page.status == 303
    assert "Welcome" in browser.get("/").text
    assert storage.get_connection(pim_a.url) is not None


@pytest.mark.parametrize("form", [{}, {"csrf_token": "forged"}], ids=["no-token", "wrong-token"])
def test_logout_without_the_pages_csrf_token_is_refused(
    browser: Browser, pim_a: FakePim, form: dict[str, str]
) -> None:
    browser.connect(pim_a)

    page = browser.post("/logout", form)

    assert page.status == 403
    assert "not sent from the App" in page.text
    assert "Connected to your PIM" in browser.get("/").text


def test_open_app_with_a_linked_session_goes_straight_in(browser: Browser, pim_a: FakePim) -> None:
    browser.connect(pim_a)
    requests_before = len(pim_a.requests)

    page = browser.get("/activate", {"pim_url": pim_a.url})

    assert page.status == 302
    assert page.location == "/"
    assert len(pim_a.requests) == requests_before


def test_open_app_for_another_pim_asks_to_confirm_the_switch(
    browser: Browser, pim_a: FakePim, pim_b: FakePim
) -> None:
    browser.connect(pim_a)
    requests = (len(pim_a.requests), len(pim_b.requests))

    page = browser.get("/activate", {"pim_url": pim_b.url})

    assert page.status == 200
    assert "Switch to another PIM?" in page.text
    assert pim_a.url in page.text and pim_b.url in page.text
    assert (len(pim_a.requests), len(pim_b.requests)) == requests
    assert pim_a.url in browser.get("/").text


def test_a_confirmed_switch_asks_the_other_pim_and_links_the_browser_to_it(
    browser: Browser, pim_a: FakePim, pim_b: FakePim
) -> None:
    browser.connect(pim_a)
    confirmation = browser.get("/activate", {"pim_url": pim_b.url})

    switch = browser.submit(confirmation, "/activate")

    assert switch.status == 303
    assert switch.location.startswith(f"{pim_b.url}/connect/apps/v1/authorize?")
    assert browser.get(pim_b.authorize(switch.location)).location == "/"
    home = browser.get("/").text
    assert pim_b.url in home and pim_a.url not in home


def test_a_switch_posted_without_the_form_token_is_refused(
    browser: Browser, pim_a: FakePim, pim_b: FakePim
) -> None:
    browser.connect(pim_a)

    forged = browser.post("/activate", {"pim_url": pim_b.url})

    assert forged.status == 403
    assert "reload it, and try again" in forged.text
    home = browser.get("/").text
    assert pim_a.url in home and pim_b.url not in home


def test_open_app_without_a_session_asks_the_pim(make_browser, pim_a: FakePim) -> None:
    make_browser().connect(pim_a)

    page = make_browser().get("/activate", {"pim_url": pim_a.url})

    assert page.location.startswith(f"{pim_a.url}/connect/apps/v1/authorize?")


def test_missing_credentials_are_named_on_every_page(make_browser, settings: Settings) -> None:
    browser = make_browser(dataclasses.replace(settings, client_id="", client_secret=""))

    for path in ("/", "/activate?pim_url=https://pim-a.example.test", "/callback"):
        page = browser.get(path)
        assert "AKENEO_CLIENT_ID=" in page.text, path
        assert "AKENEO_CLIENT_SECRET=" in page.text, path
    assert browser.get("/activate", {"pim_url": "https://pim-a.example.test"}).status == 503


def test_health_reports_the_database(browser: Browser) -> None:
    page = browser.get("/health")

    assert page.status == 200
    assert '"ok"' in page.text


def test_an_app_whose_database_cannot_be_opened_answers_503_pages(
    make_browser, settings: Settings, tmp_path
) -> None:
    broken = dataclasses.replace(settings, database_url=f"sqlite:///{tmp_path}/missing/app.db")
    browser = make_browser(broken)

    page = browser.get("/")
    health = browser.get("/health")

    assert page.status == 503
    assert "The database does not answer" in page.text
    assert "check DATABASE_URL" in page.text
    assert health.status == 503
    assert "the database does not answer" in health.text


def test_an_unknown_page_is_a_404_page(browser: Browser) -> None:
    page = browser.get("/no-such-page")

    assert page.status == 404
    assert "Go back to the home page" in page.text


def test_the_session_cookie_is_signed_httponly_and_lax(browser: Browser, pim_a: FakePim) -> None:
    cookie = browser.get("/activate", {"pim_url": pim_a.url}).cookie.lower()

    assert "httponly" in cookie
    assert "samesite=lax" in cookie
    assert "secure" not in cookie.split(";")[1:]  # plain http is fine in development


def test_the_session_cookie_is_secure_in_production(
    make_browser, settings: Settings, pim_a: FakePim
) -> None:
    browser = make_browser(dataclasses.replace(settings, environment="production"))

    cookie = browser.get("/activate", {"pim_url": pim_a.url}).cookie.lower()

    assert "; secure" in cookie
