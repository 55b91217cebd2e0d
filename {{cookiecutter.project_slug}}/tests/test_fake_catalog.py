"""The fake PIM's catalogue and REST API answer as the real PIM does (shapes, filters, paging,
scopes, error wordings), so that the App can be built against it offline."""

import json
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest

from tests.fake_catalog import build_catalogue
from tests.fake_catalog.answers import COLLECTION
from tests.fake_pim import AUTHORIZATION_SCOPES, FakePim, pim_transport

PIM_URL = "https://pim.example.test"
YEARS_AFTER_THE_SEED = 5 * 365 * 24 * 3600
"""Moves the fake clock well past every seeded date, whatever the machine's clock says."""
API = f"{PIM_URL}/api/rest/v1"
EVERY_SCOPE = sorted(AUTHORIZATION_SCOPES)


@pytest.fixture
def pim() -> FakePim:
    """A PIM with a smaller catalogue than the default, to keep whole-list checks quick."""
    return FakePim(
        PIM_URL, client_id="app", client_secret="secret", callback_url="https://a/cb", products=400
    )


def client_for(pim: FakePim, scopes: list[str]) -> httpx.Client:
    token = pim.grant(tuple(scopes))
    headers = {"Authorization": f"Bearer {token}", "Accept": "application/json"}
    return httpx.Client(transport=pim_transport(pim), headers=headers)


@pytest.fixture
def api(pim: FakePim) -> Iterator[httpx.Client]:
    with client_for(pim, EVERY_SCOPE) as client:
        yield client


def search(**filters: Any) -> str:
    return json.dumps(filters)


def items(response: httpx.Response) -> list[Any]:
    assert response.status_code == 200, response.text
    found: list[Any] = response.json()["_embedded"]["items"]
    return found


def follow(api: httpx.Client, url: str, params: dict[str, Any] | None = None) -> list[Any]:
    """Every item of a list, following ``next`` links as an App does."""
    found: list[Any] = []
    page = api.get(url, params=params)
    while True:
        found.extend(items(page))
        if "next" not in page.json()["_links"]:
            return found
        page = api.get(page.json()["_links"]["next"]["href"])


def ndjson(*lines: object) -> bytes:
    return b"\n".join(
        line if isinstance(line, bytes) else json.dumps(line).encode() for line in lines
    )


# -- the seeded catalogue ------------------------------------------------------------------------


def test_the_same_seed_makes_the_same_catalogue_and_another_seed_another() -> None:
    first, again, other = build_catalogue(7, 100), build_catalogue(7, 100), build_catalogue(8, 100)

    assert first.product_order == again.product_order
    assert first.product_order != other.product_order


def test_the_default_catalogue_has_the_structure_of_a_real_one() -> None:
    catalogue = build_catalogue()
    types = {attribute["type"] for attribute in catalogue.attributes.values()}
    depth = {
        code: 1
        if c["parent"] is None
        else 2
        if catalogue.categories[c["parent"]]["parent"] is None
        else 3
        for code, c in catalogue.categories.items()
    }

    assert list(catalogue.channels) == ["ecommerce", "mobile", "print"]
    assert sum(locale["enabled"] for locale in catalogue.locales.values()) >= 3
    assert sum(currency["enabled"] for currency in catalogue.currencies.values()) >= 2
    assert len(catalogue.attributes) >= 30
    assert {
        f"pim_catalog_{kind}"
        for kind in (
            "identifier",
            "text",
            "textarea",
            "number",
            "boolean",
            "date",
            "simpleselect",
            "multiselect",
            "price_collection",
            "metric",
            "image",
            "file",
        )
    } <= types
    assert len(catalogue.attribute_groups) >= 3
    assert any(catalogue.variants.values())
    assert max(depth.values()) == 3
    assert len(catalogue.products) == 2000
    assert any(model.parent for model in catalogue.product_models.values())
    assert any(product.parent for product in catalogue.products.values())


def test_a_product_has_values_per_channel_and_locale(api: httpx.Client) -> None:
    [product] = items(api.get(f"{API}/products-uuid", params={"limit": 1}))

    descriptions = product["values"]["description"]
    assert {(v["locale"], v["scope"]) for v in descriptions} >= {
        ("en_US", "ecommerce"),
        ("fr_FR", "mobile"),
        ("de_DE", "print"),
    }
    assert product["values"]["sku"] == [
        {"locale": None, "scope": None, "data": product["identifier"]}
    ]
    assert set(product) >= {"uuid", "enabled", "family", "categories", "parent", "created"}


