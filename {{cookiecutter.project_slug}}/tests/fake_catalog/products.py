"""Products (by UUID) and product models: lists with search and both paginations, reads with
``scope``, ``locales``, ``attributes`` and ``with_attribute_options``, and checked writes.

A variant product shows the values and categories of its product models too, as the PIM does.
"""

import bisect
import copy
import itertools
import uuid
from collections.abc import Callable, Iterable, Iterator
from datetime import UTC, datetime
from typing import Any

import httpx

from .answers import (
    MAX_OFFSET_ITEMS,
    ApiError,
    Item,
    expects,
    flag,
    json_answer,
    json_body,
    limit_of,
    no_content,
    not_found,
    offset_page,
    search_after_page,
    type_name,
    unknown_property,
    upsert_lines,
    validation_failed,
    written,
)
from .model import Catalogue, Product, ProductModel, Values
from .routes import Call, Router
from .search import CODES, DATES, EMPTINESS, EQUALITY, TEXT, Field, field, matcher
from .seed import MEDIA_PATH, model_values, product_values
from .structure import valid_code

PRODUCTS = "/api/rest/v1/products-uuid"
MODELS = "/api/rest/v1/product-models"
PRODUCT_PROPERTIES = frozenset(
    {
        "uuid",
        "identifier",
        "enabled",
        "family",
        "categories",
        "groups",
        "parent",
        "values",
        "associations",
        "quantified_associations",
        "created",
        "updated",
        "metadata",
    }
)
MODEL_PROPERTIES = frozenset(
    {
        "code",
        "family",
        "family_variant",
        "parent",
        "categories",
        "values",
        "associations",
        "quantified_associations",
        "created",
        "updated",
        "metadata",
    }
)
CATEGORY_OPERATORS = CODES | {
    "IN OR UNCLASSIFIED",
    "UNCLASSIFIED",
    "IN CHILDREN",
    "NOT IN CHILDREN",
}
SELECTS = {"pim_catalog_simpleselect", "pim_catalog_multiselect"}
MEDIA = {"pim_catalog_image", "pim_catalog_file"}


def now_text(call: Call) -> str:
    return datetime.fromtimestamp(call.pim.now(), UTC).replace(microsecond=0).isoformat()


# -- reading ------------------------------------------------------------------------------------


def ancestors(catalogue: Catalogue, parent: str | None) -> list[ProductModel]:
    """The product models above an item, nearest first."""
    chain: list[ProductModel] = []
    while parent is not None and parent in catalogue.product_models:
        model = catalogue.product_models[parent]
        chain.append(model)
        parent = model.parent
    return chain


def all_values(catalogue: Catalogue, own: Values, parent: str | None) -> Values:
    values: Values = {}
    for model in reversed(ancestors(catalogue, parent)):
        values.update(model_values(catalogue, model))
    values.update(own)
    return values


def all_categories(catalogue: Catalogue, own: list[str], parent: str | None) -> list[str]:
    categories = list(own)
    for model in ancestors(catalogue, parent):
        categories.extend(c for c in model.categories if c not in categories)
    return sorted(categories)


class Reading:
    """What a read asks for: one channel, some locales and attributes, option labels."""

    def __init__(self, call: Call) -> None:
        params = call.request.url.params
        catalogue = call.catalogue
        self.scope = params.get("scope")
        if self.scope is not None and self.scope not in catalogue.channels:
            raise ApiError(422, f'Scope "{self.scope}" does not exist.')
        self.locales: set[str] | None = None
        if "locales" in params:
            self.locales = set(params["locales"].split(","))
            unknown = sorted(
                code for code in self.locales if not catalogue.locales.get(code, {}).get("enabled")
            )
            if unknown:
                raise ApiError(
                    422, f'Locales "{", ".join(unknown)}" do not exist or are not activated.'
                )
        self.attributes = set(params["attributes"].split(",")) if "attributes" in params else None
        self.with_options = flag(call.request, "with_attribute_options")

    def values(self, call: Call, values: Values) -> Values:
        shown: Values = {}
        attributes = call.catalogue.attributes
        locales = None if self.locales is None else {None, *self.locales}
        for code, entries in values.items():
            if self.attributes is not None and code not in self.attributes:
                continue
            kind = attributes.get(code, {}).get("type")
            decorated = kind in MEDIA or (self.with_options and kind in SELECTS)
            kept = [
                self.entry(call, code, kind, entry) if decorated else entry
                for entry in entries
                if (self.scope is None or entry["scope"] in (None, self.scope))
                and (locales is None or entry["locale"] in locales)
            ]
            if kept:
                shown[code] = kept
        return shown

    def entry(self, call: Call, code: str, kind: str | None, entry: Item) -> Item:
        """A value with its download link or option labels (a copy: the stored one is kept)."""
        entry = dict(entry)
        if kind in MEDIA and isinstance(entry["data"], str):
            href = call.link(f"{MEDIA_PATH}/{entry['data']}/download")
            entry["_links"] = {"download": {"href": href}}
        if self.with_options and kind in SELECTS:
            options = call.catalogue.options.get(code, {})

            def linked(option: str) -> Item:
                labels = options.get(option, {}).get("labels", {})
                return {"attribute": code, "code": option, "labels": labels}

            if kind == "pim_catalog_simpleselect" and isinstance(entry["data"], str):
                entry["linked_data"] = linked(entry["data"])
            elif isinstance(entry["data"], list):
                entry["linked_data"] = {option: linked(option) for option in entry["data"]}
        return entry


