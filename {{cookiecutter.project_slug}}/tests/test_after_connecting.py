"""After connecting: the first API call, a revoked token, missing scopes and asking for new ones."""

import dataclasses
import logging
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from cryptography.fernet import Fernet

from {{ cookiecutter.package_name }}.settings import Settings
from {{ cookiecutter.package_name }}.storage import Storage
from tests.conftest import Browser
from tests.databases import sql
from tests.fake_pim import (
    AUTHORIZE_PATH,
    CHANNELS_PATH,
    SCOPES_UPDATE_PATH,
    TOKEN_PATH,
    FakePim,
    service_unavailable,
    too_many_requests,
)

READ_PRODUCTS = "read_products"


def channel_requests(pim: FakePim) -> list[httpx.Request]:
    return [request for request in pim.requests if request.url.path == CHANNELS_PATH]


def scope_param(url: str) -> list[str]:
    return parse_qs(urlsplit(url).query)["scope"][0].split()


@pytest.fixture
def wants_products(settings: Settings) -> Settings:
    """The App's settings once a developer added a scope to AKENEO_SCOPES."""
    return dataclasses.replace(settings, scopes=(*settings.scopes, READ_PRODUCTS))


def test_the_home_page_links_to_the_first_api_call(browser: Browser, pim_a: FakePim) -> None:
    browser.connect(pim_a)

    home = browser.get("/")

    assert 'href="/first-api-call"' in home.text
    assert "Connected" in home.text


def test_the_first_api_call_shows_the_pims_channels(browser: Browser, pim_a: FakePim) -> None:
    browser.connect(pim_a)

    page = browser.get("/first-api-call")

    assert page.status == 200
    assert '<td data-label="Code"><code>print</code></td>' in page.text
    # The label in the channel's first locale:
    assert '<td data-label="Label">Impression</td>' in page.text
    assert '<td data-label="Locales">fr_FR, en_US</td>' in page.text
    assert '<td data-label="Currencies">USD, EUR</td>' in page.text
    assert '<td data-label="Category tree">master</td>' in page.text
    assert 'href="/"' in page.text


def test_the_channels_of_every_page_are_shown(
    browser: Browser, pim_a: FakePim, storage: Storage
) -> None:
    pim_a.channels = [
        {
            "code": f"channel_{n:03}",
            "locales": ["en_US"],
            "currencies": ["EUR"],
            "category_tree": "master",
            "labels": {"en_US": f"Channel {n}"},
        }
        for n in range(1, 106)
    ]
    browser.connect(pim_a)

    page = browser.get("/first-api-call")

    assert page.status == 200
    assert "105 channels" in page.text
    assert '<td data-label="Label">Channel 1</td>' in page.text
    assert '<td data-label="Label">Channel 105</td>' in page.text
    first, second = channel_requests(pim_a)
    assert (first.url.params["limit"], second.url.params["page"]) == ("100", "2")
    stored = storage.get_connection(pim_a.url)
    assert stored is not None
    assert {request.headers["Authorization"] for request in (first, second)} == {
        f"Bearer {stored.access_token}"
    }


def test_every_request_to_the_pim_has_a_timeout_within_the_configured_one(
    browser: Browser, pim_a: FakePim, settings: Settings
) -> None:
    browser.connect(pim_a)
    browser.get("/first-api-call")

    sent_by_the_app = [r for r in pim_a.requests if r.url.path != AUTHORIZE_PATH]
    assert {r.url.path for r in sent_by_the_app} >= {TOKEN_PATH, CHANNELS_PATH}
    for request in sent_by_the_app:
        # What is left of the call's one deadline: never none, never more than HTTP_TIMEOUT.
        timeouts = request.extensions["timeout"]
        assert set(timeouts) == {"connect", "read", "write", "pool"}, request.url.path
        assert all(0 < value <= settings.http_timeout for value in timeouts.values())


def test_without_a_connection_the_page_says_how_to_connect(
    browser: Browser, pim_a: FakePim
) -> None:
    page = browser.get("/first-api-call")

    assert page.status == 401
    assert "not connected to a PIM" in page.text
    assert "Open app" in page.text
    assert pim_a.requests == []


def test_a_next_link_to_another_host_is_not_followed(
    browser: Browser, pim_a: FakePim, pim_b: FakePim
) -> None:
    browser.connect(pim_a)
    foreign = f"{pim_b.url}{CHANNELS_PATH}?page=2"
    pim_a.next_answers[CHANNELS_PATH] = [
        httpx.Response(
            200, json={"_links": {"next": {"href": foreign}}, "_embedded": {"items": []}}
        )
    ]

    page = browser.get("/first-api-call")

    assert page.status == 502
    assert "another host" in page.text
    assert pim_b.requests == []