def test_a_variant_product_shows_the_values_of_its_models(api: httpx.Client, pim: FakePim) -> None:
    variant = next(p for p in pim.catalogue.products.values() if p.parent)

    shown = api.get(f"{API}/products-uuid/{variant.uuid}").json()

    assert shown["parent"] == variant.parent
    assert {"size", "name", "price"} <= set(shown["values"])


# -- pagination -----------------------------------------------------------------------------------


def test_a_full_last_page_still_links_to_an_empty_next_page(api: httpx.Client) -> None:
    first = api.get(f"{API}/channels", params={"limit": 3})
    empty = api.get(first.json()["_links"]["next"]["href"])

    assert len(items(first)) == 3
    assert items(empty) == []
    assert "next" not in empty.json()["_links"]
    assert empty.json()["_links"]["previous"]["href"].startswith(f"{API}/channels?")


def test_with_count_adds_the_number_of_items_and_takes_only_booleans(api: httpx.Client) -> None:
    counted = api.get(f"{API}/families", params={"with_count": "true"})
    refused = api.get(f"{API}/families", params={"with_count": "yes"})

    assert counted.json()["items_count"] == 6
    assert refused.status_code == 422
    assert refused.json()["message"] == (
        'Parameter "with_count" has to be a boolean. Only "true" or "false" allowed, "yes" given.'
    )


def test_more_than_100_items_a_page_is_refused(api: httpx.Client) -> None:
    answer = api.get(f"{API}/products-uuid", params={"limit": 101})

    assert answer.status_code == 422
    assert answer.json() == {"code": 422, "message": "You cannot request more than 100 items."}


def test_deep_offset_pages_of_products_point_to_search_after(api: httpx.Client) -> None:
    answer = api.get(f"{API}/products-uuid", params={"limit": 100, "page": 101})

    assert answer.status_code == 422
    assert "Please use the search after pagination type instead" in answer.json()["message"]


def test_search_after_pages_through_every_product_once(api: httpx.Client, pim: FakePim) -> None:
    params = {"pagination_type": "search_after", "limit": 100}

    found = follow(api, f"{API}/products-uuid", params)

    assert [product["uuid"] for product in found] == pim.catalogue.product_order


def test_next_links_keep_the_filters_of_the_request(api: httpx.Client) -> None:
    query = search(enabled=[{"operator": "=", "value": False}])
    params = {"search": query, "pagination_type": "search_after", "limit": 20}

    found = follow(api, f"{API}/products-uuid", params)

    assert found
    assert all(product["enabled"] is False for product in found)


# -- search ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("filters", "holds"),
    [
        ({"enabled": [{"operator": "=", "value": True}]}, lambda p: p["enabled"]),
        (
            {"family": [{"operator": "IN", "value": ["kitchen", "shoes"]}]},
            lambda p: p["family"] in {"kitchen", "shoes"},
        ),
        (
            {"categories": [{"operator": "IN", "value": ["home_kitchen"]}]},
            lambda p: "home_kitchen" in p["categories"],
        ),
        (
            {"categories": [{"operator": "IN CHILDREN", "value": ["home"]}]},
            lambda p: {"home_kitchen", "home_furniture", "home_decor"} & set(p["categories"]),
        ),
        (
            {"updated": [{"operator": ">", "value": "2025-09-01 00:00:00"}]},
            lambda p: p["updated"] > "2025-09-01T00:00:00",
        ),
        (
            {"updated": [{"operator": "<", "value": "2025-03-01 00:00:00"}]},
            lambda p: p["updated"] < "2025-03-01T00:00:00",
        ),
        (
            {
                "updated": [
                    {"operator": "BETWEEN", "value": ["2025-04-01 00:00:00", "2025-05-01 00:00:00"]}
                ]
            },
            lambda p: "2025-04-01T00:00:00" <= p["updated"] <= "2025-05-01T00:00:00",
        ),
        ({"parent": [{"operator": "NOT EMPTY"}]}, lambda p: p["parent"] is not None),
        (
            {"color": [{"operator": "IN", "value": ["red"]}]},
            lambda p: p["values"].get("color", [{}])[0].get("data") == "red",
        ),
    ],
)
def test_a_search_keeps_exactly_the_products_that_match(
    api: httpx.Client, pim: FakePim, filters: dict[str, Any], holds: Any
) -> None:
    paging = {"pagination_type": "search_after", "limit": 100, "attributes": "color"}

    found = follow(api, f"{API}/products-uuid", {**paging, "search": json.dumps(filters)})
    everything = follow(api, f"{API}/products-uuid", paging)

    assert found
    assert [p["uuid"] for p in found] == [p["uuid"] for p in everything if holds(p)]