def render_product(call: Call, product: Product, reading: Reading, *, linked: bool) -> Item:
    catalogue = call.catalogue
    values = all_values(catalogue, product_values(catalogue, product), product.parent)
    item: Item = {}
    if linked:
        item["_links"] = {"self": {"href": call.link(f"{PRODUCTS}/{product.uuid}")}}
    item.update(
        uuid=product.uuid,
        identifier=product.identifier,
        enabled=product.enabled,
        family=product.family,
        categories=all_categories(catalogue, product.categories, product.parent),
        groups=list(product.groups),
        parent=product.parent,
        values=reading.values(call, values),
        created=product.created,
        updated=product.updated,
        associations=copy.deepcopy(product.associations),
        quantified_associations={},
    )
    return item


def render_model(call: Call, model: ProductModel, reading: Reading, *, linked: bool) -> Item:
    catalogue = call.catalogue
    values = all_values(catalogue, model_values(catalogue, model), model.parent)
    item: Item = {}
    if linked:
        item["_links"] = {"self": {"href": call.link(f"{MODELS}/{model.code}")}}
    item.update(
        code=model.code,
        family=model.family,
        family_variant=model.family_variant,
        parent=model.parent,
        categories=all_categories(catalogue, model.categories, model.parent),
        values=reading.values(call, values),
        created=model.created,
        updated=model.updated,
        associations=copy.deepcopy(model.associations),
        quantified_associations={},
    )
    return item


def _with_tree(catalogue: Catalogue, codes: Iterable[str]) -> set[str]:
    """Categories and all their ancestors (for "IN CHILDREN")."""
    found: set[str] = set()
    for code in codes:
        while code is not None and code not in found:
            found.add(code)
            code = catalogue.categories.get(code, {}).get("parent")
    return found


def _fields(catalogue: Catalogue, *, products: bool) -> dict[str, Field[Any]]:
    def categories(item: Any, criterion: Item) -> Any:
        own = all_categories(catalogue, item.categories, item.parent)
        return _with_tree(catalogue, own) if "CHILDREN" in criterion["operator"] else own

    def parents(item: Any) -> list[str]:
        return [model.code for model in ancestors(catalogue, item.parent)]

    fields: dict[str, Field[Any]] = {
        "family": field(lambda item: item.family, CODES | EMPTINESS),
        "categories": Field(categories, CATEGORY_OPERATORS),
        "created": field(lambda item: item.created, DATES),
        "updated": field(lambda item: item.updated, DATES),
        "parent": field(parents, CODES | EMPTINESS | {"="}),
    }
    if products:
        fields["uuid"] = field(lambda item: item.uuid, CODES)
        fields["enabled"] = field(lambda item: item.enabled, EQUALITY)
        fields["groups"] = field(lambda item: item.groups, CODES | EMPTINESS)
    else:
        fields["code"] = field(lambda item: item.code, CODES)
        fields["family_variant"] = field(lambda item: item.family_variant, CODES)
    return fields


