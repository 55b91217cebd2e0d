"""`PimApi` through the real transport against the fake PIM's seeded catalogue: reads with
search filters and cursors, writes the PIM answers without a body, upsert lists, refusals,
media files, Catalogs for Apps, and the answers that are not objects."""
{%- set aw = "await " if cookiecutter.framework == "fastapi" else "" %}
{%- set af = "async " if cookiecutter.framework == "fastapi" else "" %}

from typing import Any

import pytest

from {{ cookiecutter.package_name }}.akeneo.client import PimApi
from {{ cookiecutter.package_name }}.akeneo.errors import (
    CatalogUnavailable,
    PimNotFound,
    PimValidationFailed,
)
from {{ cookiecutter.package_name }}.akeneo.exchange import Connection
from tests.fake_pim import KNOWN_SCOPES, FakePim, pim_transport
from tests.test_api import PIM_URL, call

PRODUCTS = "/api/rest/v1/products-uuid"
NEW_UUID = "6f1b2a3c-4d5e-4f60-8a7b-9c0d1e2f3a4b"


@pytest.fixture
def pim() -> FakePim:
    return FakePim(
        PIM_URL, client_id="app", client_secret="secret", callback_url="https://a/cb", products=120
    )


def through(pim: FakePim, action: Any) -> Any:
    """Run `action` on a `PimApi` connected to `pim` with every scope."""
    scopes = tuple(sorted(KNOWN_SCOPES))
    return call(pim_transport(pim), Connection(PIM_URL, pim.grant(scopes), scopes), action)


def test_a_family_in_filter_is_followed_through_every_search_after_page(pim: FakePim) -> None:
    search = {"family": [{"operator": "IN", "value": ["shoes", "kitchen"]}]}
    params = {"search": search, "pagination_type": "search_after", "limit": 7}

    {{ af }}def read(api: PimApi) -> list[Any]:
        return [item {{ "async " if aw }}for item in api.iter_items(PRODUCTS, params)]

    products = through(pim, read)

    expected = [
        key
        for key in sorted(pim.catalogue.product_order)
        if pim.catalogue.products[key].family in {"shoes", "kitchen"}
    ]
    assert len(expected) > 7 * 2
    assert sorted(product["uuid"] for product in products) == expected
    pages = [r for r in pim.requests if r.url.path == PRODUCTS]
    assert len(pages) >= 3
    assert "search_after" in pages[1].url.params


def test_one_channel_is_read_with_its_locales_and_currencies(pim: FakePim) -> None:
    channel = through(pim, lambda api: api.get("/api/rest/v1/channels/ecommerce"))

    assert channel["code"] == "ecommerce"
    assert "en_US" in channel["locales"] and channel["currencies"]


def test_a_patched_product_answers_204_with_location_and_a_later_get_sees_it(
    pim: FakePim,
) -> None:
    key = pim.catalogue.product_order[0]
    path = f"{PRODUCTS}/{key}"
    name = [{"locale": "en_US", "scope": None, "data": "Renamed"}]

    {{ af }}def rename(api: PimApi) -> tuple[Any, Any]:
        result = {{ aw }}api.patch(path, {"values": {"name": name}})
        return result, {{ aw }}api.get(path)

    result, product = through(pim, rename)

    assert (result.status, result.location) == (204, f"{PIM_URL}{path}")
    assert {"locale": "en_US", "scope": None, "data": "Renamed"} in product["values"]["name"]


def test_a_posted_product_answers_201_with_location_and_its_uuid(pim: FakePim) -> None:
    body = {"uuid": NEW_UUID, "identifier": "NEW-1", "family": "shoes"}

    result = through(pim, lambda api: api.post(PRODUCTS, body))

    assert (result.status, result.location) == (201, f"{PIM_URL}{PRODUCTS}/{NEW_UUID}")
    assert result.code == NEW_UUID
    assert pim.catalogue.products[NEW_UUID].identifier == "NEW-1"