def test_a_busy_pim_is_asked_again_and_the_page_shows(browser: Browser, pim_a: FakePim) -> None:
    browser.connect(pim_a)
    pim_a.next_answers[CHANNELS_PATH] = [too_many_requests(retry_after="0")]

    page = browser.get("/first-api-call")

    assert page.status == 200
    assert "ecommerce" in page.text
    assert len(channel_requests(pim_a)) == 2


def test_a_pim_that_stays_busy_gives_a_busy_page(browser: Browser, pim_a: FakePim) -> None:
    browser.connect(pim_a)
    pim_a.overrides[CHANNELS_PATH] = service_unavailable(retry_after="0")

    page = browser.get("/first-api-call")

    assert page.status == 503
    assert "The PIM is busy" in page.text
    assert "Wait a minute" in page.text
    assert len(channel_requests(pim_a)) == 3


def test_a_pim_that_does_not_answer_in_time_gives_a_504_page(
    browser: Browser, pim_a: FakePim
) -> None:
    browser.connect(pim_a)
    pim_a.overrides[CHANNELS_PATH] = httpx.ReadTimeout("timed out")

    page = browser.get("/first-api-call")

    assert page.status == 504
    assert "did not answer in time" in page.text


def test_a_resource_the_pim_does_not_have_gives_a_404_page(
    browser: Browser, pim_a: FakePim
) -> None:
    browser.connect(pim_a)
    pim_a.overrides[CHANNELS_PATH] = httpx.Response(
        404, json={"code": 404, "message": "Resource not found"}
    )

    page = browser.get("/first-api-call")

    assert page.status == 404
    assert "The PIM said: “Resource not found”" in page.text  # the PIM's words, not the App's


def test_a_revoked_token_disconnects_the_pim_until_it_connects_again(
    browser: Browser, pim_a: FakePim, storage: Storage
) -> None:
    browser.connect(pim_a)
    pim_a.revoke()

    page = browser.get("/first-api-call")

    assert page.status == 401
    assert "The App was disconnected from the PIM" in page.text
    assert "Connect again" in page.text
    stored = storage.get_connection(pim_a.url)
    assert stored is not None and stored.disconnected_at is not None
    home = browser.get("/")
    assert "Disconnected from your PIM" in home.text
    assert 'href="/first-api-call"' not in home.text

    reopened = browser.get("/activate", {"pim_url": pim_a.url})
    assert reopened.location.startswith(f"{pim_a.url}/connect/apps/v1/authorize?")
    assert browser.get(pim_a.authorize(reopened.location)).location == "/"

    reconnected = storage.get_connection(pim_a.url)
    assert reconnected is not None and reconnected.disconnected_at is None
    assert reconnected.access_token != stored.access_token
    assert "Connected to your PIM" in browser.get("/").text
    assert browser.get("/first-api-call").status == 200


def test_a_disconnected_pim_is_not_called_again(browser: Browser, pim_a: FakePim) -> None:
    browser.connect(pim_a)
    pim_a.revoke()
    browser.get("/first-api-call")
    calls = len(channel_requests(pim_a))

    page = browser.get("/first-api-call")

    assert page.status == 401
    assert "disconnected" in page.text
    assert len(channel_requests(pim_a)) == calls


def test_a_missing_scope_names_it_and_how_to_ask_for_it(browser: Browser, pim_a: FakePim) -> None:
    pim_a.withheld_scopes = {"read_channel_settings"}
    browser.connect(pim_a)

    page = browser.get("/first-api-call")

    assert page.status == 403
    assert "The PIM said: “Access forbidden. You are not allowed to list channels.”" in page.text
    assert "not granted: read_channel_settings" in page.text
    assert "Ask the PIM for the missing scopes" in page.text


def test_the_home_page_names_the_scopes_not_granted_with_a_request_button(
    make_browser, wants_products: Settings, pim_a: FakePim
) -> None:
    browser = make_browser(wants_products)
    pim_a.withheld_scopes = {READ_PRODUCTS}
    browser.connect(pim_a)

    home = browser.get("/")

    assert "The App needs more scopes" in home.text
    assert f"<code>{READ_PRODUCTS}</code>" in home.text
    assert '<form method="post" action="/request-scopes">' in home.text


