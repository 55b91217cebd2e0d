"""The PIM's REST API with the App's token, as protocols written without I/O.

Each function is a generator like `exchange.exchange_code`: it yields the `httpx.Request`s to send
and receives the `httpx.Response`s, so both web layers share it. Every answer is checked before
use: an error status becomes a typed error that keeps the PIM's `message` (and a 422's
`errors`), a list follows `_links.next.href` only while it stays on the connected PIM's origin,
and anything else unexpected is a `PimBadResponse`.
"""

import json
from collections import deque
from collections.abc import Generator, Iterable, Iterator, Mapping
from dataclasses import dataclass
from email.message import Message
from typing import Any, BinaryIO
from urllib.parse import quote, unquote

import httpx

from .answers import ATTEMPTS_EXTENSION, MAX_BYTES_EXTENSION, SINK_EXTENSION
from .errors import (
    AnswerTooLarge,
    CatalogUnavailable,
    FieldError,
    ListTooLong,
    MissingScope,
    PimBadResponse,
    PimBusy,
    PimDisconnected,
    PimForbidden,
    PimInvalidRequest,
    PimNotFound,
    PimServerError,
    PimValidationFailed,
)
from .exchange import Connection
from .retries import retry_after

CHANNELS_PATH = "/api/rest/v1/channels"
SCOPES_UPDATE_PATH = "/connect/apps/v1/scopes/update"
MAX_PAGES = 100
"""`get_all` refuses a list longer than this many pages: a page shows a bounded list."""
PAGE_SIZE = 100
"""Items per page when the App lists everything: the API's maximum, for the fewest calls."""
MEDIA_FILES_PATH = "/api/rest/v1/media-files"
MAX_MEDIA_BYTES = 50_000_000
"""The default cap of a media download (the caller may choose another)."""
UPSERT_BATCH = 100
"""Lines the PIM accepts in one upsert-list request."""
RECENT_PAGES = 16
"""A next link back to one of the last pages read is a loop (remembered: a bounded number)."""
MAX_MESSAGE_LENGTH = 300
MAX_FIELD_ERRORS = 50
JSON_TYPE = "application/json"
COLLECTION_TYPE = "application/vnd.akeneo.collection+json"

Params = Mapping[str, object]
"""Query parameters: str, int, float or bool values, lists (comma-separated), and `search` as
a str or as the Python structure it encodes (JSON-encoded once here)."""
JsonObject = dict[str, Any]


@dataclass(frozen=True)
class Channel:
    """A channel of the PIM, as the channels page shows it."""

    code: str
    label: str
    locales: tuple[str, ...]
    currencies: tuple[str, ...]
    category_tree: str


@dataclass(frozen=True)
class Page:
    """One page of a list: its items (objects, or strings for some endpoints) and the next."""

    items: list[Any]
    next_url: str | None
    items_count: int | None = None


@dataclass(frozen=True)
class WriteResult:
    """The PIM's answer to a write: 201 (created) or 204 (updated, deleted), mostly no body.

    `code` is the last segment of `location` (the new resource's code or UUID); `body` the
    JSON answered, when there is one (e.g. a created catalog).
    """

    status: int
    location: str | None = None
    code: str | None = None
    body: Any = None


@dataclass(frozen=True)
class MediaFile:
    """A downloaded media file: its type and name as the PIM gave them, and its size."""

    content_type: str
    filename: str | None
    size: int


@dataclass(frozen=True)
class UpsertResult:
    """One line of an upsert list's answer; a failed line does not fail the others.

    `line` counts from 1 over every item given to `patch_list`; `key` is the line's `uuid`,
    `code` or `identifier`, whichever the endpoint answers.
    """

    line: int
    key: str | None
    status_code: int
    message: str = ""
    errors: tuple[FieldError, ...] = ()

    @property
    def ok(self) -> bool:
        return 200 <= self.status_code < 300


def build_api_request(
    connection: Connection,
    method: str,
    url: str,
    *,
    params: Params | None = None,
    json_body: object = None,
) -> httpx.Request:
    """A request to `url` (a path on the PIM, or one of its own absolute links) with the token.

    A JSON body is serialised once, here, with its `Content-Type` and `Content-Length`.
    """
    if url.startswith("/"):
        url = f"{connection.pim_url}{url}"
    try:
        parsed = httpx.URL(url)
        same_pim = _origin(parsed) == _origin(httpx.URL(connection.pim_url))
    except (httpx.InvalidURL, ValueError, TypeError):
        raise PimBadResponse("the PIM's link is not a valid URL") from None
    if not same_pim:
        raise PimBadResponse("the PIM's link points to another host, which the App never calls")
    headers = {"Authorization": f"Bearer {connection.access_token}", "Accept": JSON_TYPE}
    content = None
    if json_body is not None:
        content = json.dumps(json_body, ensure_ascii=False, separators=(",", ":")).encode()
        headers["Content-Type"] = JSON_TYPE
    return httpx.Request(
        method, parsed, params=query(params) if params else None, headers=headers, content=content
    )