def test_variants_are_found_by_their_root_model(api: httpx.Client, pim: FakePim) -> None:
    root = next(m for m in pim.catalogue.product_models.values() if m.parent is None)

    found = items(
        api.get(
            f"{API}/products-uuid",
            params={"search": search(parent=[{"operator": "IN", "value": [root.code]}])},
        )
    )

    assert len(found) == 4


def test_root_product_models_are_those_without_a_parent(api: httpx.Client) -> None:
    query = search(parent=[{"operator": "EMPTY"}], family=[{"operator": "IN", "value": ["shoes"]}])

    found = items(api.get(f"{API}/product-models", params={"search": query, "limit": 100}))

    assert found
    assert all(m["parent"] is None and m["family"] == "shoes" for m in found)


def test_families_with_products_and_attributes_by_code(api: httpx.Client, pim: FakePim) -> None:
    api.post(f"{API}/families", json={"code": "empty_family", "attributes": ["sku"]})
    with_products = search(has_products=[{"operator": "=", "value": True}])
    codes = search(code=[{"operator": "IN", "value": ["sku", "name", "color"]}])

    families = items(api.get(f"{API}/families", params={"search": with_products, "limit": 100}))
    attributes = items(api.get(f"{API}/attributes", params={"search": codes, "limit": 100}))

    assert "empty_family" not in {family["code"] for family in families}
    assert len(families) == 6
    assert [a["code"] for a in attributes] == ["sku", "name", "color"]
    assert {a["type"] for a in attributes} == {
        "pim_catalog_identifier",
        "pim_catalog_text",
        "pim_catalog_simpleselect",
    }


def test_child_categories_with_their_position(api: httpx.Client) -> None:
    query = search(parent=[{"operator": "=", "value": "master"}])

    found = items(api.get(f"{API}/categories", params={"search": query, "with_position": "true"}))
    root = api.get(f"{API}/categories/master").json()

    assert [c["position"] for c in found] == list(range(1, len(found) + 1))
    assert all(c["parent"] == "master" for c in found)
    assert root["parent"] is None


def test_a_malformed_or_unknown_filter_is_refused(api: httpx.Client) -> None:
    malformed = api.get(f"{API}/products-uuid", params={"search": "{not json"})
    unknown = api.get(
        f"{API}/products-uuid", params={"search": search(colour=[{"operator": "IN", "value": []}])}
    )

    assert malformed.status_code == 400
    assert malformed.json()["message"] == "Search query parameter should be valid JSON."
    assert unknown.status_code == 422
    assert unknown.json()["message"] == (
        'Filter on property "colour" is not supported or does not support operator "IN"'
    )


def test_values_are_narrowed_to_the_asked_channel_locales_and_attributes(api: httpx.Client) -> None:
    params = {"scope": "mobile", "locales": "fr_FR", "attributes": "description,name", "limit": 5}

    for product in items(api.get(f"{API}/products-uuid", params=params)):
        assert set(product["values"]) <= {"description", "name"}
        for values in product["values"].values():
            assert all(v["scope"] in (None, "mobile") and v["locale"] == "fr_FR" for v in values)


def test_an_unknown_channel_or_locale_is_refused(api: httpx.Client) -> None:
    channel = api.get(f"{API}/products-uuid", params={"scope": "web"})
    locale = api.get(f"{API}/products-uuid", params={"locales": "xx_XX"})

    assert channel.json()["message"] == 'Scope "web" does not exist.'
    assert locale.json()["message"] == 'Locales "xx_XX" do not exist or are not activated.'