def _value_field(catalogue: Catalogue, *, products: bool) -> Any:
    def value_field(name: str) -> Field[Any] | None:
        attribute = catalogue.attributes.get(name)
        if attribute is None:
            return None

        def read(item: Any, criterion: Item) -> Any:
            own = product_values(catalogue, item) if products else model_values(catalogue, item)
            for entry in all_values(catalogue, own, item.parent).get(name, []):
                if entry["locale"] == criterion.get("locale") and entry["scope"] == criterion.get(
                    "scope"
                ):
                    return entry["data"]
            return None

        operators = TEXT | CODES if attribute["type"] in SELECTS else TEXT | {"<", ">"}
        return Field(read, frozenset(operators))

    return value_field


def _matcher(call: Call, *, products: bool) -> Callable[[Any], bool] | None:
    catalogue = call.catalogue
    return matcher(
        call.request,
        _fields(catalogue, products=products),
        now=datetime.fromtimestamp(call.pim.now(), UTC),
        value_field=_value_field(catalogue, products=products),
    )


def keys_after(
    order: list[str], load: Callable[[str], Any], matches: Callable[[Any], bool] | None
) -> Callable[[str | None], Iterator[str]]:
    """The keys of the matching items after a key, found lazily in key order."""

    def after_key(after: str | None) -> Iterator[str]:
        start = bisect.bisect_right(order, after) if after else 0
        for key in itertools.islice(order, start, None):
            if matches is None or matches(load(key)):
                yield key

    return after_key


def _list(
    call: Call, order: list[str], load: Callable[[str], Any], *, products: bool
) -> httpx.Response:
    """A list of products or product models: search, then either pagination."""
    request, reading = call.request, Reading(call)
    matches = _matcher(call, products=products)
    render = render_product if products else render_model

    def shown(item: Any) -> Item:
        return render(call, item, reading, linked=True)

    if request.url.params.get("pagination_type", "page") == "search_after":
        return search_after_page(
            request,
            call.pim.url,
            keys_after(order, load, matches),
            lambda page: [shown(load(key)) for key in page],
            limit=limit_of(request),
        )
    _check_pagination_type(request)
    everything = [load(key) for key in order]
    selected = everything if matches is None else [i for i in everything if matches(i)]
    return offset_page(request, call.pim.url, selected, shown, max_items=MAX_OFFSET_ITEMS)


def list_products(call: Call) -> httpx.Response:
    catalogue = call.catalogue
    return _list(call, catalogue.product_order, catalogue.products.__getitem__, products=True)


def list_models(call: Call) -> httpx.Response:
    catalogue = call.catalogue
    order = sorted(catalogue.product_models)
    return _list(call, order, catalogue.product_models.__getitem__, products=False)


def _check_pagination_type(request: httpx.Request) -> None:
    kind = request.url.params.get("pagination_type", "page")
    if kind != "page":
        raise ApiError(422, f'Pagination type "{kind}" does not exist.')


def get_product(call: Call) -> httpx.Response:
    product = call.catalogue.products.get(call.params["uuid"])
    if product is None:
        raise not_found(call.params["uuid"])
    return json_answer(200, render_product(call, product, Reading(call), linked=False))


def get_model(call: Call) -> httpx.Response:
    model = call.catalogue.product_models.get(call.params["code"])
    if model is None:
        raise not_found(call.params["code"])
    return json_answer(200, render_model(call, model, Reading(call), linked=False))


# -- writing ------------------------------------------------------------------------------------


def _value_error(attribute: Item, entry: Item, message: str) -> ApiError:
    return validation_failed(
        [
            {
                "property": "values",
                "message": message,
                "attribute": attribute["code"],
                "locale": entry.get("locale"),
                "scope": entry.get("scope"),
            }
        ]
    )


def check_values(catalogue: Catalogue, values: object) -> Values:
    """The PIM's checks on the ``values`` of a product or product model (422 on the first)."""
    if not isinstance(values, dict):
        raise expects("values", "an array", values)
    for code, entries in values.items():
        attribute = catalogue.attributes.get(code)
        if attribute is None:
            raise ApiError(422, f'Attribute "{code}" does not exist.')
        if not isinstance(entries, list) or not all(
            isinstance(e, dict) and "data" in e for e in entries
        ):
            raise ApiError(
                422,
                f'Property "{code}" expects an array of values with the keys "locale", "scope" '
                'and "data".',
            )
        for entry in entries:
            _check_entry(catalogue, attribute, entry)
    return values


