"""The catalogue's structure: channels, locales, currencies, measurement families, attribute
groups, attributes and their options, families and family variants, categories.

Each is a collection of standard-format objects keyed by ``code``, with the same list, get,
create, update and upsert-list behaviour (``CodeResource``); what differs is declared: where the
collection lives, which properties it has, what it checks before a write and what it filters on.
"""

import copy
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import httpx

from .answers import (
    ApiError,
    Item,
    check_content_type,
    expects,
    json_answer,
    json_body,
    not_found,
    offset_page,
    unknown_property,
    upsert_lines,
    written,
)
from .model import Catalogue
from .routes import Call, Router
from .search import CODES, DATES, EQUALITY, Field, select
from .search import field as plain_field

API = "/api/rest/v1"
ATTRIBUTE_TYPES = frozenset(
    f"pim_catalog_{kind}"
    for kind in [
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
    ]
)


def merge(target: Item, patch: Item) -> None:
    """The PIM's update semantics: objects merge key by key, anything else is replaced."""
    for name, value in patch.items():
        if isinstance(value, dict) and isinstance(target.get(name), dict):
            merge(target[name], value)
        else:
            target[name] = copy.deepcopy(value)


def valid_code(name: str, kind: str, code: object, known: Any) -> ApiError | None:
    """The PIM's wording for a reference to something that does not exist."""
    if code in known:
        return None
    return ApiError(
        422,
        f'Property "{name}" expects a valid {kind} code. The {kind} does not exist, '
        f'"{code}" given.',
    )


def check_types(item: Item, objects: tuple[str, ...], lists: tuple[str, ...]) -> None:
    for name in objects:
        if name in item and not isinstance(item[name], dict):
            raise expects(name, "an array", item[name])
    for name in lists:
        if name in item and not isinstance(item[name], list):
            raise expects(name, "an array", item[name])


@dataclass
class CodeResource:
    """A collection of code-keyed objects behind ``list_path`` and ``list_path/{code}``."""

    noun: str
    """Plural, as the 403 says it: "families"."""
    list_path: str
    store: Callable[[Call], dict[str, Item]]
    properties: frozenset[str]
    read_scope: str
    write_scope: str | None
    new: Callable[[Call, str], Item]
    """A new object with the PIM's defaults, before the body's properties apply."""
    objects: tuple[str, ...] = ("labels",)
    lists: tuple[str, ...] = ()
    check: Callable[[Call, Item], None] = lambda call, item: None
    fields: Callable[[Call], dict[str, Field[Item]]] = lambda call: {}
    extra: Callable[[Call, Item], Item] = lambda call, item: item
    """What a read adds to the stored object (e.g. a category's position)."""
    item_pattern: str = field(default="")

    def __post_init__(self) -> None:
        self.item_pattern = f"{self.list_path}/{{code}}"

    def register(self, router: Router) -> None:
        read = f"list {self.noun}"
        router.add("GET", self.list_path, self.read_scope, read, self.list)
        router.add("GET", self.item_pattern, self.read_scope, read, self.get)
        if self.write_scope is not None:
            write = f"create or update {self.noun}"
            router.add("POST", self.list_path, self.write_scope, write, self.create)
            router.add("PATCH", self.list_path, self.write_scope, write, self.upsert_list)
            router.add("PATCH", self.item_pattern, self.write_scope, write, self.update)

    def href(self, call: Call, code: str) -> str:
        path = self.list_path
        for name, value in call.params.items():
            path = path.replace(f"{{{name}}}", value)
        return call.link(f"{path}/{code}")

    def render(self, call: Call, item: Item, *, linked: bool) -> Item:
        shown = self.extra(call, copy.deepcopy(item))
        if linked:
            return {"_links": {"self": {"href": self.href(call, item["code"])}}, **shown}
        return shown

    def list(self, call: Call) -> httpx.Response:
        items = list(self.store(call).values())
        now = datetime.fromtimestamp(call.pim.now(), UTC)
        selected = select(call.request, items, self.fields(call), now=now)
        return offset_page(
            call.request, call.pim.url, selected, lambda item: self.render(call, item, linked=True)
        )

    def get(self, call: Call) -> httpx.Response:
        item = self.store(call).get(call.params["code"])
        if item is None:
            raise not_found(call.params["code"])
        return json_answer(200, self.render(call, item, linked=False))

    def create(self, call: Call) -> httpx.Response:
        body = json_body(call.request)
        code = body.get("code")
        if not isinstance(code, str) or not code:
            raise ApiError(
                422,
                "Validation failed.",
                errors=[{"property": "code", "message": "This value should not be blank."}],
            )
        if code in self.store(call):
            raise ApiError(
                422,
                "Validation failed.",
                errors=[{"property": "code", "message": "This value is already used."}],
            )
        self.write(call, code, body)
        return written(201, self.href(call, code))

    def update(self, call: Call) -> httpx.Response:
        body = json_body(call.request)
        code = call.params["code"]
        if "code" in body and body["code"] != code:
            raise ApiError(
                422,
                f'The code "{body["code"]}" provided in the request body must match the code '
                f'"{code}" provided in the url.',
            )
        status = 204 if code in self.store(call) else 201
        self.write(call, code, body)
        return written(status, self.href(call, code))

    def upsert_list(self, call: Call) -> httpx.Response:
        def upsert(body: Item) -> int:
            code = body.get("code")
            if not isinstance(code, str) or not code:
                raise ApiError(422, "Code is missing.")
            status = 204 if code in self.store(call) else 201
            self.write(call, code, body)
            return status

        return upsert_lines(call.request, "code", upsert)

    def write(self, call: Call, code: str, body: Item) -> None:
        """Check the body, then apply it to a copy: a refused write changes nothing."""
        for name in body:
            if name not in self.properties and name != "_links":
                raise unknown_property(name)
        check_types(body, self.objects, self.lists)
        store = self.store(call)
        item = copy.deepcopy(store[code]) if code in store else self.new(call, code)
        merge(item, {k: v for k, v in body.items() if k != "_links"})
        item["code"] = code
        self.check(call, item)
        store[code] = item