def test_option_labels_come_with_attribute_options(api: httpx.Client) -> None:
    query = search(color=[{"operator": "IN", "value": ["red"]}])
    params = {"search": query, "with_attribute_options": "true", "limit": 1}

    [product] = items(api.get(f"{API}/products-uuid", params=params))

    assert product["values"]["color"][0]["linked_data"] == {
        "attribute": "color",
        "code": "red",
        "labels": {"en_US": "Red", "fr_FR": "Rouge", "de_DE": "Rot"},
    }


# -- headers and scopes ---------------------------------------------------------------------------


def test_another_accept_header_is_refused_with_406(api: httpx.Client) -> None:
    answer = api.get(f"{API}/channels", headers={"Accept": "text/html"})

    assert answer.status_code == 406
    assert answer.json()["message"] == (
        "'text/html' in 'Accept' header is not valid. Only 'application/json' is allowed."
    )


def test_a_write_with_another_content_type_is_refused_with_415(api: httpx.Client) -> None:
    answer = api.post(f"{API}/families", content=b"code=x", headers={"Content-Type": "text/plain"})

    assert answer.status_code == 415
    assert "'text/plain' in 'Content-type' header is not valid." in answer.json()["message"]


@pytest.mark.parametrize(
    ("method", "path", "scope", "message"),
    [
        ("GET", "/products-uuid", "read_channel_settings", "list products"),
        ("GET", "/families", "read_products", "list families"),
        ("GET", "/categories", "read_products", "list categories"),
        ("GET", "/locales", "read_channel_settings", "list locales"),
        ("GET", "/attributes/color/options", "read_catalog_structure", "list attribute options"),
        ("POST", "/families", "read_catalog_structure", "create or update families"),
        ("DELETE", "/products-uuid/x", "write_products", "delete products"),
        ("GET", "/catalogs", "read_products", "list catalogs"),
    ],
)
def test_each_endpoint_needs_its_scope(
    pim: FakePim, method: str, path: str, scope: str, message: str
) -> None:
    with client_for(pim, [scope]) as client:
        answer = client.request(method, f"{API}{path}", json={})

    assert answer.status_code == 403
    assert answer.json()["message"] == f"Access forbidden. You are not allowed to {message}."


def test_a_write_scope_grants_reading(pim: FakePim) -> None:
    with client_for(pim, ["write_products"]) as client:
        assert client.get(f"{API}/products-uuid").status_code == 200


# -- writes ---------------------------------------------------------------------------------------


def test_a_created_product_is_read_back_where_location_points(api: httpx.Client) -> None:
    body = {
        "identifier": "NEW-1",
        "family": "kitchen",
        "categories": ["home_kitchen"],
        "values": {"name": [{"locale": "en_US", "scope": None, "data": "Teapot"}]},
    }

    created = api.post(f"{API}/products-uuid", json=body)
    product = api.get(created.headers["Location"]).json()

    assert created.status_code == 201
    assert created.content == b""
    assert product["identifier"] == "NEW-1"
    assert product["values"]["name"] == [{"locale": "en_US", "scope": None, "data": "Teapot"}]


def test_an_update_changes_values_and_the_updated_time(api: httpx.Client, pim: FakePim) -> None:
    key = pim.catalogue.product_order[0]
    before = api.get(f"{API}/products-uuid/{key}").json()
    pim.advance(YEARS_AFTER_THE_SEED)

    answer = api.patch(
        f"{API}/products-uuid/{key}",
        json={
            "enabled": not before["enabled"],
            "values": {"name": [{"locale": "fr_FR", "scope": None, "data": "Neu"}]},
        },
    )
    after = api.get(f"{API}/products-uuid/{key}").json()

    assert answer.status_code == 204
    assert answer.headers["Location"] == f"{API}/products-uuid/{key}"
    assert after["enabled"] is not before["enabled"]
    assert {"locale": "fr_FR", "scope": None, "data": "Neu"} in after["values"]["name"]
    assert after["updated"] > before["updated"]


def test_a_patch_on_an_unknown_uuid_creates_the_product(api: httpx.Client) -> None:
    key = "3f2f0b3c-7b0d-4d8e-9e55-4f7f3b0e7a11"

    answer = api.patch(f"{API}/products-uuid/{key}", json={"identifier": "BY-UUID"})

    assert answer.status_code == 201
    assert api.get(f"{API}/products-uuid/{key}").json()["identifier"] == "BY-UUID"