def test_a_deleted_product_answers_204_and_is_then_not_found(pim: FakePim) -> None:
    path = f"{PRODUCTS}/{pim.catalogue.product_order[0]}"

    {{ af }}def delete_then_read(api: PimApi) -> Any:
        result = {{ aw }}api.delete(path)
        with pytest.raises(PimNotFound):
            {{ aw }}api.get(path)
        return result

    assert through(pim, delete_then_read).status == 204


def test_an_upsert_list_with_a_refused_line_answers_each_line(pim: FakePim) -> None:
    existing = pim.catalogue.product_order[0]
    items = [
        {"uuid": existing, "enabled": False},
        {"uuid": existing, "family": "hats"},
        {"uuid": NEW_UUID, "identifier": "NDJSON-1"},
    ]

    results = through(pim, lambda api: api.patch_list(PRODUCTS, items))

    assert [(r.line, r.key, r.status_code) for r in results] == [
        (1, existing, 204),
        (2, existing, 422),
        (3, NEW_UUID, 201),
    ]
    assert "family" in results[1].message and not results[1].ok
    assert pim.catalogue.products[existing].enabled is False
    assert pim.catalogue.products[NEW_UUID].identifier == "NDJSON-1"


def test_a_value_the_pim_refuses_is_a_422_naming_the_attribute(pim: FakePim) -> None:
    key = pim.catalogue.product_order[0]
    brand = {"brand": [{"locale": None, "scope": None, "data": "tommh"}]}

    {{ af }}def refused(api: PimApi) -> PimValidationFailed:
        with pytest.raises(PimValidationFailed) as raised:
            {{ aw }}api.patch(f"{PRODUCTS}/{key}", {"values": brand})
        return raised.value

    error = through(pim, refused)

    assert (error.status, error.message) == (422, "Validation failed.")
    [field] = error.errors
    assert (field.property, field.attribute, field.locale, field.scope) == (
        "values",
        "brand",
        None,
        None,
    )
    assert field.message == "The tommh value is not in the brand attribute option list."


def test_a_seeded_image_downloads_as_a_png_with_its_type(pim: FakePim) -> None:
    search = {"parent": [{"operator": "EMPTY"}]}

    {{ af }}def image(api: PimApi) -> Any:
        [product] = ({{ aw }}api.get_page(PRODUCTS, {"search": search, "limit": 1})).items
        code = product["values"]["image_1"][0]["data"]
        metadata = {{ aw }}api.get(f"/api/rest/v1/media-files/{code}")
        return metadata, {{ aw }}api.download(f"/api/rest/v1/media-files/{code}/download")

    metadata, (media, content) = through(pim, image)

    assert (media.content_type, media.filename) == ("image/png", metadata["original_filename"])
    assert pim.requests[-1].headers["Accept"] == "*/*"
    assert content.startswith(b"\x89PNG\r\n\x1a\n") and media.size == len(content)


def test_a_disabled_catalog_is_unavailable_and_once_enabled_lists_uuid_strings(
    pim: FakePim,
) -> None:
    created = through(pim, lambda api: api.post("/api/rest/v1/catalogs", {"name": "Store"}))
    uuids = f"/api/rest/v1/catalogs/{created.body['id']}/product-uuids"

    with pytest.raises(CatalogUnavailable) as raised:
        through(pim, lambda api: api.get_all(uuids))
    pim.catalogue.catalogs[created.body["id"]].enabled = True

    {{ af }}def read(api: PimApi) -> list[Any]:
        return [uuid {{ "async " if aw }}for uuid in api.iter_items(uuids, {"limit": 50})]

    listed = through(pim, read)

    assert created.status == 201
    assert "has been disabled on the PIM side" in raised.value.message
    enabled = [key for key in pim.catalogue.product_order if pim.catalogue.products[key].enabled]
    assert listed == enabled and all(isinstance(uuid, str) for uuid in listed)


def test_measurement_families_are_read_as_a_json_array(pim: FakePim) -> None:
    families = through(pim, lambda api: api.get("/api/rest/v1/measurement-families"))

    assert isinstance(families, list)
    assert {"Length", "Weight"} <= {family["code"] for family in families}
