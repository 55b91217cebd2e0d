"""What the Products page shows: the first channel's products, a page at a time.

The page follows the PIM's own cursor: the `search_after` of its `_links.next.href` is carried
in the App's "next" link, and only that value comes back from the browser (the App builds the
request itself, so a browser cannot make it read another endpoint).
"""

from collections.abc import Generator
from dataclasses import dataclass
from typing import Any

import httpx

from .akeneo.api import CHANNELS_PATH, JsonObject, Page, Params, get_object, get_page
from .akeneo.errors import PimBadResponse
from .akeneo.exchange import Connection

PRODUCTS_PATH = "/api/rest/v1/products-uuid"
PRODUCTS_PER_PAGE = 20
NAME_ATTRIBUTE = "name"
"""The attribute shown as a product's name, as in Akeneo's own catalogues (a PIM's families
name the attribute used as label in their `attribute_as_label`)."""
MAX_CURSOR_LENGTH = 512
"""A `search_after` cursor is a short opaque string: a longer one is not the PIM's."""


@dataclass(frozen=True)
class Channel:
    code: str
    locale: str | None


@dataclass(frozen=True)
class ProductRow:
    uuid: str
    identifier: str
    name: str
    family: str
    enabled: bool


@dataclass(frozen=True)
class ProductsView:
    channel: Channel
    rows: list[ProductRow]
    next_cursor: str | None


def read_products_page(
    connection: Connection, after: str | None = None
) -> Generator[httpx.Request, httpx.Response, ProductsView | None]:
    """The page of products after the cursor `after` (the first page without), or None when
    the PIM has no channel. Needs `read_channel_settings` and `read_products`."""
    channel = first_channel((yield from get_object(connection, CHANNELS_PATH, {"limit": 1})))
    if channel is None:
        return None
    page = yield from get_page(connection, PRODUCTS_PATH, products_params(channel, after))
    return products_view(channel, page)


def first_channel(channels: JsonObject) -> Channel | None:
    """The first channel of a channels page (`GET CHANNELS_PATH`), with its first locale."""
    items = (channels.get("_embedded") or {}).get("items")
    if not isinstance(items, list):
        raise PimBadResponse("the PIM's channels page has no _embedded.items")
    if not items:
        return None
    channel = items[0]
    code = channel.get("code") if isinstance(channel, dict) else None
    if not isinstance(code, str):
        raise PimBadResponse("the PIM sent a channel that is not a channel")
    locales = channel.get("locales")
    locale = locales[0] if isinstance(locales, list) and locales else None
    return Channel(code, locale if isinstance(locale, str) else None)


def products_params(channel: Channel, after: str | None) -> Params:
    """The products request of one page: the channel's values, the PIM's cursor."""
    params: dict[str, object] = {
        "scope": channel.code,
        "pagination_type": "search_after",
        "limit": PRODUCTS_PER_PAGE,
    }
    if channel.locale:
        params["locales"] = [channel.locale]
    if after:
        params["search_after"] = after[:MAX_CURSOR_LENGTH]
    return params


def products_view(channel: Channel, page: Page) -> ProductsView:
    rows = [_row(item, channel.locale) for item in page.items]
    cursor = None
    if page.next_url is not None:
        cursor = httpx.URL(page.next_url).params.get("search_after")
    return ProductsView(channel, rows, cursor[:MAX_CURSOR_LENGTH] if cursor else None)


def _row(item: Any, locale: str | None) -> ProductRow:
    if not isinstance(item, dict) or not isinstance(item.get("uuid"), str):
        raise PimBadResponse("the PIM sent a product without a uuid")
    identifier, family = item.get("identifier"), item.get("family")
    return ProductRow(
        uuid=item["uuid"],
        identifier=identifier if isinstance(identifier, str) else "",
        name=_name(item.get("values"), locale),
        family=family if isinstance(family, str) else "",
        enabled=item.get("enabled") is True,
    )


def _name(values: Any, locale: str | None) -> str:
    """The product's name in the channel's locale (the PIM sent only that channel's values)."""
    entries = values.get(NAME_ATTRIBUTE) if isinstance(values, dict) else None
    for entry in entries if isinstance(entries, list) else []:
        if isinstance(entry, dict) and entry.get("locale") in (locale, None):
            data = entry.get("data")
            if isinstance(data, str):
                return data
    return ""