def test_a_deleted_product_is_gone(api: httpx.Client, pim: FakePim) -> None:
    key = pim.catalogue.product_order[3]

    deleted = api.delete(f"{API}/products-uuid/{key}")

    assert deleted.status_code == 204
    assert api.get(f"{API}/products-uuid/{key}").status_code == 404
    assert key not in pim.catalogue.product_order


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (
            {"colour": "red"},
            'Property "colour" does not exist. Check the standard format documentation.',
        ),
        (
            {"family": "hats"},
            'Property "family" expects a valid family code. The family does not exist, '
            '"hats" given.',
        ),
        (
            {"categories": ["sunglasses"]},
            "The sunglasses category does not exist in your PIM. Check the expected format on "
            "the API documentation.",
        ),
        ({"enabled": "yes"}, 'Property "enabled" expects a boolean as data, "string" given.'),
        (
            {"values": {"name": [{"locale": None, "scope": None, "data": "x"}]}},
            'Attribute "name" expects a locale, none given.',
        ),
        (
            {"values": {"brand": [{"locale": None, "scope": None, "data": "tommh"}]}},
            "Validation failed.",
        ),
    ],
)
def test_a_refused_write_says_why_as_the_pim_words_it_and_changes_nothing(
    api: httpx.Client, pim: FakePim, body: dict[str, Any], message: str
) -> None:
    key = pim.catalogue.product_order[0]
    before = api.get(f"{API}/products-uuid/{key}").json()

    answer = api.patch(f"{API}/products-uuid/{key}", json=body)

    assert answer.status_code == 422
    assert answer.json()["message"] == message
    assert api.get(f"{API}/products-uuid/{key}").json() == before


def test_an_unknown_option_names_the_attribute_value_and_option_list(api: httpx.Client) -> None:
    body = {
        "identifier": "X",
        "values": {"brand": [{"locale": None, "scope": None, "data": "tommh"}]},
    }

    answer = api.post(f"{API}/products-uuid", json=body)

    assert answer.json() == {
        "code": 422,
        "message": "Validation failed.",
        "errors": [
            {
                "property": "values",
                "message": "The tommh value is not in the brand attribute option list.",
                "attribute": "brand",
                "locale": None,
                "scope": None,
            }
        ],
    }


def test_an_upsert_list_answers_each_line_and_a_failed_line_fails_alone(
    api: httpx.Client, pim: FakePim
) -> None:
    existing = pim.catalogue.product_order[0]
    new = "0d6e2c2b-4c1e-4f7e-8a2e-0f0c3f0e9b01"
    lines = ndjson(
        {"uuid": existing, "enabled": False},
        {"uuid": new, "identifier": "NDJSON-1"},
        {"uuid": existing, "family": "hats"},
        b"{not json",
    )

    answer = api.patch(f"{API}/products-uuid", content=lines, headers={"Content-Type": COLLECTION})
    answers = [json.loads(line) for line in answer.text.splitlines()]

    assert answer.headers["Content-Type"] == COLLECTION
    assert [(a["line"], a["status_code"]) for a in answers] == [
        (1, 204),
        (2, 201),
        (3, 422),
        (4, 400),
    ]
    assert answers[0]["uuid"] == existing
    assert "family" in answers[2]["message"]
    assert pim.catalogue.products[existing].enabled is False
    assert pim.catalogue.products[new].identifier == "NDJSON-1"


def test_an_upsert_list_of_families_answers_codes(api: httpx.Client) -> None:
    lines = ndjson(
        {"code": "hats", "attributes": ["sku", "name"]},
        {"code": "shoes", "labels": {"en_US": "Shoes!"}},
    )

    answer = api.patch(f"{API}/families", content=lines, headers={"Content-Type": COLLECTION})

    assert [json.loads(line) for line in answer.text.splitlines()] == [
        {"line": 1, "code": "hats", "status_code": 201},
        {"line": 2, "code": "shoes", "status_code": 204},
    ]
    assert api.get(f"{API}/families/shoes").json()["labels"]["en_US"] == "Shoes!"
    assert api.get(f"{API}/families/shoes").json()["labels"]["fr_FR"] == "Chaussures"


