"""The Products page: the first channel's products a page at a time, following the PIM's cursor;
and the pages of the PIM's refusals, with the PIM's own words."""

import html
import re
from collections.abc import Callable
from dataclasses import replace
from typing import Any

import httpx

from {{ cookiecutter.package_name }}.settings import Settings
from tests.conftest import Browser
from tests.fake_pim import CHANNELS_PATH, FakePim

PRODUCTS_PATH = "/api/rest/v1/products-uuid"


def products_page(pim: FakePim, uuids: list[str], cursor: str | None) -> httpx.Response:
    links: dict[str, Any] = {"self": {"href": f"{pim.url}{PRODUCTS_PATH}"}}
    if cursor is not None:
        links["next"] = {
            "href": f"{pim.url}{PRODUCTS_PATH}?pagination_type=search_after&limit=20"
            f"&search_after={cursor}"
        }
    items = [
        {"uuid": uuid, "identifier": f"sku-{uuid}", "family": "shoes", "enabled": True}
        for uuid in uuids
    ]
    return httpx.Response(200, json={"_links": links, "_embedded": {"items": items}})


def products_requests(pim: FakePim) -> list[httpx.Request]:
    return [request for request in pim.requests if request.url.path == PRODUCTS_PATH]


def test_the_home_page_links_to_the_products_page(browser: Browser, pim_a: FakePim) -> None:
    browser.connect(pim_a)

    assert 'href="/products"' in browser.get("/").text


def test_the_products_page_follows_the_pims_cursor_through_the_catalogue(
    make_browser: Callable[..., Browser], settings: Settings, pim_a: FakePim
) -> None:
    reads_products = replace(settings, scopes=(*settings.scopes, "read_products"))
    browser = make_browser(reads_products)
    browser.connect(pim_a)
    catalogue = pim_a.catalogue
    first = catalogue.products[min(catalogue.product_order)]

    shown: list[str] = []
    page = browser.get("/products")
    for _ in range(3):
        assert page.status == 200
        shown += re.findall(r'<code class="long">([^<]+)</code>', page.text)
        [next_link] = re.findall(r'<a href="([^"]+)" rel="next">', page.text)
        page = browser.get(html.unescape(next_link))

    assert shown == sorted(catalogue.product_order)[:60]
    assert f"<code>{first.identifier}</code>" in browser.get("/products").text
    assert "channel\n  <code>ecommerce</code> in locale <code>en_US</code>" in page.text
    first_request, second_request, *_ = products_requests(pim_a)
    assert first_request.url.params["scope"] == "ecommerce"
    assert first_request.url.params["locales"] == "en_US"
    assert first_request.url.params["pagination_type"] == "search_after"
    assert "search_after" not in first_request.url.params
    assert second_request.url.params["search_after"] == shown[19]


def test_a_product_renamed_in_the_pim_shows_its_new_name(
    make_browser: Callable[..., Browser], settings: Settings, pim_a: FakePim
) -> None:
    browser = make_browser(replace(settings, scopes=(*settings.scopes, "read_products")))
    browser.connect(pim_a)
    key = min(pim_a.catalogue.product_order)
    renamed = {"values": {"name": [{"locale": "en_US", "scope": None, "data": "Café <Neuf>"}]}}
    # As the simulator's edit form saves it: through the PIM's API, with the user's rights.
    edit = httpx.Request(
        "PATCH",
        f"{pim_a.url}{PRODUCTS_PATH}/{key}",
        json=renamed,
        headers={"Accept": "application/json"},
    )
    written = pim_a.api.handle(edit, frozenset({"write_products"}))

    page = browser.get("/products")

    assert written is not None and written.status_code == 204
    assert '<td data-label="Name">Café &lt;Neuf&gt;</td>' in page.text


def test_a_cursor_from_the_browser_only_ever_reaches_the_products_endpoint(
    browser: Browser, pim_a: FakePim
) -> None:
    browser.connect(pim_a)
    pim_a.overrides[PRODUCTS_PATH] = products_page(pim_a, [], cursor=None)

    page = browser.get("/products?after=https://elsewhere.test/api/rest/v1/users")

    assert page.status == 200
    [request] = products_requests(pim_a)
    assert request.url.host == httpx.URL(pim_a.url).host
    assert request.url.params["search_after"] == "https://elsewhere.test/api/rest/v1/users"