def query(params: Params) -> dict[str, str]:
    """The query string of `params`, each value as the API reads it."""
    encoded = {}
    for name, value in params.items():
        if name == "search" and not isinstance(value, str):
            encoded[name] = json.dumps(value, separators=(",", ":"))
        elif isinstance(value, bool):
            encoded[name] = "true" if value else "false"
        elif isinstance(value, str | int | float):
            encoded[name] = str(value)
        elif isinstance(value, list | tuple) and all(isinstance(v, str | int) for v in value):
            encoded[name] = ",".join(str(v) for v in value)
        else:
            raise TypeError(
                f"query parameter {name!r}: expected str, int, float, bool or a list of them, "
                f"got {type(value).__name__}"
            )
    return encoded


def read_api_response(response: httpx.Response, pim_url: str) -> Any:
    """The JSON of a successful answer (None for an empty one); a typed error for any other."""
    check_status(response, pim_url)
    if not response.content.strip():
        return None
    body = _json(response.content, response.status_code)
    if response.status_code == 200 and isinstance(body, dict) and len(body) == 1:
        # Catalogs for Apps answer a disabled or unmapped catalog with HTTP 200 and one key.
        sentence = body.get("error", body.get("message"))
        if isinstance(sentence, str):
            raise CatalogUnavailable(200, sentence[:MAX_MESSAGE_LENGTH])
    return body


def check_status(response: httpx.Response, pim_url: str) -> None:
    """Raise the typed error of an error status, keeping what the PIM said."""
    status = response.status_code
    if 200 <= status < 300:
        return
    message, errors = _error_body(response)
    if status == 401:
        raise PimDisconnected(pim_url, message)
    if status == 403:
        raise MissingScope(message)
    if status == 404:
        raise PimNotFound(message)
    if status in (429, 503):
        attempts = response.extensions.get(ATTEMPTS_EXTENSION, 1)
        said = f"the PIM answered HTTP {status} to {_attempts(attempts)}"
        delay = retry_after(response)
        if delay is not None:
            said += f" and asks to wait {delay:.0f} s"
        raise PimBusy(status, said + (f": {message}" if message else ""), delay)
    if status == 422:
        raise PimValidationFailed(status, message, errors)
    if 400 <= status < 500:
        raise PimInvalidRequest(status, message)
    if 500 <= status < 600:
        raise PimServerError(status, message)
    raise PimBadResponse(f"the PIM answered HTTP {status}")


def get_json(
    connection: Connection, path: str, params: Params | None = None
) -> Generator[httpx.Request, httpx.Response, Any]:
    """`GET path` on the PIM: the JSON answered, an object or an array."""
    response = yield build_api_request(connection, "GET", path, params=params)
    return read_api_response(response, connection.pim_url)


def get_object(
    connection: Connection, path: str, params: Params | None = None
) -> Generator[httpx.Request, httpx.Response, JsonObject]:
    """`GET path` on the PIM: one JSON object."""
    return _object((yield from get_json(connection, path, params)))


def get_page(
    connection: Connection, path: str, params: Params | None = None
) -> Generator[httpx.Request, httpx.Response, Page]:
    """One page of a list (`path` with `params`, e.g. a `search_after` cursor)."""
    response = yield build_api_request(connection, "GET", path, params=params)
    return _page(read_api_response(response, connection.pim_url))


def write(
    connection: Connection,
    method: str,
    path: str,
    body: object = None,
    params: Params | None = None,
) -> Generator[httpx.Request, httpx.Response, WriteResult]:
    """`POST`, `PATCH`, `PUT` or `DELETE` `path` with a JSON `body`: what the PIM did."""
    response = yield build_api_request(connection, method, path, params=params, json_body=body)
    answered = read_api_response(response, connection.pim_url)
    location = response.headers.get("Location")
    return WriteResult(response.status_code, location, _last_segment(location), answered)


def download(
    connection: Connection, path: str, sink: BinaryIO, max_bytes: int
) -> Generator[httpx.Request, httpx.Response, MediaFile]:
    """`GET path` (e.g. `/api/rest/v1/media-files/{code}/download`) written to `sink` as it
    comes, at most `max_bytes`."""
    request = build_api_request(connection, "GET", path)
    request.headers["Accept"] = "*/*"
    request.extensions[SINK_EXTENSION] = sink
    request.extensions[MAX_BYTES_EXTENSION] = max_bytes
    response = yield request
    check_status(response, connection.pim_url)
    disposition = Message()
    disposition["Content-Disposition"] = response.headers.get("Content-Disposition", "")
    filename = disposition.get_filename()
    return MediaFile(
        content_type=response.headers.get("Content-Type", "application/octet-stream")[:200],
        filename=filename[:MAX_MESSAGE_LENGTH] if filename else None,
        size=int(response.headers["Content-Length"]),
    )


