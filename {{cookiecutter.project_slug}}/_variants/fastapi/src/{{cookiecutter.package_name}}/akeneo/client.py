"""The API of one connected PIM: where a route of the App starts calling the PIM.

Every call carries the token, the App's User-Agent and the HTTP client's timeout, waits for one
of the PIM's fair-use slots, and is retried within the caller's retry budget: `BROWSER` for a
route (a few seconds in all), `BACKGROUND` for a job (see `retries`).

    product = await pim.get("/api/rest/v1/products-uuid/…")
    async for product in pim.iter_items("/api/rest/v1/products-uuid", {"limit": 100}):
        ...
    await pim.patch("/api/rest/v1/products-uuid/…", {"values": {...}})
"""

import asyncio
import io
from collections.abc import AsyncIterator, Callable, Generator, Iterable, Mapping
from typing import Any, BinaryIO, TypeVar

import httpx

from .api import (
    MAX_MEDIA_BYTES,
    MAX_PAGES,
    Channel,
    JsonObject,
    MediaFile,
    Page,
    PageLinks,
    Params,
    UpsertResult,
    WriteResult,
    download,
    get_json,
    get_object,
    get_page,
    list_channels,
    list_items,
    request_scopes,
    upload,
    upsert_list,
    write,
)
from .errors import MissingScope, PimDisconnected
from .exchange import Connection
from .fair_use import FairUse
from .retries import BROWSER, RetryBudget
from .scopes import missing_scopes
from .transport import DEFAULT_API_MAX_BYTES, Sleep, run

T = TypeVar("T")


