"""The PIM's REST API with the App's token, as protocols written without I/O.

Each function is a generator like `exchange.exchange_code`: it yields the `httpx.Request`s to send
and receives the `httpx.Response`s, so both web layers share it. Answers are checked before use:
401, 403, 404, 429 and 503 become typed errors, a list follows `_links.next.href` only while it
stays on the connected PIM's origin, and anything else unexpected is a `PimBadResponse`.
"""

from collections.abc import Generator, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

import httpx

from .errors import MissingScope, PimBadResponse, PimBusy, PimDisconnected, PimNotFound
from .exchange import Connection

CHANNELS_PATH = "/api/rest/v1/channels"
SCOPES_UPDATE_PATH = "/connect/apps/v1/scopes/update"
MAX_PAGES = 100
"""A list longer than this many pages is refused rather than read for ever."""
PAGE_SIZE = 100
"""Items per page when the App lists everything: the API's maximum, for the fewest calls."""
MAX_MESSAGE_LENGTH = 300

Params = Mapping[str, str | int]
JsonObject = dict[str, Any]


@dataclass(frozen=True)
class Channel:
    """A channel of the PIM, as the channels page shows it."""

    code: str
    label: str
    locales: tuple[str, ...]
    currencies: tuple[str, ...]
    category_tree: str


def build_api_request(
    connection: Connection,
    method: str,
    url: str,
    *,
    params: Params | None = None,
) -> httpx.Request:
    """A request to `url` (a path on the PIM, or one of its own absolute links) with the token."""
    if url.startswith("/"):
        url = f"{connection.pim_url}{url}"
    if _origin(httpx.URL(url)) != _origin(httpx.URL(connection.pim_url)):
        raise PimBadResponse("the PIM's link points to another host, which the App never calls")
    headers = {"Authorization": f"Bearer {connection.access_token}", "Accept": "application/json"}
    return httpx.Request(method, url, params=params, headers=headers)


def read_api_response(response: httpx.Response, pim_url: str) -> Any:
    """The JSON of a successful answer; a typed error for any other."""
    status = response.status_code
    if status == 401:
        raise PimDisconnected(pim_url, _message(response))
    if status == 403:
        raise MissingScope(_message(response))
    if status == 404:
        raise PimNotFound(_message(response) or "the PIM has no such resource")
    if status in (429, 503):
        raise PimBusy(f"the PIM answered HTTP {status} to every attempt")
    if not 200 <= status < 300:
        raise PimBadResponse(f"the PIM answered HTTP {status}")
    try:
        return response.json()
    except (ValueError, RecursionError):  # RecursionError: JSON nested too deep to read
        raise PimBadResponse(
            f"the PIM answered HTTP {status} with a body that is not JSON"
        ) from None


def get_object(
    connection: Connection, path: str, params: Params | None = None
) -> Generator[httpx.Request, httpx.Response, JsonObject]:
    """`GET path` on the PIM: one JSON object."""
    response = yield build_api_request(connection, "GET", path, params=params)
    return _object(read_api_response(response, connection.pim_url))


def list_items(
    connection: Connection, path: str, params: Params | None = None
) -> Generator[httpx.Request, httpx.Response, list[JsonObject]]:
    """Every item of a paginated list, following `_links.next.href` page after page."""
    request = build_api_request(connection, "GET", path, params=params)
    seen = {str(request.url)}
    items: list[JsonObject] = []
    for _ in range(MAX_PAGES):
        page = _object(read_api_response((yield request), connection.pim_url))
        items.extend(_page_items(page))
        next_url = _next_link(page)
        if next_url is None:
            return items
        request = build_api_request(connection, "GET", next_url)
        if str(request.url) in seen:
            raise PimBadResponse("the PIM's next page link goes back to a page already read")
        seen.add(str(request.url))
    raise PimBadResponse(f"the list has more than {MAX_PAGES} pages")


def list_channels(
    connection: Connection,
) -> Generator[httpx.Request, httpx.Response, list[Channel]]:
    """The PIM's channels, all pages (needs `read_channel_settings`)."""
    items = yield from list_items(connection, CHANNELS_PATH, {"limit": PAGE_SIZE})
    return [_channel(item) for item in items]


def request_scopes(
    connection: Connection, scopes: tuple[str, ...]
) -> Generator[httpx.Request, httpx.Response, str]:
    """Tell the PIM that the App needs `scopes`; return its answer ("Ok").

    This grants nothing: the PIM flags the App and notifies the users who manage apps. The new
    scopes are granted by the next authorization request, with every scope the App needs.
    """
    request = build_api_request(
        connection, "POST", f"{SCOPES_UPDATE_PATH}?scopes={quote(' '.join(scopes))}"
    )
    request.headers["Content-Type"] = "application/json"
    answer = read_api_response((yield request), connection.pim_url)
    if not isinstance(answer, str):
        raise PimBadResponse("the PIM's answer to the scope request is not a JSON string")
    return answer[:MAX_MESSAGE_LENGTH]


def _object(body: Any) -> JsonObject:
    if not isinstance(body, dict):
        raise PimBadResponse("the PIM answered JSON that is not an object")
    return body


def _page_items(page: JsonObject) -> list[JsonObject]:
    embedded = page.get("_embedded")
    items = embedded.get("items") if isinstance(embedded, dict) else None
    if not isinstance(items, list) or not all(isinstance(item, dict) for item in items):
        raise PimBadResponse("the PIM's list page has no _embedded.items objects")
    return items


def _next_link(page: JsonObject) -> str | None:
    links = page.get("_links")
    next_link = links.get("next") if isinstance(links, dict) else None
    if next_link is None:
        return None
    href = next_link.get("href") if isinstance(next_link, dict) else None
    if not isinstance(href, str) or not href.startswith(("https://", "http://")):
        raise PimBadResponse("the PIM's next page link is not an absolute URL")
    return href


def _channel(item: JsonObject) -> Channel:
    code, labels = item.get("code"), item.get("labels") or {}
    locales, currencies = item.get("locales") or [], item.get("currencies") or []
    category_tree = item.get("category_tree") or ""
    if not (
        isinstance(code, str)
        and isinstance(labels, dict)
        and _strings(locales)
        and _strings(currencies)
        and isinstance(category_tree, str)
    ):
        raise PimBadResponse("the PIM sent a channel that is not a channel")
    label = labels.get(locales[0]) if locales else None
    return Channel(
        code=code,
        label=label if isinstance(label, str) and label else code,
        locales=tuple(locales),
        currencies=tuple(currencies),
        category_tree=category_tree,
    )


def _strings(value: object) -> bool:
    return isinstance(value, list) and all(isinstance(item, str) for item in value)


def _message(response: httpx.Response) -> str:
    """The `message` of an Akeneo error body, shortened; empty if the body has none."""
    try:
        body = response.json()
    except (ValueError, RecursionError):
        return ""
    message = body.get("message") if isinstance(body, dict) else None
    return message[:MAX_MESSAGE_LENGTH] if isinstance(message, str) else ""


def _origin(url: httpx.URL) -> tuple[str, str, int | None]:
    return url.scheme, url.host, url.port