def _check_entry(catalogue: Catalogue, attribute: Item, entry: Item) -> None:
    code, locale, scope, data = (
        attribute["code"],
        entry.get("locale"),
        entry.get("scope"),
        entry["data"],
    )
    if attribute["localizable"] and locale is None:
        raise ApiError(422, f'Attribute "{code}" expects a locale, none given.')
    if not attribute["localizable"] and locale is not None:
        raise ApiError(422, f'Attribute "{code}" does not expect a locale, "{locale}" given.')
    if locale is not None and not catalogue.locales.get(locale, {}).get("enabled"):
        raise ApiError(
            422, f'Attribute "{code}" expects an existing and activated locale, "{locale}" given.'
        )
    if attribute["scopable"] and scope is None:
        raise ApiError(422, f'Attribute "{code}" expects a scope, none given.')
    if not attribute["scopable"] and scope is not None:
        raise ApiError(422, f'Attribute "{code}" does not expect a scope, "{scope}" given.')
    if scope is not None and scope not in catalogue.channels:
        raise ApiError(422, f'Attribute "{code}" expects an existing scope, "{scope}" given.')
    if data is None:
        return
    kind = attribute["type"].removeprefix("pim_catalog_")
    if kind == "boolean" and not isinstance(data, bool):
        raise expects(code, "a boolean", data)
    if kind in {
        "text",
        "textarea",
        "identifier",
        "date",
        "simpleselect",
        "image",
        "file",
    } and not isinstance(data, str):
        raise expects(code, "a string", data)
    if kind == "number" and (
        isinstance(data, bool) or not isinstance(data, int | float | str) or not _numeric(data)
    ):
        raise ApiError(
            422, f'Property "{code}" expects a numeric as data, "{type_name(data)}" given.'
        )
    options = catalogue.options.get(code, {})
    if kind == "simpleselect" and data not in options:
        raise _value_error(
            attribute, entry, f"The {data} value is not in the {code} attribute option list."
        )
    if kind == "multiselect":
        if not isinstance(data, list):
            raise expects(code, "an array", data)
        missing = [option for option in data if option not in options]
        if missing:
            raise _value_error(
                attribute,
                entry,
                f"The {', '.join(map(str, missing))} values are not in the {code} attribute "
                "option list.",
            )
    if kind == "price_collection" and not (
        isinstance(data, list)
        and all(isinstance(p, dict) and p.get("currency") in catalogue.currencies for p in data)
    ):
        raise _value_error(attribute, entry, "Please specify a valid currency.")
    if kind == "metric" and not (isinstance(data, dict) and {"amount", "unit"} <= set(data)):
        raise ApiError(
            422, f'Property "{code}" expects an array with the key "amount" and "unit" as data.'
        )
    if kind in {"image", "file"} and data not in catalogue.media and "/" not in data:
        raise ApiError(422, f'Property "{code}" expects a valid media file code, "{data}" given.')


def _numeric(data: int | float | str) -> bool:
    try:
        float(data)
    except ValueError:
        return False
    return True


def merge_values(target: Values, patch: Values) -> None:
    """Each given value replaces the one of the same locale and scope; null data removes it."""
    for code, entries in patch.items():
        kept = target.setdefault(code, [])
        for entry in entries:
            key = (entry.get("locale"), entry.get("scope"))
            kept[:] = [e for e in kept if (e["locale"], e["scope"]) != key]
            if entry["data"] is not None:
                kept.append(
                    {"locale": key[0], "scope": key[1], "data": copy.deepcopy(entry["data"])}
                )
        if not kept:
            del target[code]


def _check_categories(catalogue: Catalogue, categories: object) -> list[str]:
    if not isinstance(categories, list):
        raise expects("categories", "an array", categories)
    for code in categories:
        if code not in catalogue.categories:
            raise ApiError(
                422,
                f"The {code} category does not exist in your PIM. Check the expected format on "
                "the API documentation.",
                _links={
                    "documentation": {
                        "href": "http://api.akeneo.com/api-reference.html#post_products_uuid"
                    }
                },
            )
    return list(categories)