class PimApi:
    """Calls the PIM of `connection` with its token.

    A 401 calls `on_disconnected(connection)` (the App marks the PIM disconnected) before
    `PimDisconnected` is raised; a 403 raises `MissingScope` naming the scopes of
    `wanted_scopes` that the PIM did not grant. Every other refusal is a `PimApiError` with
    the PIM's status and message (`PimValidationFailed` for a 422, with its `errors`).
    """

    def __init__(
        self,
        connection: Connection,
        *,
        http: httpx.AsyncClient,
        fair_use: FairUse,
        wanted_scopes: tuple[str, ...] = (),
        on_disconnected: Callable[[Connection], object],
        api_max_bytes: int = DEFAULT_API_MAX_BYTES,
        retries: RetryBudget = BROWSER,
        sleep: Sleep = asyncio.sleep,
    ) -> None:
        self._connection = connection
        self._http = http
        self._fair_use = fair_use
        self._wanted_scopes = wanted_scopes
        self._on_disconnected = on_disconnected
        self._api_max_bytes = api_max_bytes
        self._retries = retries
        self._sleep = sleep
        self.missing_scopes = missing_scopes(wanted_scopes, connection.scopes)

    @property
    def pim_url(self) -> str:
        return self._connection.pim_url

    @property
    def connection(self) -> Connection:
        return self._connection

    async def run(self, protocol: Generator[httpx.Request, httpx.Response, T]) -> T:
        """Run a conversation of the App's own (a generator of requests, like `api.get_page`)."""
        return await self._run(protocol)

    def with_retries(self, retries: RetryBudget, *, sleep: Sleep | None = None) -> "PimApi":
        """The same API with another retry budget (e.g. `retries.BACKGROUND` in a job)."""
        return PimApi(
            self._connection,
            http=self._http,
            fair_use=self._fair_use,
            wanted_scopes=self._wanted_scopes,
            on_disconnected=self._on_disconnected,
            api_max_bytes=self._api_max_bytes,
            retries=retries,
            sleep=sleep or self._sleep,
        )

    async def get(self, path: str, params: Params | None = None) -> Any:
        """`GET path` (e.g. `/api/rest/v1/products-uuid/{uuid}`): the JSON answered.

        An object for most endpoints, an array for some (`/api/rest/v1/measurement-families`).
        """
        return await self._run(get_json(self._connection, path, params))

    async def get_object(self, path: str, params: Params | None = None) -> JsonObject:
        """`GET path`, which must answer a JSON object."""
        return await self._run(get_object(self._connection, path, params))

    async def get_page(self, path: str, params: Params | None = None) -> Page:
        """One page of a list: for a page of the App that shows a list a page at a time."""
        return await self._run(get_page(self._connection, path, params))

    async def iter_pages(self, path: str, params: Params | None = None) -> AsyncIterator[Page]:
        """The pages of a list, read one at a time as the loop asks (no page cap).

        For long lists, pass `{"pagination_type": "search_after"}` where the endpoint has it:
        the next link carries the cursor.
        """
        links = PageLinks(self._connection, path, params)
        while (page := await self._run(links.page())) is not None:
            yield page

    async def iter_items(self, path: str, params: Params | None = None) -> AsyncIterator[Any]:
        """Every item of a list, page after page: the memory of one page, whatever its length."""
        async for page in self.iter_pages(path, params):
            for item in page.items:
                yield item

    async def get_all(
        self,
        path: str,
        params: Params | None = None,
        *,
        max_pages: int = MAX_PAGES,
        max_bytes: int | None = None,
    ) -> list[Any]:
        """Every item of a list short enough for one page: `ListTooLong` past `max_pages`
        pages or `max_bytes` bytes (default: the API answer cap), all within one deadline."""
        protocol = list_items(
            self._connection,
            path,
            params,
            max_pages=max_pages,
            max_bytes=self._api_max_bytes if max_bytes is None else max_bytes,
        )
        return await self._run(protocol, deadline=self._retries.deadline(self._http.timeout))

    async def post(self, path: str, body: object, params: Params | None = None) -> WriteResult:
        """Create (`POST`): 201 with `Location`; `code` is the new resource's code or UUID."""
        return await self._run(write(self._connection, "POST", path, body, params))

    async def patch(self, path: str, body: object, params: Params | None = None) -> WriteResult:
        """Update or create one resource (`PATCH`): 204 (updated) or 201 (created)."""
        return await self._run(write(self._connection, "PATCH", path, body, params))

    async def put(self, path: str, body: object, params: Params | None = None) -> WriteResult:
        """Replace (`PUT`, e.g. a catalog's mapping schema): any 2xx."""
        return await self._run(write(self._connection, "PUT", path, body, params))

    async def delete(self, path: str, params: Params | None = None) -> WriteResult:
        """Delete (`DELETE`): 204."""
        return await self._run(write(self._connection, "DELETE", path, None, params))

    async def patch_list(self, path: str, items: Iterable[JsonObject]) -> list[UpsertResult]:
        """Upsert many resources (`PATCH` a list endpoint), 100 a request: one result a line."""
        return await self._run(upsert_list(self._connection, path, items))

    async def download(
        self, path: str, *, max_bytes: int = MAX_MEDIA_BYTES
    ) -> tuple[MediaFile, bytes]:
        """A media file (`/api/rest/v1/media-files/{code}/download`) in memory, at most
        `max_bytes`: its type and name, and its bytes."""
        buffer = io.BytesIO()
        media = await self._run(download(self._connection, path, buffer, max_bytes))
        return media, buffer.getvalue()

    async def download_to(
        self, path: str, file: BinaryIO, *, max_bytes: int = MAX_MEDIA_BYTES
    ) -> MediaFile:
        """A media file written to `file` (opened for binary writing) as it comes, never
        held in memory whole; each write is one network chunk."""
        return await self._run(download(self._connection, path, file, max_bytes))

    async def upload(
        self,
        filename: str,
        content: bytes,
        content_type: str,
        target: Mapping[str, object],
        *,
        target_field: str = "product",
    ) -> WriteResult:
        """Upload a media file into a product value (`target`: uuid, attribute, scope, locale);
        `result.code` is the new media file's code."""
        protocol = upload(self._connection, filename, content, content_type, target, target_field)
        return await self._run(protocol)

    async def channels(self) -> list[Channel]:
        return await self._run(list_channels(self._connection, max_bytes=self._api_max_bytes))

    async def request_scopes(self, scopes: tuple[str, ...]) -> str:
        """Tell the PIM the App needs `scopes` (it notifies its users); its answer, "Ok"."""
        return await self._run(request_scopes(self._connection, scopes))

    async def _run(
        self,
        protocol: Generator[httpx.Request, httpx.Response, T],
        *,
        deadline: float | None = None,
    ) -> T:
        try:
            return await run(
                protocol,
                self._http,
                api_max_bytes=self._api_max_bytes,
                budget=self._retries,
                deadline=deadline,
                slots=self._fair_use,
                sleep=self._sleep,
            )
        except PimDisconnected:
            # Storage is synchronous: keep it off the event loop.
            await asyncio.to_thread(self._on_disconnected, self._connection)
            raise
        except MissingScope as error:
            raise MissingScope(error.message, self.missing_scopes) from None