def test_asking_for_new_scopes_tells_the_pim_then_open_app_asks_for_consent(
    make_browser, wants_products: Settings, pim_a: FakePim, storage: Storage
) -> None:
    browser = make_browser(wants_products)
    pim_a.withheld_scopes = {READ_PRODUCTS}
    browser.connect(pim_a)
    token = storage.get_connection(pim_a.url).access_token  # type: ignore[union-attr]

    page = browser.submit(browser.get("/"), "/request-scopes")

    assert page.status == 200
    assert "The PIM answered: <strong>Ok</strong>" in page.text
    [request] = pim_a.scope_requests
    assert (request.method, request.url.path) == ("POST", SCOPES_UPDATE_PATH)
    assert request.url.params["scopes"].split() == [*wants_products.scopes]
    assert request.headers["Authorization"] == f"Bearer {token}"
    assert request.headers["Content-Type"] == "application/json"
    stored = storage.get_connection(pim_a.url)
    assert stored is not None and stored.scopes_requested_at is not None
    assert "The PIM was asked for them on" in browser.get("/").text

    reopened = browser.get("/activate", {"pim_url": pim_a.url})
    assert reopened.location.startswith(f"{pim_a.url}/connect/apps/v1/authorize?")
    assert READ_PRODUCTS in scope_param(reopened.location)
    pim_a.withheld_scopes = set()
    browser.get(pim_a.authorize(reopened.location))

    granted = storage.get_connection(pim_a.url)
    assert granted is not None and READ_PRODUCTS in granted.scopes
    assert granted.scopes_requested_at is None
    assert "needs more scopes" not in browser.get("/").text


def test_when_the_pim_grants_fewer_scopes_again_the_app_does_not_loop(
    make_browser, wants_products: Settings, pim_a: FakePim, storage: Storage
) -> None:
    browser = make_browser(wants_products)
    pim_a.withheld_scopes = {READ_PRODUCTS}
    browser.connect(pim_a)
    browser.submit(browser.get("/"), "/request-scopes")
    reopened = browser.get("/activate", {"pim_url": pim_a.url})
    browser.get(pim_a.authorize(reopened.location))  # the user grants no new scope

    again = browser.get("/activate", {"pim_url": pim_a.url})

    assert again.location == "/"
    home = browser.get("/")
    assert f"<code>{READ_PRODUCTS}</code>" in home.text
    assert '<form method="post" action="/request-scopes">' in home.text
    assert browser.get("/first-api-call").status == 200  # working with the scopes it has


@pytest.mark.parametrize("form", [{}, {"csrf_token": "forged"}], ids=["no-token", "wrong-token"])
def test_a_scope_request_without_the_pages_csrf_token_is_refused(
    make_browser, wants_products: Settings, pim_a: FakePim, form: dict[str, str]
) -> None:
    browser = make_browser(wants_products)
    pim_a.withheld_scopes = {READ_PRODUCTS}
    browser.connect(pim_a)

    page = browser.post("/request-scopes", form)

    assert page.status == 403
    assert "not sent from the App" in page.text
    assert pim_a.scope_requests == []


def test_a_scope_request_from_another_browsers_page_is_refused(
    make_browser, wants_products: Settings, pim_a: FakePim
) -> None:
    pim_a.withheld_scopes = {READ_PRODUCTS}
    victim, attacker = make_browser(wants_products), make_browser(wants_products)
    victim.connect(pim_a)
    attacker.connect(pim_a)
    forged = victim.get("/")

    victim_token = forged.text.split('name="csrf_token" value="')[1].split('"')[0]
    page = attacker.post("/request-scopes", {"csrf_token": victim_token})

    assert page.status == 403
    assert pim_a.scope_requests == []


def test_a_scope_request_with_nothing_missing_is_refused(browser: Browser, pim_a: FakePim) -> None:
    browser.connect(pim_a)
    token = browser.get("/").text.split('name="csrf_token" value="')[1].split('"')[0]

    page = browser.post("/request-scopes", {"csrf_token": token})

    assert page.status == 409
    assert pim_a.scope_requests == []


def test_a_scope_request_to_a_pim_that_disconnected_the_app_is_a_disconnected_page(
    make_browser, wants_products: Settings, pim_a: FakePim, storage: Storage
) -> None:
    browser = make_browser(wants_products)
    pim_a.withheld_scopes = {READ_PRODUCTS}
    browser.connect(pim_a)
    home = browser.get("/")
    pim_a.revoke()

    page = browser.submit(home, "/request-scopes")

    assert page.status == 401
    assert "disconnected" in page.text
    stored = storage.get_connection(pim_a.url)
    assert stored is not None and stored.disconnected_at is not None
    assert stored.scopes_requested_at is None


def test_an_oversized_form_is_refused(browser: Browser, pim_a: FakePim) -> None:
    browser.connect(pim_a)

    page = browser.post("/logout", {"csrf_token": "x" * 10_000})

    assert page.status == 413
    assert "Connected to your PIM" in browser.get("/").text


def lose_the_token_key(settings: Settings) -> None:
    """As after TOKEN_ENCRYPTION_KEYS lost the key the stored tokens were written with."""
    unknown_key = Fernet(Fernet.generate_key())
    sql(
        settings.database_url,
        "UPDATE connections SET encrypted_token = :token",
        token=unknown_key.encrypt(b"a-token").decode(),
    )


