"""Catalogs for Apps: the App's own catalogs, their products, mapping schema and mapped products.

A new catalog is disabled until a PIM user enables it (``Catalog.enabled``; the simulator's
catalogue page does it): meanwhile its product endpoints answer HTTP 200 with an ``error``.
An enabled catalog selects the enabled products, as the PIM's default criteria do.
"""

import uuid
from collections.abc import Callable, Iterator
from datetime import datetime

import httpx

from .answers import (
    Answer,
    ApiError,
    Item,
    json_answer,
    json_body,
    limit_of,
    no_content,
    offset_page,
    search_after_page,
    validation_failed,
)
from .model import Catalog, Product
from .products import Reading, all_values, keys_after, render_product
from .routes import Call, Router
from .seed import product_values

CATALOGS = "/api/rest/v1/catalogs"
MAX_CATALOGS = 200
MAX_UUIDS_PAGE = 1000
NOT_FOUND = "Either you do not have access to this catalog or it does not exist."
NO_SCHEMA = "Impossible to map products: no product mapping schema available for this catalog."


def disabled_message(catalog: Catalog) -> str:
    return (
        f'No products to synchronize. The catalog "{catalog.id}" has been disabled on the PIM '
        "side. Note that you can get catalogs status with the GET /api/rest/v1/catalogs endpoint."
    )


def render(catalog: Catalog) -> Item:
    return {
        "id": catalog.id,
        "name": catalog.name,
        "enabled": catalog.enabled,
        "managed_currencies": catalog.managed_currencies,
        "managed_locales": catalog.managed_locales,
    }


def owned(call: Call) -> Catalog:
    catalog = call.catalogue.catalogs.get(call.params["id"])
    if catalog is None or catalog.owner != call.pim.client_id:
        raise ApiError(404, NOT_FOUND)
    return catalog


def _fields(call: Call, body: Item, catalog: Catalog) -> None:
    name = body.get("name", catalog.name)
    if not isinstance(name, str) or not name.strip() or len(name) > 255:
        raise validation_failed(
            [{"property": "name", "message": "This value should not be blank."}]
        )
    catalog.name = name
    for key, known in (
        ("managed_currencies", call.catalogue.currencies),
        ("managed_locales", call.catalogue.locales),
    ):
        if key in body:
            codes = body[key]
            if codes is not None and (
                not isinstance(codes, list) or any(c not in known for c in codes)
            ):
                raise validation_failed(
                    [{"property": key, "message": f"{key} must list codes known to the PIM."}]
                )
            setattr(catalog, key, codes)


def list_catalogs(call: Call) -> httpx.Response:
    mine = [render(c) for c in call.catalogue.catalogs.values() if c.owner == call.pim.client_id]
    return offset_page(call.request, call.pim.url, mine, lambda item: item)


def create(call: Call) -> httpx.Response:
    body = json_body(call.request)
    mine = [c for c in call.catalogue.catalogs.values() if c.owner == call.pim.client_id]
    if len(mine) >= MAX_CATALOGS:
        raise ApiError(422, f"You can have a maximum of {MAX_CATALOGS} catalogs.")
    catalog = Catalog(str(uuid.uuid4()), "", call.pim.client_id)
    _fields(call, {"name": body.get("name")} | body, catalog)
    call.catalogue.catalogs[catalog.id] = catalog
    return json_answer(201, render(catalog), {"Location": call.link(f"{CATALOGS}/{catalog.id}")})


def get(call: Call) -> httpx.Response:
    return json_answer(200, render(owned(call)))


def patch(call: Call) -> httpx.Response:
    catalog = owned(call)
    body = json_body(call.request)
    changed = Catalog(**vars(catalog))
    _fields(call, body, changed)
    call.catalogue.catalogs[catalog.id] = changed
    return json_answer(200, render(changed))


def delete(call: Call) -> httpx.Response:
    catalog = owned(call)
    del call.catalogue.catalogs[catalog.id]
    return no_content()


def _selection(call: Call, catalog: Catalog) -> Callable[[str | None], Iterator[str]]:
    """The catalog's products (the enabled ones), within ``updated_after``/``updated_before``."""
    params = call.request.url.params
    bounds: list[tuple[str, datetime]] = []
    for name in ("updated_after", "updated_before"):
        if name in params:
            try:
                moment = datetime.fromisoformat(params[name].replace("Z", "+00:00"))
            except ValueError:
                moment = None
            if moment is None or moment.tzinfo is None:
                raise ApiError(422, f"{name} must be a date in the ISO 8601 format.")
            bounds.append((name, moment))

    def selected(product: Product) -> bool:
        if not product.enabled:
            return False
        if not bounds:
            return True
        updated = datetime.fromisoformat(product.updated)
        return all(updated > m if n == "updated_after" else updated < m for n, m in bounds)

    catalogue = call.catalogue
    return keys_after(catalogue.product_order, catalogue.products.__getitem__, selected)