def test_an_upsert_list_needs_its_content_type_and_at_most_100_lines(api: httpx.Client) -> None:
    wrong = api.patch(
        f"{API}/families",
        content=ndjson({"code": "a"}),
        headers={"Content-Type": "application/json"},
    )
    many = api.patch(
        f"{API}/families",
        content=ndjson(*({"code": f"f{n}"} for n in range(101))),
        headers={"Content-Type": COLLECTION},
    )

    assert wrong.status_code == 415
    assert many.status_code == 413


def test_structure_is_created_and_changed_through_the_api(api: httpx.Client) -> None:
    attribute = api.post(
        f"{API}/attributes",
        json={"code": "season", "type": "pim_catalog_simpleselect", "group": "marketing"},
    )
    option = api.post(
        f"{API}/attributes/season/options", json={"code": "summer", "labels": {"en_US": "Summer"}}
    )
    category = api.patch(f"{API}/categories/home_garden", json={"parent": "home"})
    variant = api.post(
        f"{API}/families/clothing/variants",
        json={
            "code": "clothing_by_size",
            "variant_attribute_sets": [{"level": 1, "axes": ["size"], "attributes": ["size"]}],
        },
    )
    duplicate = api.post(f"{API}/families", json={"code": "shoes"})

    assert (
        attribute.status_code,
        option.status_code,
        category.status_code,
        variant.status_code,
    ) == (201, 201, 201, 201)
    assert option.headers["Location"] == f"{API}/attributes/season/options/summer"
    assert api.get(f"{API}/attributes/season/options/summer").json()["attribute"] == "season"
    assert api.get(f"{API}/categories/home_garden").json()["parent"] == "home"
    assert len(items(api.get(f"{API}/families/clothing/variants"))) == 2
    assert duplicate.json()["errors"] == [
        {"property": "code", "message": "This value is already used."}
    ]


def test_locales_currencies_and_measurement_families(api: httpx.Client) -> None:
    enabled = search(enabled=[{"operator": "=", "value": True}])

    locales = items(api.get(f"{API}/locales", params={"search": enabled}))
    currencies = items(api.get(f"{API}/currencies", params={"search": enabled}))
    measurements = api.get(f"{API}/measurement-families").json()

    assert {locale["code"] for locale in locales} == {"en_US", "fr_FR", "de_DE"}
    assert {currency["code"] for currency in currencies} == {"USD", "EUR"}
    assert isinstance(measurements, list)
    assert {"Weight", "Length"} <= {family["code"] for family in measurements}


# -- media files ----------------------------------------------------------------------------------


def test_a_product_image_downloads_as_a_png(api: httpx.Client) -> None:
    query = search(parent=[{"operator": "EMPTY"}])
    [product] = items(api.get(f"{API}/products-uuid", params={"search": query, "limit": 1}))
    image = product["values"]["image_1"][0]

    metadata = api.get(f"{API}/media-files/{image['data']}").json()
    download = api.get(image["_links"]["download"]["href"])

    assert metadata["mime_type"] == "image/png"
    assert metadata["size"] == len(download.content)
    assert download.headers["Content-Type"] == "image/png"
    assert download.content.startswith(b"\x89PNG\r\n\x1a\n")


def test_an_uploaded_file_becomes_the_products_value(api: httpx.Client, pim: FakePim) -> None:
    key = pim.catalogue.product_order[10]
    product = json.dumps({"uuid": key, "attribute": "image_2", "scope": None, "locale": None})

    upload = api.post(
        f"{API}/media-files",
        data={"product": product},
        files={"file": ("photo.png", b"\x89PNG\r\n\x1a\nbytes", "image/png")},
    )
    code = api.get(f"{API}/products-uuid/{key}").json()["values"]["image_2"][0]["data"]

    assert upload.status_code == 201
    assert upload.headers["Location"] == f"{API}/media-files/{code}"
    assert api.get(f"{API}/media-files/{code}/download").content == b"\x89PNG\r\n\x1a\nbytes"


def test_an_unknown_media_file_is_not_found(api: httpx.Client) -> None:
    assert api.get(f"{API}/media-files/a/b/c/d/nothing.png/download").status_code == 404


# -- Catalogs for Apps ----------------------------------------------------------------------------


def new_catalog(api: httpx.Client) -> dict[str, Any]:
    created = api.post(f"{API}/catalogs", json={"name": "Store FR", "managed_locales": ["fr_FR"]})
    assert created.status_code == 201, created.text
    catalog: dict[str, Any] = created.json()
    return catalog