def write_product(call: Call, product_uuid: str | None, body: Item) -> tuple[int, str]:
    """Create or update one product from ``body``: 201 or 204, and its UUID.

    Everything is checked on a copy first: a refused write changes nothing.
    """
    catalogue = call.catalogue
    for name in body:
        if name not in PRODUCT_PROPERTIES and name != "_links":
            raise unknown_property(name)
    if product_uuid is not None and body.get("uuid", product_uuid) != product_uuid:
        raise ApiError(
            422,
            f'The uuid "{body["uuid"]}" provided in the request body must match the uuid '
            f'"{product_uuid}" provided in the url.',
        )
    key = product_uuid or body.get("uuid") or str(uuid.uuid4())
    try:
        key = str(uuid.UUID(str(key)))
    except ValueError:
        raise ApiError(422, f'The "{key}" uuid is not valid.') from None
    existing = catalogue.products.get(key)
    stamp = now_text(call)
    if existing is not None:
        product = copy.copy(existing)
        product.values = copy.deepcopy(product_values(catalogue, existing))
        product.categories = list(existing.categories)
    else:
        product = Product(key, "", None, None, [], True, stamp, stamp, {}, -1)
    values = check_values(catalogue, body.get("values", {}))
    identifier = body.get("identifier")
    for entry in values.get("sku", []):
        identifier = entry.get("data", identifier)
    if identifier is not None:
        if not isinstance(identifier, str):
            raise expects("identifier", "a string", identifier)
        owner = catalogue.identifiers.get(identifier)
        if owner is not None and owner != key:
            raise validation_failed(
                [
                    {
                        "property": "identifier",
                        "message": "The same identifier is already set on another product",
                    }
                ]
            )
        product.identifier = identifier
    if "enabled" in body:
        if not isinstance(body["enabled"], bool):
            raise expects("enabled", "a boolean", body["enabled"])
        product.enabled = body["enabled"]
    if "family" in body:
        if body["family"] is not None and (
            error := valid_code("family", "family", body["family"], catalogue.families)
        ):
            raise error
        product.family = body["family"]
    if "parent" in body:
        if body["parent"] is not None and body["parent"] not in catalogue.product_models:
            raise ApiError(
                422,
                'Property "parent" expects a valid parent code. The parent product model does '
                f'not exist, "{body["parent"]}" given.',
            )
        product.parent = body["parent"]
    if "categories" in body:
        product.categories = _check_categories(catalogue, body["categories"])
    if "groups" in body:
        product.groups = list(body["groups"] or [])
    if "associations" in body and isinstance(body["associations"], dict):
        product.associations = copy.deepcopy(body["associations"])
    assert product.values is not None
    merge_values(product.values, values)
    if product.identifier:
        product.values["sku"] = [{"locale": None, "scope": None, "data": product.identifier}]
    product.updated = stamp
    if existing is not None:
        if existing.identifier != product.identifier:
            catalogue.identifiers.pop(existing.identifier, None)
    else:
        bisect.insort(catalogue.product_order, key)
    if product.identifier:
        catalogue.identifiers[product.identifier] = key
    catalogue.products[key] = product
    return (204 if existing is not None else 201), key


def create_product(call: Call) -> httpx.Response:
    body = json_body(call.request)
    if body.get("uuid") in call.catalogue.products:
        raise validation_failed(
            [{"property": "uuid", "message": "The same uuid is already set on another product"}]
        )
    _, key = write_product(call, None, body)
    return written(201, call.link(f"{PRODUCTS}/{key}"))


def update_product(call: Call) -> httpx.Response:
    status, key = write_product(call, call.params["uuid"], json_body(call.request))
    return written(status, call.link(f"{PRODUCTS}/{key}"))


def upsert_products(call: Call) -> httpx.Response:
    def upsert(body: Item) -> int:
        if not isinstance(body.get("uuid"), str):
            raise ApiError(422, "The uuid field is required.")
        return write_product(call, body["uuid"], body)[0]

    return upsert_lines(call.request, "uuid", upsert)


def delete_product(call: Call) -> httpx.Response:
    catalogue = call.catalogue
    product = catalogue.products.pop(call.params["uuid"], None)
    if product is None:
        raise not_found(call.params["uuid"])
    catalogue.product_order.remove(product.uuid)
    catalogue.identifiers.pop(product.identifier, None)
    return no_content()