# -- the resources -------------------------------------------------------------------------------


def _check_channel(call: Call, item: Item) -> None:
    catalogue = call.catalogue
    for locale in item["locales"]:
        if error := valid_code("locales", "locale", locale, catalogue.locales):
            raise error
    for currency in item["currencies"]:
        if error := valid_code("currencies", "currency", currency, catalogue.currencies):
            raise error
    tree = catalogue.categories.get(item["category_tree"])
    if tree is None or tree["parent"] is not None:
        raise ApiError(
            422,
            'Property "category_tree" expects a valid category tree code. The category tree '
            f'does not exist, "{item["category_tree"]}" given.',
        )


def _check_attribute(call: Call, item: Item) -> None:
    if item["type"] not in ATTRIBUTE_TYPES:
        raise ApiError(
            422,
            "Validation failed.",
            errors=[
                {
                    "property": "type",
                    "message": f'The attribute type "{item["type"]}" does not exist.',
                }
            ],
        )
    if error := valid_code(
        "group", "attribute group", item["group"], call.catalogue.attribute_groups
    ):
        raise error


def _check_option(call: Call, item: Item) -> None:
    attribute = call.params["attribute"]
    if item.get("attribute", attribute) != attribute:
        raise ApiError(
            422,
            f'The attribute code "{item["attribute"]}" provided in the request body must match '
            f'the attribute code "{attribute}" provided in the url.',
        )
    item["attribute"] = attribute


def _check_family(call: Call, item: Item) -> None:
    attributes = call.catalogue.attributes
    for code in item["attributes"]:
        if error := valid_code("attributes", "attribute", code, attributes):
            raise error
    if "sku" not in item["attributes"]:
        item["attributes"].insert(0, "sku")
    for name in ("attribute_as_label", "attribute_as_image"):
        if item.get(name) is not None and item[name] not in item["attributes"]:
            raise ApiError(
                422,
                "Validation failed.",
                errors=[
                    {"property": name, "message": f'Property "{name}" must belong to the family'}
                ],
            )


def _check_variant(call: Call, item: Item) -> None:
    family = call.catalogue.families[call.params["family"]]
    for level in item.get("variant_attribute_sets", []):
        for code in [*level.get("axes", []), *level.get("attributes", [])]:
            if code not in family["attributes"]:
                raise ApiError(
                    422,
                    "Validation failed.",
                    errors=[
                        {
                            "property": "variant_attribute_sets",
                            "message": f'The attribute "{code}" does not belong to the family '
                            f'"{family["code"]}".',
                        }
                    ],
                )