def test_a_pim_without_products_scope_gives_the_missing_scope_page(
    browser: Browser, pim_a: FakePim
) -> None:
    browser.connect(pim_a)
    refusal = {"code": 403, "message": "Access forbidden. You are not allowed to list products."}
    pim_a.overrides[PRODUCTS_PATH] = httpx.Response(403, json=refusal)

    page = browser.get("/products")

    assert page.status == 403
    assert "You are not allowed to list products." in page.text


def test_a_422_page_shows_the_pims_message_escaped_with_advice_about_the_data(
    browser: Browser, pim_a: FakePim
) -> None:
    browser.connect(pim_a)
    pim_a.overrides[PRODUCTS_PATH] = httpx.Response(
        422,
        json={
            "code": 422,
            "message": "Validation <b>failed</b>.",
            "errors": [{"property": "values", "message": "Bad brand.", "attribute": "brand"}],
        },
    )

    page = browser.get("/products")

    assert page.status == 422
    assert "The PIM said: “Validation &lt;b&gt;failed&lt;/b&gt;.”" in page.text
    assert "brand: Bad brand." in page.text
    assert "request&#39;s data" in page.text or "request's data" in page.text
    assert "check that pim_url is a PIM" not in page.text


def test_a_pim_server_error_page_keeps_its_status_and_message(
    browser: Browser, pim_a: FakePim
) -> None:
    browser.connect(pim_a)
    pim_a.overrides[PRODUCTS_PATH] = httpx.Response(500, json={"code": 500, "message": "Boom"})

    page = browser.get("/products")

    assert page.status == 502
    assert "HTTP 500" in page.text and "The PIM said: “Boom”" in page.text


def test_a_refused_request_page_names_the_status(browser: Browser, pim_a: FakePim) -> None:
    browser.connect(pim_a)
    pim_a.overrides[CHANNELS_PATH] = httpx.Response(
        406, json={"code": 406, "message": "'x' in 'Accept' header is not valid."}
    )

    page = browser.get("/products")

    assert page.status == 502
    assert "HTTP 406" in page.text and "header is not valid" in page.text


def test_a_disabled_catalog_gets_its_own_page(browser: Browser, pim_a: FakePim) -> None:
    browser.connect(pim_a)
    pim_a.overrides[PRODUCTS_PATH] = httpx.Response(
        200, json={"error": "No products to synchronize. The catalog has been disabled."}
    )

    page = browser.get("/products")

    assert page.status == 409
    assert "has been disabled" in page.text


def test_a_channels_list_too_long_for_one_page_says_so(browser: Browser, pim_a: FakePim) -> None:
    browser.connect(pim_a)

    def channels_page(number: int) -> httpx.Response:
        body = {
            "_links": {"next": {"href": f"{pim_a.url}{CHANNELS_PATH}?page={number + 1}"}},
            "_embedded": {"items": [{"code": f"channel_{number}", "labels": {}}]},
        }
        return httpx.Response(200, json=body)

    pim_a.next_answers[CHANNELS_PATH] = [channels_page(n) for n in range(1, 102)]

    page = browser.get("/first-api-call")

    assert page.status == 500
    assert "The list is too long for one page" in page.text
    assert "more than 100 pages" in page.text
    assert "check that pim_url is a PIM" not in page.text


def test_a_next_link_back_to_a_page_already_read_is_a_bad_answer(
    browser: Browser, pim_a: FakePim
) -> None:
    browser.connect(pim_a)
    looping = {
        "_links": {"next": {"href": f"{pim_a.url}{CHANNELS_PATH}?page=2"}},
        "_embedded": {"items": [{"code": "x", "labels": {}}]},
    }
    pim_a.overrides[CHANNELS_PATH] = httpx.Response(200, json=looping)

    page = browser.get("/first-api-call")

    assert page.status == 502
    assert "already read" in page.text


def test_a_product_without_uuid_is_a_bad_answer(browser: Browser, pim_a: FakePim) -> None:
    browser.connect(pim_a)
    pim_a.overrides[PRODUCTS_PATH] = httpx.Response(
        200, json={"_links": {}, "_embedded": {"items": [{"identifier": "x"}]}}
    )

    page = browser.get("/products")

    assert page.status == 502
    assert "without a uuid" in page.text