def test_a_new_catalog_is_disabled_and_its_products_say_so_with_200(api: httpx.Client) -> None:
    catalog = new_catalog(api)

    answer = api.get(f"{API}/catalogs/{catalog['id']}/product-uuids")

    assert catalog["enabled"] is False
    assert answer.status_code == 200
    assert answer.json() == {
        "error": f'No products to synchronize. The catalog "{catalog["id"]}" has been disabled '
        "on the PIM side. Note that you can get catalogs status with the GET "
        "/api/rest/v1/catalogs endpoint."
    }


def test_an_enabled_catalog_lists_uuids_as_strings_page_by_page(
    api: httpx.Client, pim: FakePim
) -> None:
    catalog = new_catalog(api)
    pim.catalogue.catalogs[catalog["id"]].enabled = True

    uuids = follow(api, f"{API}/catalogs/{catalog['id']}/product-uuids", {"limit": 500})

    enabled = [key for key in pim.catalogue.product_order if pim.catalogue.products[key].enabled]
    assert uuids == enabled


def test_catalog_products_and_mapped_products(api: httpx.Client, pim: FakePim) -> None:
    catalog = new_catalog(api)
    pim.catalogue.catalogs[catalog["id"]].enabled = True
    base = f"{API}/catalogs/{catalog['id']}"

    [product] = items(api.get(f"{base}/products", params={"limit": 1}))
    without_schema = api.get(f"{base}/mapped-products")
    schema = {"$id": "x", "properties": {"uuid": {"type": "string"}, "name": {"type": "string"}}}
    put = api.put(f"{base}/mapping-schemas/product", json=schema)
    [mapped] = items(api.get(f"{base}/mapped-products", params={"limit": 1}))

    assert {v["locale"] for v in product["values"]["name"]} == {"fr_FR"}
    assert without_schema.status_code == 200
    assert without_schema.json() == {
        "error": "Impossible to map products: no product mapping schema available for this catalog."
    }
    assert put.status_code == 204
    assert mapped == {"uuid": product["uuid"], "name": mapped["name"]}
    assert isinstance(mapped["name"], str) and mapped["name"]


def test_catalogs_are_listed_patched_and_deleted_by_their_app_only(
    api: httpx.Client, pim: FakePim
) -> None:
    catalog = new_catalog(api)
    url = f"{API}/catalogs/{catalog['id']}"
    other = FakePim(PIM_URL, client_id="other-app", client_secret="s", callback_url="https://b/cb")
    other.catalogue = pim.catalogue  # the same PIM, seen by another App
    with client_for(other, EVERY_SCOPE) as stranger:
        hidden = stranger.get(url)
        theirs = items(stranger.get(f"{API}/catalogs"))

    patched = api.patch(url, json={"name": "Store France"})
    listed = items(api.get(f"{API}/catalogs"))
    deleted = api.delete(url)

    assert hidden.status_code == 404
    assert theirs == []
    assert patched.json()["name"] == "Store France"
    assert [c["name"] for c in listed] == ["Store France"]
    assert deleted.status_code == 204
    assert api.get(url).status_code == 404


# -- a large catalogue ----------------------------------------------------------------------------


def test_a_catalogue_of_100000_products_is_paged_to_the_end() -> None:
    pim = FakePim(
        PIM_URL, client_id="app", client_secret="s", callback_url="https://a/cb", products=100_000
    )
    with client_for(pim, EVERY_SCOPE) as api:
        catalog = new_catalog(api)
        pim.catalogue.catalogs[catalog["id"]].enabled = True
        uuids = follow(api, f"{API}/catalogs/{catalog['id']}/product-uuids", {"limit": 1000})
        last = api.get(
            f"{API}/products-uuid",
            params={
                "pagination_type": "search_after",
                "search_after": pim.catalogue.product_order[-2],
                "limit": 100,
            },
        )

    assert len(set(uuids)) == len(uuids) == sum(p.enabled for p in pim.catalogue.products.values())
    assert len(pim.catalogue.products) == 100_000
    assert [p["uuid"] for p in items(last)] == pim.catalogue.product_order[-1:]
    assert "next" not in last.json()["_links"]