def upload(
    connection: Connection,
    filename: str,
    content: bytes,
    content_type: str,
    target: Mapping[str, object],
    target_field: str = "product",
) -> Generator[httpx.Request, httpx.Response, WriteResult]:
    """`POST MEDIA_FILES_PATH` as multipart: the file, and the value it goes to.

    `target` is the JSON the API asks for: `{"uuid" (or "identifier"), "attribute", "scope",
    "locale"}`; `target_field` is `product`, or `product_model` with the model's `code`.
    """
    base = build_api_request(connection, "POST", MEDIA_FILES_PATH)
    request = httpx.Request(
        "POST",
        base.url,
        headers={name: value for name, value in base.headers.items() if name != "Content-Type"},
        data={target_field: json.dumps(target, separators=(",", ":"))},
        files={"file": (filename, content, content_type)},
    )
    response = yield request
    check_status(response, connection.pim_url)
    location = response.headers.get("Location")
    # A media file's code is a path of its own: `7/5/b/8/75b8…_photo.png`.
    code = httpx.URL(location or "").path.partition(f"{MEDIA_FILES_PATH}/")[2] or None
    return WriteResult(response.status_code, location, unquote(code) if code else None, None)


def upsert_list(
    connection: Connection, path: str, items: Iterable[JsonObject]
) -> Generator[httpx.Request, httpx.Response, list[UpsertResult]]:
    """`PATCH path` with `items` as an upsert list, in requests of `UPSERT_BATCH` lines."""
    results: list[UpsertResult] = []
    for batch in chunked(items, UPSERT_BATCH):
        lines = [json.dumps(item, ensure_ascii=False, separators=(",", ":")) for item in batch]
        request = build_api_request(connection, "PATCH", path)
        request = httpx.Request(
            "PATCH",
            request.url,
            headers={**request.headers, "Content-Type": COLLECTION_TYPE},
            content="\n".join(lines).encode(),
        )
        response = yield request
        check_status(response, connection.pim_url)
        results.extend(_upsert_results(response.content, offset=len(results), sent=len(batch)))
    return results


def chunked(items: Iterable[Any], size: int) -> Iterator[list[Any]]:
    """`items` in lists of at most `size`: for upsert lists and long `IN` searches."""
    batch = []
    for item in items:
        batch.append(item)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch


class PageLinks:
    """Reads a list page after page, following `_links.next.href` lazily.

    Only the next request and the last pages' addresses are kept, so reading a list of any
    length takes the memory of one page.
    """

    def __init__(self, connection: Connection, path: str, params: Params | None = None) -> None:
        self._connection = connection
        self._request: httpx.Request | None = build_api_request(
            connection, "GET", path, params=params
        )
        self._recent: deque[str] = deque([str(self._request.url)], maxlen=RECENT_PAGES)
        self.bytes_read = 0

    def page(
        self, max_bytes: int | None = None
    ) -> Generator[httpx.Request, httpx.Response, Page | None]:
        """The next page, or None after the last; `max_bytes` caps this page's answer."""
        if self._request is None:
            return None
        if max_bytes is not None:
            self._request.extensions[MAX_BYTES_EXTENSION] = max_bytes
        response = yield self._request
        self.bytes_read += len(response.content)
        page = _page(read_api_response(response, self._connection.pim_url))
        self._request = None
        if page.next_url is not None:
            request = build_api_request(self._connection, "GET", page.next_url)
            if str(request.url) in self._recent:
                raise PimBadResponse("the PIM's next page link goes back to a page already read")
            self._recent.append(str(request.url))
            self._request = request
        return page


def list_items(
    connection: Connection,
    path: str,
    params: Params | None = None,
    *,
    max_pages: int = MAX_PAGES,
    max_bytes: int | None = None,
) -> Generator[httpx.Request, httpx.Response, list[Any]]:
    """Every item of a list read for one page: at most `max_pages` pages and `max_bytes` bytes.

    Past either, `ListTooLong`: such a list belongs to a background job (`iter_items`).
    """
    links = PageLinks(connection, path, params)
    items: list[Any] = []
    for _ in range(max_pages):
        left = None if max_bytes is None else max_bytes - links.bytes_read
        try:
            page = yield from links.page(left)
        except AnswerTooLarge:
            if left is None:
                raise
            raise ListTooLong(f"the list is larger than {max_bytes} bytes") from None
        if page is None:
            return items
        items.extend(page.items)
        if page.next_url is None:
            return items
    raise ListTooLong(f"the list has more than {max_pages} pages")