def product_uuids(call: Call) -> httpx.Response:
    catalog = enabled(call, products=False)
    limit = limit_of(call.request, default=100, maximum=MAX_UUIDS_PAGE)
    keys = _selection(call, catalog)
    return search_after_page(call.request, call.pim.url, keys, lambda page: page, limit=limit)


def _catalog_reading(call: Call, catalog: Catalog) -> Reading:
    reading = Reading(call)
    if catalog.managed_locales is not None and reading.locales is None:
        reading.locales = set(catalog.managed_locales)
    return reading


def enabled(call: Call, *, products: bool) -> Catalog:
    """The App's catalog once a PIM user enabled it; before, the PIM's HTTP 200 ``error``."""
    if products:
        call.require("read_products", "list products")
    catalog = owned(call)
    if not catalog.enabled:
        raise Answer(json_answer(200, {"error": disabled_message(catalog)}))
    return catalog


def products(call: Call) -> httpx.Response:
    catalog = enabled(call, products=True)
    reading = _catalog_reading(call, catalog)
    catalogue = call.catalogue
    keys = _selection(call, catalog)
    limit = limit_of(call.request, default=100)
    return search_after_page(
        call.request,
        call.pim.url,
        keys,
        lambda page: [_catalog_product(call, catalogue.products[k], reading) for k in page],
        limit=limit,
    )


def _catalog_product(call: Call, product: Product, reading: Reading) -> Item:
    item = render_product(call, product, reading, linked=False)
    item.pop("identifier", None)
    return item


def one_product(call: Call) -> httpx.Response:
    catalog = enabled(call, products=True)
    product = call.catalogue.products.get(call.params["uuid"])
    if product is None or not product.enabled:
        raise ApiError(
            404,
            f'Either the product "{call.params["uuid"]}" does not exist or it is not part of '
            "the catalog.",
        )
    return json_answer(200, _catalog_product(call, product, _catalog_reading(call, catalog)))


def put_schema(call: Call) -> httpx.Response:
    catalog = owned(call)
    schema = json_body(call.request)
    if not isinstance(schema.get("properties"), dict):
        raise validation_failed(
            [{"property": "properties", "message": "The mapping schema must have properties."}]
        )
    catalog.mapping_schema = schema
    return no_content()


def get_schema(call: Call) -> httpx.Response:
    catalog = owned(call)
    if catalog.mapping_schema is None:
        raise ApiError(404, "No product mapping schema found for this catalog.")
    return json_answer(200, catalog.mapping_schema)


def delete_schema(call: Call) -> httpx.Response:
    owned(call).mapping_schema = None
    return no_content()


def mapped_products(call: Call) -> httpx.Response:
    """Each schema property takes the value of the attribute of the same code (first locale)."""
    catalog = enabled(call, products=True)
    if catalog.mapping_schema is None:
        return json_answer(200, {"error": NO_SCHEMA})
    properties = list(catalog.mapping_schema["properties"])
    catalogue = call.catalogue

    def mapped(product: Product) -> Item:
        values = all_values(catalogue, product_values(catalogue, product), product.parent)
        item: Item = {}
        for name in properties:
            if name == "uuid":
                item[name] = product.uuid
                continue
            entries = values.get(name, [])
            preferred = [
                e
                for e in entries
                if e["locale"] in (None, "en_US") and e["scope"] in (None, "ecommerce")
            ]
            item[name] = (preferred or entries or [{"data": ""}])[0]["data"]
        return item

    keys = _selection(call, catalog)
    limit = limit_of(call.request, default=100)
    return search_after_page(
        call.request,
        call.pim.url,
        keys,
        lambda page: [mapped(catalogue.products[k]) for k in page],
        limit=limit,
    )


def register(router: Router) -> None:
    one = f"{CATALOGS}/{{id}}"
    router.add("GET", CATALOGS, "read_catalogs", "list catalogs", list_catalogs)
    router.add("POST", CATALOGS, "write_catalogs", "create catalogs", create)
    router.add("GET", one, "read_catalogs", "list catalogs", get)
    router.add("PATCH", one, "write_catalogs", "update catalogs", patch)
    router.add("DELETE", one, "delete_catalogs", "delete catalogs", delete)
    router.add("GET", f"{one}/product-uuids", "read_catalogs", "list catalogs", product_uuids)
    router.add("GET", f"{one}/products", "read_catalogs", "list products", products)
    router.add("GET", f"{one}/products/{{uuid}}", "read_catalogs", "list products", one_product)
    schema = f"{one}/mapping-schemas/product"
    router.add("PUT", schema, "write_catalogs", "update catalogs", put_schema)
    router.add("GET", schema, "read_catalogs", "list catalogs", get_schema)
    router.add("DELETE", schema, "write_catalogs", "update catalogs", delete_schema)
    router.add("GET", f"{one}/mapped-products", "read_catalogs", "list products", mapped_products)