def test_product_models_are_created_updated_and_deleted(api: httpx.Client, pim: FakePim) -> None:
    body = {
        "code": "new_jacket",
        "family": "clothing",
        "family_variant": "clothing_by_color_size",
        "categories": ["apparel_outerwear"],
        "values": {"name": [{"locale": "en_US", "scope": None, "data": "New jacket"}]},
    }

    created = api.post(f"{API}/product-models", json=body)
    updated = api.patch(f"{API}/product-models/new_jacket", json={"categories": ["apparel_tops"]})
    shown = api.get(f"{API}/product-models/new_jacket").json()
    deleted = api.delete(f"{API}/product-models/new_jacket")

    assert created.status_code == 201
    assert created.headers["Location"] == f"{API}/product-models/new_jacket"
    assert updated.status_code == 204
    assert shown["categories"] == ["apparel_tops"]
    assert shown["values"]["name"] == [{"locale": "en_US", "scope": None, "data": "New jacket"}]
    assert deleted.status_code == 204
    assert "new_jacket" not in pim.catalogue.product_models


def test_a_product_model_with_children_is_not_deleted(api: httpx.Client, pim: FakePim) -> None:
    root = next(m for m in pim.catalogue.product_models.values() if m.parent is None)

    answer = api.delete(f"{API}/product-models/{root.code}")

    assert answer.status_code == 422
    assert root.code in pim.catalogue.product_models


def test_an_unknown_family_variant_is_refused(api: httpx.Client) -> None:
    body = {"code": "x", "family": "clothing", "family_variant": "by_mood"}

    answer = api.post(f"{API}/product-models", json=body)

    assert answer.status_code == 422
    assert answer.json()["message"] == (
        'Property "family_variant" expects a valid family variant code. The family variant '
        'does not exist, "by_mood" given.'
    )


def test_options_exist_only_for_select_attributes(api: httpx.Client) -> None:
    options = items(api.get(f"{API}/attributes/color/options", params={"limit": 100}))
    refused = api.get(f"{API}/attributes/name/options")

    assert {"code": "red", "attribute": "color"}.items() <= options[2].items()
    assert refused.status_code == 404


def test_measurement_families_are_upserted_from_a_json_array(api: httpx.Client) -> None:
    answer = api.patch(
        f"{API}/measurement-families",
        json=[{"code": "Weight", "labels": {"fr_FR": "Masse"}}, {"code": "Speed", "units": {}}],
    )
    families = {f["code"]: f for f in api.get(f"{API}/measurement-families").json()}

    assert answer.json() == [
        {"code": "Weight", "status_code": 204},
        {"code": "Speed", "status_code": 201},
    ]
    assert families["Weight"]["labels"]["fr_FR"] == "Masse"
    assert families["Weight"]["labels"]["en_US"] == "Weight"


def test_an_unknown_item_is_a_404_with_the_pims_wording(api: httpx.Client) -> None:
    answer = api.get(f"{API}/families/hats")

    assert answer.status_code == 404
    assert answer.json() == {"code": 404, "message": "Resource `hats` does not exist."}


def test_an_edited_product_is_found_among_those_updated_since_yesterday(
    api: httpx.Client, pim: FakePim
) -> None:
    pim.advance(YEARS_AFTER_THE_SEED)
    key = pim.catalogue.product_order[7]
    query = search(updated=[{"operator": "SINCE LAST N DAYS", "value": 1}])
    before = items(api.get(f"{API}/products-uuid", params={"search": query}))

    api.patch(f"{API}/products-uuid/{key}", json={"enabled": True})
    after = items(api.get(f"{API}/products-uuid", params={"search": query}))

    assert before == []
    assert [product["uuid"] for product in after] == [key]


def test_catalog_products_updated_after_a_moment(api: httpx.Client, pim: FakePim) -> None:
    pim.advance(YEARS_AFTER_THE_SEED)
    catalog = new_catalog(api)
    pim.catalogue.catalogs[catalog["id"]].enabled = True
    key = next(k for k in pim.catalogue.product_order if pim.catalogue.products[k].enabled)
    moment = datetime.fromtimestamp(pim.now() - 60, UTC).isoformat()
    api.patch(f"{API}/products-uuid/{key}", json={"family": "kitchen"})
    base = f"{API}/catalogs/{catalog['id']}/product-uuids"

    recent = items(api.get(base, params={"updated_after": moment}))
    refused = api.get(base, params={"updated_after": "yesterday"})

    assert recent == [key]
    assert refused.status_code == 422