def _check_category(call: Call, item: Item) -> None:
    parent = item.get("parent")
    if parent is not None:
        if error := valid_code("parent", "category", parent, call.catalogue.categories):
            raise error
        if parent == item["code"]:
            raise ApiError(422, "A category cannot be its own parent.")
    item["updated"] = datetime.fromtimestamp(call.pim.now(), UTC).replace(microsecond=0).isoformat()


def _category_position(call: Call, item: Item) -> Item:
    if call.request.url.params.get("with_position") == "true":
        siblings = [c for c in call.catalogue.categories.values() if c["parent"] == item["parent"]]
        item["position"] = 1 + [c["code"] for c in siblings].index(item["code"])
    return item


def _families_fields(call: Call) -> dict[str, Field[Item]]:
    catalogue = call.catalogue

    def has_products(family: Item) -> bool:
        return family["code"] in {p.family for p in catalogue.products.values()}

    return {
        "code": plain_field(lambda item: item["code"], CODES),
        "has_products": plain_field(has_products, frozenset({"="})),
    }


def _attributes_fields(call: Call) -> dict[str, Field[Item]]:
    return {
        "code": plain_field(lambda item: item["code"], CODES),
        "type": plain_field(lambda item: item["type"], CODES),
    }


def _categories_fields(call: Call) -> dict[str, Field[Item]]:
    return {
        "code": plain_field(lambda item: item["code"], CODES),
        "parent": plain_field(lambda item: item["parent"], frozenset({"="})),
        "is_root": plain_field(lambda item: item["parent"] is None, frozenset({"="})),
        "updated": plain_field(lambda item: item["updated"], DATES),
    }


def _enabled_field(call: Call) -> dict[str, Field[Item]]:
    return {"enabled": plain_field(lambda item: item["enabled"], EQUALITY)}


def _codes_field(call: Call) -> dict[str, Field[Item]]:
    return {"code": plain_field(lambda item: item["code"], CODES)}


def _known_family(call: Call) -> dict[str, Item]:
    family = call.params["family"]
    if family not in call.catalogue.variants:
        raise not_found(family)
    return call.catalogue.variants[family]


def _known_select(call: Call) -> dict[str, Item]:
    attribute = call.catalogue.attributes.get(call.params["attribute"])
    if attribute is None:
        raise not_found(call.params["attribute"])
    if attribute["type"] not in {"pim_catalog_simpleselect", "pim_catalog_multiselect"}:
        raise ApiError(
            404,
            f'Attribute "{attribute["code"]}" does not support options. Only attributes of type '
            '"pim_catalog_simpleselect", "pim_catalog_multiselect" support options.',
        )
    return call.catalogue.options.setdefault(attribute["code"], {})