def list_channels(
    connection: Connection, *, max_bytes: int | None = None
) -> Generator[httpx.Request, httpx.Response, list[Channel]]:
    """The PIM's channels, all pages (needs `read_channel_settings`)."""
    items = yield from list_items(
        connection, CHANNELS_PATH, {"limit": PAGE_SIZE}, max_bytes=max_bytes
    )
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
    request.headers["Content-Type"] = JSON_TYPE
    try:
        answer = read_api_response((yield request), connection.pim_url)
    except MissingScope as error:
        # No scope is needed here: a 403 means the PIM does not take the token as an App's.
        raise PimForbidden(403, error.message or "the PIM refused the scope request") from None
    if not isinstance(answer, str):
        raise PimBadResponse("the PIM's answer to the scope request is not a JSON string")
    return answer[:MAX_MESSAGE_LENGTH]


def _last_segment(location: str | None) -> str | None:
    """The code or UUID that ends a `Location`, e.g. `…/media-files/a/b/c/file.png`."""
    if not location:
        return None
    try:
        path = httpx.URL(location).path
    except (httpx.InvalidURL, ValueError):
        return None
    return unquote(path.rstrip("/").rpartition("/")[2]) or None


def _json(content: bytes, status: int) -> Any:
    try:
        return json.loads(content)
    except (ValueError, RecursionError):  # RecursionError: JSON nested too deep to read
        raise PimBadResponse(
            f"the PIM answered HTTP {status} with a body that is not JSON"
        ) from None


def _object(body: Any) -> JsonObject:
    if not isinstance(body, dict):
        raise PimBadResponse("the PIM answered JSON that is not an object")
    return body


def _page(body: Any) -> Page:
    page = _object(body)
    embedded = page.get("_embedded")
    items = embedded.get("items") if isinstance(embedded, dict) else None
    if not isinstance(items, list) or not all(isinstance(item, dict | str) for item in items):
        raise PimBadResponse("the PIM's list page has no _embedded.items objects or strings")
    count = page.get("items_count")
    return Page(items, _next_link(page), count if isinstance(count, int) else None)


def _next_link(page: JsonObject) -> str | None:
    links = page.get("_links")
    next_link = links.get("next") if isinstance(links, dict) else None
    if next_link is None:
        return None
    href = next_link.get("href") if isinstance(next_link, dict) else None
    if not isinstance(href, str) or not href.startswith(("https://", "http://")):
        raise PimBadResponse("the PIM's next page link is not an absolute URL")
    return href


def _upsert_results(content: bytes, *, offset: int, sent: int) -> Iterator[UpsertResult]:
    lines = [line for line in content.split(b"\n") if line.strip()]
    if len(lines) > sent:
        raise PimBadResponse("the PIM answered more lines than the upsert list sent")
    for raw in lines:
        line = _object(_json(raw, 200))
        number, status = line.get("line"), line.get("status_code")
        if not (isinstance(number, int) and isinstance(status, int) and 1 <= number <= sent):
            raise PimBadResponse("the PIM's upsert-list answer has a line without line and status")
        key = next(
            (line[k] for k in ("uuid", "code", "identifier") if isinstance(line.get(k), str)),
            None,
        )
        yield UpsertResult(
            offset + number, key, status, _text(line.get("message")), _field_errors(line)
        )


def _error_body(response: httpx.Response) -> tuple[str, tuple[FieldError, ...]]:
    """The `message` and `errors` of an Akeneo error body, bounded; empty if it has none."""
    try:
        body = json.loads(response.content)
    except (ValueError, RecursionError):
        return "", ()
    if not isinstance(body, dict):
        return "", ()
    return _text(body.get("message")), _field_errors(body)


def _field_errors(body: JsonObject) -> tuple[FieldError, ...]:
    errors = body.get("errors")
    if not isinstance(errors, list):
        return ()
    return tuple(
        FieldError(
            property=_text(error.get("property")),
            message=_text(error.get("message")),
            attribute=_text(error.get("attribute")) or None,
            locale=_text(error.get("locale")) or None,
            scope=_text(error.get("scope")) or None,
        )
        for error in errors[:MAX_FIELD_ERRORS]
        if isinstance(error, dict)
    )


def _text(value: object) -> str:
    return value[:MAX_MESSAGE_LENGTH] if isinstance(value, str) else ""


def _attempts(attempts: object) -> str:
    if not isinstance(attempts, int) or attempts <= 1:
        return "the App's only attempt"
    return f"each of the App's {attempts} attempts"


def _channel(item: Any) -> Channel:
    if not isinstance(item, dict):
        raise PimBadResponse("the PIM sent a channel that is not a channel")
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


def _origin(url: httpx.URL) -> tuple[str, str, int | None]:
    return url.scheme, url.host, url.port