def test_a_token_no_key_decrypts_asks_to_connect_again(
    browser: Browser,
    pim_a: FakePim,
    settings: Settings,
    storage: Storage,
    caplog: pytest.LogCaptureFixture,
) -> None:
    browser.connect(pim_a)
    lose_the_token_key(settings)

    with caplog.at_level(logging.WARNING):
        home = browser.get("/")
        api_call = browser.get("/first-api-call")

    assert home.status == 200
    assert "The connection needs reconnecting" in home.text
    assert "Connect again" in home.text
    assert 'href="/first-api-call"' not in home.text
    assert api_call.status == 409
    assert "needs reconnecting" in api_call.text
    assert channel_requests(pim_a) == []
    assert "TOKEN_ENCRYPTION_KEYS" in caplog.text
    assert pim_a.url in caplog.text


def test_activate_runs_a_new_authorization_when_no_key_decrypts_the_token(
    browser: Browser, pim_a: FakePim, settings: Settings, storage: Storage
) -> None:
    browser.connect(pim_a)
    lose_the_token_key(settings)

    reopened = browser.get("/activate", {"pim_url": pim_a.url})

    assert reopened.location.startswith(f"{pim_a.url}/connect/apps/v1/authorize?")
    assert browser.get(pim_a.authorize(reopened.location)).location == "/"
    stored = storage.get_connection(pim_a.url)
    assert stored is not None and not stored.token_unreadable
    assert "Connected to your PIM" in browser.get("/").text
    assert browser.get("/first-api-call").status == 200


def form_token(page_text: str) -> str:
    return page_text.split('name="csrf_token" value="')[1].split('"')[0]


def test_a_scope_request_already_made_is_refused_without_calling_the_pim(
    make_browser, wants_products: Settings, pim_a: FakePim
) -> None:
    browser = make_browser(wants_products)
    pim_a.withheld_scopes = {READ_PRODUCTS}
    browser.connect(pim_a)
    token = form_token(browser.get("/").text)
    assert browser.post("/request-scopes", {"csrf_token": token}).status == 200

    again = browser.post("/request-scopes", {"csrf_token": token})

    assert again.status == 409
    assert "The PIM was already asked for these scopes" in again.text
    assert "Open the App from the PIM" in again.text
    assert len(pim_a.scope_requests) == 1


def test_a_scope_request_is_made_again_once_the_apps_scopes_change(
    make_browser, wants_products: Settings, pim_a: FakePim
) -> None:
    first = make_browser(wants_products)
    pim_a.withheld_scopes = {READ_PRODUCTS, "read_catalog_structure"}
    first.connect(pim_a)
    first.submit(first.get("/"), "/request-scopes")
    more = dataclasses.replace(
        wants_products, scopes=(*wants_products.scopes, "read_catalog_structure")
    )
    browser = make_browser(more)
    browser.connect(pim_a)
    sql(
        more.database_url,
        "UPDATE connections SET scope_request_attempted_at = :long_ago",
        long_ago="2000-01-01 00:00:00",
    )
    home = browser.get("/")
    assert '<form method="post" action="/request-scopes">' in home.text

    page = browser.submit(home, "/request-scopes")

    assert page.status == 200
    assert len(pim_a.scope_requests) == 2
    assert "read_catalog_structure" in pim_a.scope_requests[1].url.params["scopes"]


def test_scope_requests_to_one_pim_are_at_most_one_a_minute_even_when_the_pim_failed(
    make_browser, wants_products: Settings, pim_a: FakePim
) -> None:
    browser = make_browser(wants_products)
    pim_a.withheld_scopes = {READ_PRODUCTS}
    browser.connect(pim_a)
    token = form_token(browser.get("/").text)
    pim_a.overrides[SCOPES_UPDATE_PATH] = httpx.Response(400, json={"message": "broken"})
    failed = browser.post("/request-scopes", {"csrf_token": token})
    del pim_a.overrides[SCOPES_UPDATE_PATH]

    again = browser.post("/request-scopes", {"csrf_token": token})

    assert failed.status >= 400
    assert again.status == 429
    assert "at most once a minute" in again.text
    calls = [r for r in pim_a.requests if r.url.path == SCOPES_UPDATE_PATH]
    assert len(calls) == 1
    assert '<form method="post" action="/request-scopes">' in browser.get("/").text


def test_a_long_pim_message_is_cut_on_the_page(browser: Browser, pim_a: FakePim) -> None:
    pim_a.withheld_scopes = {"read_channel_settings"}
    browser.connect(pim_a)
    pim_a.overrides[CHANNELS_PATH] = httpx.Response(403, json={"message": "word " * 100})

    page = browser.get("/first-api-call")

    assert page.status == 403
    quoted = page.text.split("The PIM said: “")[1].split("”")[0]
    assert quoted.endswith("…")
    assert len(quoted) <= 200