def resources() -> list[CodeResource]:
    all_channels = lambda call: list(call.catalogue.channels)  # noqa: E731
    return [
        CodeResource(
            "channels",
            f"{API}/channels",
            lambda call: call.catalogue.channels,
            frozenset(
                {"code", "currencies", "locales", "category_tree", "conversion_units", "labels"}
            ),
            "read_channel_settings",
            "write_channel_settings",
            lambda call, code: {
                "code": code,
                "currencies": [],
                "locales": [],
                "category_tree": "master",
                "conversion_units": {},
                "labels": {},
            },
            objects=("labels", "conversion_units"),
            lists=("currencies", "locales"),
            check=_check_channel,
        ),
        *(
            CodeResource(
                noun,
                f"{API}/{noun}",
                lambda call, noun=noun: getattr(call.catalogue, noun),
                frozenset(),
                "read_channel_localization",
                None,
                lambda call, code: {},
                fields=_enabled_field,
            )
            for noun in ("locales", "currencies")
        ),
        CodeResource(
            "attribute groups",
            f"{API}/attribute-groups",
            lambda call: call.catalogue.attribute_groups,
            frozenset({"code", "sort_order", "attributes", "labels"}),
            "read_catalog_structure",
            "write_catalog_structure",
            lambda call, code: {"code": code, "sort_order": 0, "attributes": [], "labels": {}},
            lists=("attributes",),
            fields=_codes_field,
        ),
        CodeResource(
            "attributes",
            f"{API}/attributes",
            lambda call: call.catalogue.attributes,
            frozenset(
                {
                    "code",
                    "type",
                    "group",
                    "unique",
                    "useable_as_grid_filter",
                    "allowed_extensions",
                    "metric_family",
                    "default_metric_unit",
                    "reference_data_name",
                    "available_locales",
                    "max_characters",
                    "validation_rule",
                    "validation_regexp",
                    "wysiwyg_enabled",
                    "number_min",
                    "number_max",
                    "decimals_allowed",
                    "negative_allowed",
                    "date_min",
                    "date_max",
                    "max_file_size",
                    "minimum_input_length",
                    "sort_order",
                    "localizable",
                    "scopable",
                    "labels",
                    "guidelines",
                    "auto_option_sorting",
                    "default_value",
                    "group_labels",
                }
            ),
            "read_catalog_structure",
            "write_catalog_structure",
            lambda call, code: {
                "code": code,
                "type": "",
                "group": "other",
                "unique": False,
                "localizable": False,
                "scopable": False,
                "labels": {},
                "sort_order": 0,
            },
            objects=("labels", "guidelines"),
            check=_check_attribute,
            fields=_attributes_fields,
        ),
        CodeResource(
            "attribute options",
            f"{API}/attributes/{{attribute}}/options",
            _known_select,
            frozenset({"code", "attribute", "sort_order", "labels"}),
            "read_attribute_options",
            "write_attribute_options",
            lambda call, code: {
                "code": code,
                "attribute": call.params["attribute"],
                "sort_order": 0,
                "labels": {},
            },
            check=_check_option,
        ),
        CodeResource(
            "families",
            f"{API}/families",
            lambda call: call.catalogue.families,
            frozenset(
                {
                    "code",
                    "attribute_as_label",
                    "attribute_as_image",
                    "attributes",
                    "attribute_requirements",
                    "labels",
                }
            ),
            "read_catalog_structure",
            "write_catalog_structure",
            lambda call, code: {
                "code": code,
                "attribute_as_label": "sku",
                "attribute_as_image": None,
                "attributes": ["sku"],
                "attribute_requirements": {channel: ["sku"] for channel in all_channels(call)},
                "labels": {},
            },
            objects=("labels", "attribute_requirements"),
            lists=("attributes",),
            check=_check_family,
            fields=_families_fields,
        ),
        CodeResource(
            "family variants",
            f"{API}/families/{{family}}/variants",
            _known_family,
            frozenset({"code", "labels", "variant_attribute_sets"}),
            "read_catalog_structure",
            "write_catalog_structure",
            lambda call, code: {"code": code, "labels": {}, "variant_attribute_sets": []},
            lists=("variant_attribute_sets",),
            check=_check_variant,
        ),
        CodeResource(
            "categories",
            f"{API}/categories",
            lambda call: call.catalogue.categories,
            frozenset({"code", "parent", "labels", "updated", "position", "values"}),
            "read_categories",
            "write_categories",
            lambda call, code: {"code": code, "parent": None, "updated": "", "labels": {}},
            check=_check_category,
            fields=_categories_fields,
            extra=_category_position,
        ),
    ]


# -- measurement families: a plain JSON array ---------------------------------------------------


def _measurement_families(call: Call) -> httpx.Response:
    return json_answer(200, list(call.catalogue.measurement_families.values()))


def _upsert_measurement_families(call: Call) -> httpx.Response:
    check_content_type(call.request)
    try:
        families = json.loads(call.request.content)
    except (ValueError, UnicodeDecodeError):
        raise ApiError(400, "Invalid json message received") from None
    if not isinstance(families, list):
        raise ApiError(400, "Invalid json message received")
    answers: list[Item] = []
    for family in families:
        code = family.get("code") if isinstance(family, dict) else None
        if not isinstance(code, str) or not isinstance(family.get("units", {}), dict):
            answers.append(
                {
                    "code": code,
                    "status_code": 422,
                    "message": "The measurement family has an invalid format.",
                }
            )
            continue
        known = call.catalogue.measurement_families
        status = 204 if code in known else 201
        target = known.setdefault(
            code,
            {
                "code": code,
                "labels": {},
                "standard_unit_code": family.get("standard_unit_code"),
                "units": {},
            },
        )
        merge(target, family)
        answers.append({"code": code, "status_code": status})
    return json_answer(200, answers)


def register(router: Router) -> None:
    for resource in resources():
        resource.register(router)
    families = f"{API}/measurement-families"
    router.add(
        "GET",
        families,
        "read_catalog_structure",
        "list measurement families",
        _measurement_families,
    )
    router.add(
        "PATCH",
        families,
        "write_catalog_structure",
        "create or update measurement families",
        _upsert_measurement_families,
    )


__all__ = ["Catalogue", "register", "merge"]