def write_model(call: Call, code: str, body: Item) -> int:
    catalogue = call.catalogue
    for name in body:
        if name not in MODEL_PROPERTIES and name != "_links":
            raise unknown_property(name)
    if body.get("code", code) != code:
        raise ApiError(
            422,
            f'The code "{body["code"]}" provided in the request body must match the code '
            f'"{code}" provided in the url.',
        )
    existing = catalogue.product_models.get(code)
    stamp = now_text(call)
    if existing is not None:
        model = copy.copy(existing)
        model.values = copy.deepcopy(model_values(catalogue, existing))
    else:
        parent = catalogue.product_models.get(body.get("parent") or "")
        family = body.get("family") or (parent.family if parent else None)
        variant = body.get("family_variant") or (parent.family_variant if parent else None)
        if family is None or variant is None:
            raise validation_failed(
                [
                    {
                        "property": "family_variant",
                        "message": "The product model family variant must not be empty.",
                    }
                ]
            )
        model = ProductModel(code, family, variant, None, [], stamp, stamp, {})
    if error := valid_code("family", "family", model.family, catalogue.families):
        raise error
    if model.family_variant not in catalogue.variants.get(model.family, {}):
        raise ApiError(
            422,
            'Property "family_variant" expects a valid family variant code. The family variant '
            f'does not exist, "{model.family_variant}" given.',
        )
    if "parent" in body and body["parent"] != model.parent:
        if existing is not None or body["parent"] not in catalogue.product_models:
            raise ApiError(
                422,
                'Property "parent" expects a valid parent code. The parent product model does '
                f'not exist, "{body["parent"]}" given.',
            )
        model.parent = body["parent"]
    if "categories" in body:
        model.categories = _check_categories(catalogue, body["categories"])
    assert model.values is not None
    merge_values(model.values, check_values(catalogue, body.get("values", {})))
    model.updated = stamp
    catalogue.product_models[code] = model
    return 204 if existing is not None else 201


def create_model(call: Call) -> httpx.Response:
    body = json_body(call.request)
    code = body.get("code")
    if not isinstance(code, str) or not code:
        raise validation_failed(
            [{"property": "code", "message": "This value should not be blank."}]
        )
    if code in call.catalogue.product_models:
        raise validation_failed(
            [
                {
                    "property": "code",
                    "message": "The same identifier is already set on another product model",
                }
            ]
        )
    write_model(call, code, body)
    return written(201, call.link(f"{MODELS}/{code}"))


def update_model(call: Call) -> httpx.Response:
    code = call.params["code"]
    status = write_model(call, code, json_body(call.request))
    return written(status, call.link(f"{MODELS}/{code}"))


def upsert_models(call: Call) -> httpx.Response:
    def upsert(body: Item) -> int:
        if not isinstance(body.get("code"), str):
            raise ApiError(422, "Code is missing.")
        return write_model(call, body["code"], body)

    return upsert_lines(call.request, "code", upsert)


def delete_model(call: Call) -> httpx.Response:
    catalogue = call.catalogue
    code = call.params["code"]
    if code not in catalogue.product_models:
        raise not_found(code)
    if any(m.parent == code for m in catalogue.product_models.values()) or any(
        p.parent == code for p in catalogue.products.values()
    ):
        raise ApiError(422, f"Product model {code} cannot be deleted: it has children.")
    del catalogue.product_models[code]
    return no_content()


def register(router: Router) -> None:
    read, write, delete = "read_products", "write_products", "delete_products"
    router.add("GET", PRODUCTS, read, "list products", list_products)
    router.add("POST", PRODUCTS, write, "create or update products", create_product)
    router.add("PATCH", PRODUCTS, write, "create or update products", upsert_products)
    router.add("GET", f"{PRODUCTS}/{{uuid}}", read, "list products", get_product)
    router.add("PATCH", f"{PRODUCTS}/{{uuid}}", write, "create or update products", update_product)
    router.add("DELETE", f"{PRODUCTS}/{{uuid}}", delete, "delete products", delete_product)
    router.add("GET", MODELS, read, "list product models", list_models)
    router.add("POST", MODELS, write, "create or update product models", create_model)
    router.add("PATCH", MODELS, write, "create or update product models", upsert_models)
    router.add("GET", f"{MODELS}/{{code}}", read, "list product models", get_model)
    router.add(
        "PATCH", f"{MODELS}/{{code}}", write, "create or update product models", update_model
    )
    router.add("DELETE", f"{MODELS}/{{code}}", delete, "delete product models", delete_model)
